// Internal to src/pg (includes libpq): PgResult, the RAII owner of one libpq PGresult.
// Public types (QueryResult, Row) hold it behind a forward declaration.
//
//   detail::PgResult result(PQgetResult(conn));
//   if (!result) { /* no more results */ }
//   if (result.status() == PGRES_TUPLES_OK) use(PQntuples(result.raw()));
//
// Thread-safety: a PgResult is immutable once received; it may be read from any thread.
#pragma once

#include <libpq-fe.h>

#include <utility>

namespace courier::pg::detail {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* raw) : raw_(raw) {}
  PgResult(PgResult&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  PgResult& operator=(PgResult&& other) noexcept {
    std::swap(raw_, other.raw_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(raw_); }

  explicit operator bool() const { return raw_ != nullptr; }
  PGresult* raw() const { return raw_; }
  ExecStatusType status() const { return PQresultStatus(raw_); }

 private:
  PGresult* raw_ = nullptr;
};

}  // namespace courier::pg::detail
