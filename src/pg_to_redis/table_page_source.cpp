#include "pg_to_redis/table_page_source.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "courier/clock.h"
#include "pg_to_redis/schema_check.h"

namespace courier::pg_to_redis {

TablePageSource::TablePageSource(const TaskConfig& task, TaskSession& session, RunReport& report,
                                 TablePageSourceOptions options)
    : task_(task),
      session_(session),
      report_(report),
      options_(std::move(options)),
      converter_(task, session) {}

Result<std::optional<TaskLease>> TablePageSource::acquire_lease() {
  const auto give_up = std::chrono::steady_clock::now() + options_.lease_wait;
  for (;;) {
    auto lease = TaskLease::try_acquire(session_.postgres(), task_.name);
    if (!lease.ok() || *lease || std::chrono::steady_clock::now() >= give_up) return lease;
    if (!system_clock()->wait_for(std::chrono::milliseconds(100), options_.stop)) return lease;
  }
}

Result<bool> TablePageSource::begin_pass() {
  Result<bool> begun = begin();
  // The coordinator ends only passes that began: a failure half-way (the lease taken, the
  // checkpoint unreadable) is cleaned up here.
  if (!begun.ok()) end_pass(begun.status());
  return begun;
}

Result<bool> TablePageSource::begin() {
  report_.attempts += 1;
  first_page_ = true;
  drained_ = false;
  checkpoint_.reset();
  after_.reset();
  if (Status connected = session_.connect(); !connected.ok()) return connected;
  auto lease = acquire_lease();
  if (!lease.ok()) return lease.status();
  if (!*lease) {
    report_.locked_elsewhere = true;
    return false;
  }
  lease_.emplace(std::move(**lease));

  auto stored = session_.writer().read_checkpoint();
  if (!stored.ok()) return stored.status();
  if (report_.attempts == 1) report_.checkpoint_before = *stored;
  report_.checkpoint_after = *stored;
  if (task_.tracking && stored->has_value()) {
    auto decoded = TrackingCursor::decode(**stored, session_.writer().checkpoint_key());
    if (!decoded.ok()) return decoded.status();
    checkpoint_ = std::move(*decoded);
  }
  if (KeyRefresh* refresh = session_.refresh()) {
    if (Status cleared = refresh->begin_run(); !cleared.ok()) return cleared;
  }
  return true;
}

Result<std::vector<TablePage>> TablePageSource::fetch(size_t) {
  if (drained_) return std::vector<TablePage>{};
  Result<Batch> page = first_page_ ? session_.reader().first_batch(checkpoint_)
                                   : session_.reader().next_batch(after_);
  if (!page.ok()) return explain_undefined_column(session_.postgres(), task_, page.status());
  first_page_ = false;
  drained_ = page->last;
  after_ = page->after;
  Result<TablePage> converted = converter_.convert(std::move(*page));
  if (!converted.ok()) return converted.status();
  return std::vector<TablePage>{std::move(*converted)};
}

void TablePageSource::end_pass(const Status& outcome) {
  if (lease_) {
    // A failed unlock leaves the lock with the session; the reset below ends that session.
    if (Status released = lease_->release(); !released.ok() && outcome.ok()) {
      spdlog::warn("task {}: releasing the task's lock failed ({}); reconnecting to free it",
                   task_.name, released.to_string());
      session_.reset_after_failure();
    }
    lease_.reset();
  }
  if (!outcome.ok()) session_.reset_after_failure();
}

}  // namespace courier::pg_to_redis
