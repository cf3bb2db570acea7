// TaskRunner: a table-sync task on the core library's PollingCoordinator. A run (a pass)
// leases the task (advisory lock), reads the checkpoint, then page after page reads rows
// after the cursor, converts them and writes them with the new checkpoint in one atomic
// unit, until the table is drained (TablePageSource → TablePageApplier). The next page is
// read while the current one is written.
//
//   TaskRunner runner(task, pg_options, redis_options, {.stop = stop.token()});
//   RunOutcome outcome = runner.run();      // one run now (`courier once`)
//   // or: runner.start() runs at once, then whenever options.until_next_run says; stop()
//   if (!outcome.status.ok()) log(outcome.status.to_string());  // report has what was done
//
// A run that fails for a reason that may pass (Postgres or Redis restarting, connection
// lost, a Redis error caused by the server's state: MISCONF, OOM, READONLY, one we do not
// know) is retried from the stored checkpoint with capped exponential backoff (the
// coordinator's pass_retry), so nothing is skipped and (for list/stream) nothing written
// twice; a permanent failure (bad SQL in `where`, a missing table, WRONGTYPE on the key of a
// single-key task, NOPERM) ends the run at once with the error, the checkpoint where it was.
// Rows at fault are parked in the task's dead-letter stream and the run goes on
// (TablePageApplier).
//
// Connections: the runner owns one Postgres session and one Redis client (TaskSession),
// opened at the first run and kept between runs (re-established after a failure).
//
// Thread-safety: run() from one thread at a time, never while started; start() and stop()
// from one thread. on_batch and on_run are called on the thread that runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

#include "courier/clock.h"
#include "courier/polling_coordinator.h"
#include "courier/retry.h"
#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg_to_redis/run_report.h"
#include "pg_to_redis/table_page_applier.h"
#include "pg_to_redis/table_page_source.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_session.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

struct TaskRunnerOptions {
  bool cluster = false;  // the Redis target is a cluster (checkpoint kept in the data's slot)
  // Retries of a run that failed retryably. The default rides out a server restart of
  // about a minute; after that the run fails and the next scheduled run tries again.
  RetryPolicy retry{.max_attempts = 8,
                    .initial_delay = std::chrono::milliseconds(250),
                    .max_delay = std::chrono::seconds(15)};
  std::stop_token stop;  // ends a run after the page in flight, and any backoff wait
  // How long a run waits for the task's lock when another session holds it; zero: skip at
  // once (the scheduler tries again at the next tick). `courier once` waits, so that the
  // lock of a process that just died (its session not yet ended) does not skip the task.
  std::chrono::milliseconds lease_wait{0};
  std::function<void(const RunReport&)> on_batch;  // progress, after every page written
  // For start(): after a run, and after each wait, how long to wait still before the next
  // run (zero or less: run now). Unset: every 5 s.
  std::function<Duration()> until_next_run;
  std::function<void(const RunOutcome&)> on_run;  // after every run (optional)
};

class TaskRunner {
 public:
  // `task` must outlive the runner.
  TaskRunner(const TaskConfig& task, pg::ConnectionOptions postgres, redis::ClientOptions redis,
             TaskRunnerOptions options = {});
  // Sessions from `connectors` (unit tests give fakes).
  TaskRunner(const TaskConfig& task, TaskConnectors connectors, TaskRunnerOptions options = {});
  ~TaskRunner();  // stops

  // One run on the caller's thread. kFailedPrecondition when stopped or started.
  RunOutcome run();
  // Runs at once and then on the schedule (options.until_next_run), on a thread of its own.
  Status start();
  // Ends a run after the page in flight (or a backoff wait), joins; idempotent.
  void stop();

 private:
  void on_pass(const PassReport& pass);
  static Status run_status(const PassReport& pass);

  const TaskConfig& task_;
  TaskRunnerOptions options_;
  StopSignal stop_;  // stop() or options.stop: ends lease waits
  TaskSession session_;
  RunReport report_;  // of the run in progress; handed to on_run and reset when it ends
  std::shared_ptr<TablePageSource> source_;
  std::shared_ptr<TablePageApplier> applier_;
  RunOutcome last_outcome_;
  std::unique_ptr<PollingCoordinator<TablePage>> coordinator_;
  std::optional<std::stop_callback<std::function<void()>>> stop_when_asked_;  // last
};

}  // namespace courier::pg_to_redis
