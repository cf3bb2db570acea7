// TableSync: the table-sync pipeline as `courier run` runs it — one TaskRunner (a polling
// coordinator, one thread) per task, each running its task at start-up and then on its
// schedule, never overlapping itself, with
// per-run logs, metrics on /metrics and a health check per task on /health.
//
//   TableSync sync(tasks, {.postgres = pg_options, .redis = redis_options});
//   sync.attach(server);  // metrics and a health check per task
//   if (Status s = sync.start(); !s.ok()) fail(s);
//   ... sync.stop();   // finishes the batch in flight, then returns
//
// Several courier processes may run the same tasks: each run takes the task's advisory
// lock (TaskLease), so one process runs it and the others log "locked elsewhere" and wait
// for their next tick — when the holder dies, the next tick of another process takes over.
//
// Thread-safety: start() and stop() from one thread; stop() is idempotent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "component.h"
#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_runner.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

struct TableSyncOptions {
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  bool cluster = false;  // the Redis target is a cluster
};

// One line per run, for logs: "task orders: 1200 rows read, 1200 written, 0 skipped in 2
// batches, checkpoint ["…","41"] -> ["…","1241"], 0.35s".
std::string describe_run(const std::string& task, const RunOutcome& outcome);

class TableSync final : public Component {
 public:
  TableSync(std::vector<TaskConfig> tasks, TableSyncOptions options);
  ~TableSync() override;  // stops

  std::string name() const override { return "table sync"; }
  // Remembers the server: start() registers each task's metrics and health check there.
  void attach(http::HttpServer& server) override { server_ = &server; }
  // Checks every schedule, registers metrics and health checks, starts the task threads.
  // kInvalidArgument naming the task when a schedule does not parse.
  Status start() override;
  void stop() override;

 private:
  class ScheduledTask;

  std::vector<TaskConfig> tasks_;
  TableSyncOptions options_;
  http::HttpServer* server_ = nullptr;
  std::vector<std::unique_ptr<ScheduledTask>> tasks_running_;
};

}  // namespace courier::pg_to_redis
