// ChangeCapture: the tasks with `capture: wal` as `courier run` runs them — one logical
// replication slot for all of them, read by one process at a time.
//
//   ChangeCapture capture(wal_tasks, {.postgres = pg, .redis = redis, .changes = changes});
//   capture.attach(server);   // metrics and the "changes" health check
//   capture.start();  ...  capture.stop();
//
// On its thread, over and over until stopped:
//   1. take the slot's advisory lock (TaskLease "changes:<slot>") on a session of its own;
//      when another process holds it, wait as a standby and try again every few seconds —
//      the holder's death frees the lock, and the standby resumes from the confirmed LSN;
//   2. create or alter the publication to cover exactly the tasks' tables (`where` becomes
//      the table's row filter), create the slot if it is missing;
//   3. copy each task not copied yet (snapshot_table), remembering the snapshot's point in
//      Redis (hash courier:changes:<slot>, task → LSN) so a restart does not copy it again;
//      a list or stream task's copy that did not finish is undone before it starts again;
//   4. stream: a StreamingCoordinator over WalChangeSource and ChangeApplier, one worker,
//      while the lag (bytes of WAL the slot holds back, seconds since its confirmed LSN
//      last moved) is read every status interval on the lock's session. Losing that
//      session stops the stream at once: the lock, and the slot, may pass to another.
// A failure anywhere is logged, shown on /health, and the cycle starts again after a
// backoff (1 s doubling to 30 s).
//
// Metrics (label `slot`): courier_changes_active (1 streaming, 0 standby),
// courier_changes_lag_bytes, courier_changes_lag_seconds,
// courier_changes_total{result="written|skipped|parked"}, and
// courier_changes_snapshot_rows{task} (rows copied by the task's snapshot).
//
// Thread-safety: start() and stop() from one thread; the health check from any.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component.h"
#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg_to_redis/changes_config.h"
#include "pg_to_redis/table_snapshot.h"
#include "pg_to_redis/task_config.h"
#include "redis/options.h"

namespace prometheus {
class Gauge;
class Counter;
}  // namespace prometheus

namespace courier::pg_to_redis {

struct ChangeCaptureOptions {
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  bool cluster = false;
  ChangesConfig changes;
};

// The Redis hash where the tasks' snapshots are remembered (task → consistent LSN):
// "courier:changes:<slot>". Forgetting it makes the next start copy every table again.
std::string snapshot_marks_key(const std::string& slot);

// The publication's table list for `tasks`: each table once, with its `where` as a row
// filter. kInvalidArgument when two tasks of one table have different `where`s (a table is
// in a publication once, with one filter).
Result<std::string> publication_tables(const std::vector<TaskConfig>& tasks);

class ChangeCapture final : public Component {
 public:
  ChangeCapture(std::vector<TaskConfig> tasks, ChangeCaptureOptions options);
  ~ChangeCapture() override;

  std::string name() const override { return "change capture"; }
  void attach(http::HttpServer& server) override;
  // Checks the publication's table list, then starts the thread.
  Status start() override;
  void stop() override;

 private:
  struct Metrics;

  void run(std::stop_token stop);
  // One cycle: lock, prepare, snapshot, stream; returns when stopped or on a failure.
  Status run_once(std::stop_token stop);
  // Copies each task not copied yet (undoing what an unfinished copy of a list or stream
  // appended); every task's snapshot LSN.
  Result<std::map<std::string, pg::Lsn>> snapshot_new_tasks(redis::Client& client,
                                                            std::stop_token stop);
  // Keeps the snapshot metric and logs a progress line every five seconds.
  std::function<void(const SnapshotProgress&)> progress_logger(const std::string& task);
  http::HealthReport health() const;
  void set_state(std::string state, Status error);

  std::vector<TaskConfig> tasks_;
  ChangeCaptureOptions options_;
  std::string table_list_;
  std::unique_ptr<Metrics> metrics_;
  std::atomic<int64_t> lag_bytes_{0};

  mutable std::mutex mutex_;
  std::string state_ = "starting";  // guarded: "standby", "snapshot of task x", "streaming"
  Status last_error_;               // guarded

  std::jthread thread_;
};

}  // namespace courier::pg_to_redis
