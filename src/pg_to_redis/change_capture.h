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
//      Redis (hash courier:changes:<slot>, a SnapshotMark per task) so a restart does not
//      copy it again; a copy that stopped half way goes on from its last page (map, set,
//      sorted_set, hash, string) or is undone and started again (list, stream). Tasks
//      copied before keep streaming meanwhile, the slot's confirmed LSN held back so that
//      the new tasks' changes stay in the slot;
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
#include <optional>
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

namespace courier::pg {
class Connection;
}  // namespace courier::pg
namespace courier::redis {
class Client;
}  // namespace courier::redis

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

// A replication slot as pg_replication_slots shows it: how much WAL it holds back (current
// WAL position minus its confirmed LSN), whether a process streams from it, and its
// wal_status ("reserved", "extended", "unreserved" or "lost": the WAL it needs is gone).
struct SlotLag {
  int64_t bytes = 0;
  std::string confirmed_lsn;
  bool active = false;
  std::string wal_status;
};

// The slot named `slot` in the connection's database; nullopt when there is none. What the
// capture's watch reads every status interval, and what `courier status` shows.
Result<std::optional<SlotLag>> read_slot_lag(pg::Connection& db, const std::string& slot);

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

  struct ChangeStream;

  void run(std::stop_token stop);
  // One cycle: lock, prepare, snapshot, stream; returns when stopped or on a failure.
  Status run_once(std::stop_token stop);
  // Creates or alters the publication, creates the slot when it is missing (forgetting
  // the snapshot marks of an earlier slot).
  Status prepare_publication_and_slot(pg::Connection& db, redis::Client& client);
  // The snapshot marks of the file's tasks (marks of tasks gone from the file are removed).
  Result<std::map<std::string, SnapshotMark>> read_snapshot_marks(redis::Client& client);
  // How far the stream of the tasks copied before may confirm while `to_copy` are copied:
  // the current WAL position, or a resumed copy's first point when that is earlier.
  Result<pg::Lsn> confirm_limit(pg::Connection& db, const std::vector<const TaskConfig*>& to_copy,
                                const std::map<std::string, SnapshotMark>& marks);
  // Copies `tasks` (resuming, or undoing an unfinished list or stream copy, as their marks
  // say), storing each one's progress and point; adds their points to `copied`.
  Status copy_tasks(redis::Client& client, const std::vector<const TaskConfig*>& tasks,
                    const std::map<std::string, SnapshotMark>& marks, std::stop_token stop,
                    std::map<std::string, pg::Lsn>& copied);
  // Streams changes to `tasks` (confirming no further than `confirm_limit`, 0: no limit).
  Result<std::unique_ptr<ChangeStream>> start_stream(const std::vector<const TaskConfig*>& tasks,
                                                     const std::map<std::string, pg::Lsn>& copied,
                                                     pg::Lsn confirm_limit);
  // Records metrics and the slot's lag every status interval until stopped, the stream
  // fails, or the lock's session is lost.
  Status watch(pg::Connection& db, ChangeStream& stream, std::stop_token stop);
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
