// CopyWriter: feeds rows to a running `COPY ... FROM STDIN` (text format), buffering them
// into large writes, and reports how many rows the server stored.
//
//   auto writer = conn.begin_copy_in("COPY items (id, doc) FROM STDIN");
//   for (const Item& item : items) writer->write_row({item.id, item.doc});  // check Status
//   courier::Result<int64_t> stored = writer->finish();
//
// While a writer is active its Connection refuses other statements (kFailedPrecondition).
// A writer destroyed before finish() aborts the COPY: the server keeps none of its rows.
// Thread-safety: none; use a writer from the thread that uses its Connection. The
// Connection must outlive the writer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "pg/copy_text.h"

namespace courier::pg {

namespace detail {
class LibpqConnection;
}

class CopyWriter {
 public:
  // Bytes buffered before they are handed to libpq in one write.
  static constexpr size_t kFlushBytes = 256 * 1024;

  explicit CopyWriter(detail::LibpqConnection& link);
  CopyWriter(CopyWriter&& other) noexcept;
  CopyWriter& operator=(CopyWriter&&) = delete;
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;
  ~CopyWriter();

  // One row; each field is escaped into COPY text format, std::nullopt becomes NULL.
  Status write_row(std::span<const CopyField> fields);
  Status write_row(std::initializer_list<CopyField> fields);
  // Data already in COPY text format: whole lines, each ended by '\n'.
  Status write_text(std::string_view lines);

  // Sends what is buffered, ends the COPY and returns the number of rows stored. Errors
  // in the data (bad value, constraint violation) surface here with their SQLSTATE.
  Result<int64_t> finish();
  // Ends the COPY so that the server discards every row; the connection stays usable.
  void abort();

  bool active() const { return link_ != nullptr; }

 private:
  Status flush_if_full() { return buffer_.size() >= kFlushBytes ? flush() : Status::Ok(); }
  Status flush();
  // Ends the COPY (aborting it when `abort_reason` is set) and reads the server's verdict.
  Result<int64_t> end_copy(const char* abort_reason);
  // Aborts the COPY after a failed write and returns the most telling error.
  Status fail(Status cause);

  detail::LibpqConnection* link_;  // null once finished, aborted or moved from
  std::string buffer_;
};

}  // namespace courier::pg
