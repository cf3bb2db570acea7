// TablePageSource: a table-sync task's rows as a BatchSource for the PollingCoordinator.
// A record is a page of rows (one TableReader batch); a pass is a run of the task:
//
//   begin_pass  connect, take the task's lease (advisory lock), read the stored checkpoint;
//               a task that refreshes its key clears what a failed run left (KeyRefresh)
//   fetch       the first page after the checkpoint (lookback applied), then page after
//               page, each continuing after the previous one, up to the last page (short,
//               Batch::last), which is handed on even when empty: writing it ends the run;
//               each page is converted here (PageConverter), off the writing thread
//   mark        nothing to do: the applier writes each page's checkpoint with its data
//   end_pass    release the lease; after a failure, start the next pass on a new session
//
//   auto source = std::make_shared<TablePageSource>(task, session, report, {});
//   PollingCoordinator<TablePage> run(source, applier, {.batch_size = 1, .read_ahead = true});
//
// Thread-safety: as a BatchSource: one call at a time (a read-ahead fetch runs on a helper
// thread while the applier writes the previous page; it touches only the Postgres session
// and the page converter).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "courier/source.h"
#include "pg_to_redis/run_report.h"
#include "pg_to_redis/table_page.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_lease.h"
#include "pg_to_redis/task_session.h"
#include "pg_to_redis/tracking_cursor.h"

namespace courier::pg_to_redis {

struct TablePageSourceOptions {
  // How long begin_pass() waits for the task's lock when another session holds it; zero:
  // skip the pass at once (the schedule tries again later).
  std::chrono::milliseconds lease_wait{0};
  std::stop_token stop;  // ends a lease wait
};

class TablePageSource final : public BatchSource<TablePage> {
 public:
  // `task`, `session` and `report` must outlive the source; begin_pass() fills in the
  // report's checkpoints and attempts, and says locked_elsewhere when skipping.
  TablePageSource(const TaskConfig& task, TaskSession& session, RunReport& report,
                  TablePageSourceOptions options);

  Result<bool> begin_pass() override;
  Result<std::vector<TablePage>> fetch(size_t max_records) override;
  Status mark(std::span<const TablePage>) override { return Status::Ok(); }
  void end_pass(const Status& outcome) override;

 private:
  Result<bool> begin();  // begin_pass() but for cleaning up after a failure
  // The task's lease, waiting up to lease_wait; nullopt: held elsewhere.
  Result<std::optional<TaskLease>> acquire_lease();

  const TaskConfig& task_;
  TaskSession& session_;
  RunReport& report_;
  TablePageSourceOptions options_;

  PageConverter converter_;
  std::optional<TaskLease> lease_;
  std::optional<TrackingCursor> checkpoint_;  // where the pass's first page starts
  std::optional<TrackingCursor> after_;       // where the next page starts
  bool first_page_ = true;
  bool drained_ = false;  // the last page was read
};

}  // namespace courier::pg_to_redis
