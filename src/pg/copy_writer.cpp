#include "pg/copy_writer.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "pg/detail/libpq_connection.h"
#include "pg/errors.h"
#include "pg/result.h"

namespace courier::pg {
namespace {

// Largest piece handed to one PQputCopyData call (its length is an int).
constexpr size_t kMaxPutBytes = 1 << 20;

Status not_active() {
  return Status(StatusCode::kFailedPrecondition,
                "the COPY has already been finished or aborted; start a new one");
}

}  // namespace

CopyWriter::CopyWriter(detail::LibpqConnection& link) : link_(&link) {
  link.set_busy(true);
  buffer_.reserve(kFlushBytes + kFlushBytes / 4);
}

CopyWriter::CopyWriter(CopyWriter&& other) noexcept
    : link_(std::exchange(other.link_, nullptr)), buffer_(std::move(other.buffer_)) {}

CopyWriter::~CopyWriter() {
  abort();
}

Status CopyWriter::write_row(std::span<const CopyField> fields) {
  if (link_ == nullptr) return not_active();
  append_copy_row(buffer_, fields);
  return flush_if_full();
}

Status CopyWriter::write_row(std::initializer_list<CopyField> fields) {
  return write_row(std::span<const CopyField>(fields.begin(), fields.size()));
}

Status CopyWriter::write_text(std::string_view lines) {
  if (link_ == nullptr) return not_active();
  buffer_.append(lines);
  return flush_if_full();
}

Status CopyWriter::flush() {
  std::string_view pending = buffer_;
  while (!pending.empty()) {
    size_t piece = std::min(pending.size(), kMaxPutBytes);
    if (PQputCopyData(link_->raw(), pending.data(), static_cast<int>(piece)) != 1) {
      buffer_.clear();
      return fail(link_->error_from_connection("sending COPY data"));
    }
    pending.remove_prefix(piece);
  }
  buffer_.clear();
  return Status::Ok();
}

Result<int64_t> CopyWriter::finish() {
  if (link_ == nullptr) return not_active();
  if (Status flushed = flush(); !flushed.ok()) return flushed;
  return end_copy(nullptr);
}

void CopyWriter::abort() {
  if (link_ == nullptr) return;
  buffer_.clear();
  (void)end_copy("aborted by the client");
}

Result<int64_t> CopyWriter::end_copy(const char* abort_reason) {
  detail::LibpqConnection& link = *std::exchange(link_, nullptr);
  link.set_busy(false);
  bool ended = PQputCopyEnd(link.raw(), abort_reason) == 1;
  detail::PgResult result = link.next_result();
  Result<int64_t> outcome = Status(StatusCode::kInternal, "the COPY ended without a result");
  if (result && result.status() == PGRES_COMMAND_OK) {
    outcome =
        QueryResult(std::make_shared<const detail::PgResult>(std::move(result))).affected_rows();
  } else if (result && result.status() == PGRES_FATAL_ERROR) {
    outcome = link.error_from_result(result);
  } else if (!ended) {
    outcome = link.error_from_connection("ending the COPY");
  }
  link.discard_pending_results();
  return outcome;
}

Status CopyWriter::fail(Status cause) {
  Result<int64_t> ended = end_copy("the client could not send all rows");
  // A server error (a bad row sent earlier) explains more than the failed write.
  if (!ended.ok() && ended.status().detail() != sqlstate::kQueryCanceled) {
    return ended.status();
  }
  return cause;
}

}  // namespace courier::pg
