// TaskRunner: one run of a table-sync task, start to finish — lease the task (advisory
// lock), read the checkpoint, then batch after batch: read rows after the cursor, convert
// them, write them with the new checkpoint in one atomic unit, until the table is drained.
//
//   TaskRunner runner(task, pg_options, redis_options, {.stop = stop.token()});
//   RunOutcome outcome = runner.run();
//   if (!outcome.status.ok()) log(outcome.status.to_string());  // report has what was done
//
// A run that fails for a reason that may pass (Postgres or Redis restarting, connection
// lost, a Redis error caused by the server's state: MISCONF, OOM, READONLY, one we do not
// know) is retried from the stored checkpoint with capped exponential backoff, so nothing
// is skipped and (for list/stream) nothing written twice; a permanent failure (bad SQL in
// `where`, a missing table, WRONGTYPE on the key of a single-key task, NOPERM) ends the
// run at once with the error, the checkpoint where it was.
// Rows at fault — a value that cannot be converted, a row Redis refuses for its own key or
// value (WRONGTYPE on a hash task's row key) — are parked in the task's dead-letter stream
// (TaskConfig::dead_letter_key) with the task, table, primary key, reason and the row,
// logged, and left out; the run goes on. They are parked before the checkpoint moves past
// them: if the dead-letter stream cannot be written, the batch fails retryably instead.
//
// Connections: the runner owns one Postgres session and one Redis client, opened at the
// first run and kept between runs (re-established after a failure).
//
// Thread-safety: one thread at a time per runner (the scheduler gives each task one thread);
// during a run the next batch is read on a short-lived helper thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/retry.h"
#include "courier/status.h"
#include "pg/connection.h"
#include "pg/connection_options.h"
#include "pg_to_redis/row_converter.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_lease.h"
#include "redis/client.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

// What one run did (also filled in, as far as it got, when the run failed).
struct RunReport {
  size_t batches = 0;
  size_t rows_fetched = 0;
  size_t rows_written = 0;
  size_t rows_skipped = 0;  // not convertible, or refused by Redis; each one dead-lettered
  size_t attempts = 0;      // 1 unless retryable failures made the run start again
  std::optional<std::string> checkpoint_before;  // stored when the run began; nullopt: none
  std::optional<std::string> checkpoint_after;   // stored when the run ended
  // The newest tracking value written, as Unix seconds (time tracking columns with ">").
  std::optional<double> newest_tracked_seconds;
  std::chrono::milliseconds duration{0};
  bool locked_elsewhere = false;  // another courier process holds the task: nothing done
  bool stopped = false;           // shutdown asked for before the table was drained
};

struct RunOutcome {
  Status status;
  RunReport report;
};

struct TaskRunnerOptions {
  bool cluster = false;  // the Redis target is a cluster (checkpoint kept in the data's slot)
  // Retries of a run that failed retryably. The default rides out a server restart of
  // about a minute; after that the run fails and the next scheduled run tries again.
  RetryPolicy retry{.max_attempts = 8,
                    .initial_delay = std::chrono::milliseconds(250),
                    .max_delay = std::chrono::seconds(15)};
  std::stop_token stop;  // ends a run after the batch in flight, and any backoff wait
  // How long a run waits for the task's lock when another session holds it; zero: skip at
  // once (the scheduler tries again at the next tick). `courier once` waits, so that the
  // lock of a process that just died (its session not yet ended) does not skip the task.
  std::chrono::milliseconds lease_wait{0};
  std::function<void(const RunReport&)> on_batch;  // progress, after every batch written
};

class TaskRunner {
 public:
  // `task` must outlive the runner.
  TaskRunner(const TaskConfig& task, pg::ConnectionOptions postgres, redis::ClientOptions redis,
             TaskRunnerOptions options = {});
  ~TaskRunner();

  RunOutcome run();

 private:
  // One attempt: from the stored checkpoint until drained, stopped or failed.
  Status attempt(RunReport& report);
  Status connect();
  // The task's lease, waiting up to options_.lease_wait; nullopt: held elsewhere.
  Result<std::optional<TaskLease>> acquire_lease();
  Status write_batch(const Batch& batch, RunReport& report);
  // Sends `letters` to the task's dead-letter stream and logs each one.
  Status park(std::vector<DeadLetter> letters);
  // Drops what depends on the Postgres session after a failure, so the next attempt starts
  // from a fresh session (session settings, primary key, planned query).
  void reset_after_failure();

  const TaskConfig& task_;
  pg::ConnectionOptions postgres_options_;
  redis::ClientOptions redis_options_;
  TaskRunnerOptions options_;

  std::unique_ptr<pg::Connection> postgres_;
  std::unique_ptr<redis::Client> redis_;
  std::optional<TableReader> reader_;
  std::optional<RowConverter> converter_;
  std::unique_ptr<StructureWriter> writer_;
  std::unique_ptr<RedisStreamDeadLetterStore> dead_letters_;
  std::optional<int> tracking_column_;  // index in the result, for newest_tracked_seconds
};

}  // namespace courier::pg_to_redis
