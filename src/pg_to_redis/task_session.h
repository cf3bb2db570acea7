// TaskSession: the connections one table-sync task's runs use — a Postgres session, a
// Redis client, and what depends on them (the planned reader, the structure writer, the
// task's dead-letter stream, and the KeyRefresh of a task that makes its key exact). Opened
// at the first run, kept between runs, re-established after a failure.
//
//   TaskSession session(task, TaskConnectors::to(pg_options, redis_options), /*cluster=*/false);
//   if (Status up = session.connect(); !up.ok()) return up;
//   auto batch = session.reader().first_batch(checkpoint);
//
// The sessions come from TaskConnectors: the real servers, or fakes in unit tests.
//
// Thread-safety: one run at a time; during a run the reader (the Postgres session) is
// used by one thread and the writer (Redis) by another.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/session.h"
#include "pg_to_redis/key_refresh.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

// How a task opens its sessions; each call opens a new one.
struct TaskConnectors {
  std::function<Result<std::unique_ptr<pg::Session>>()> postgres;
  std::function<Result<std::unique_ptr<redis::Client>>()> redis;

  // The servers the options name (pg::Connection::open, redis::make_client).
  static TaskConnectors to(pg::ConnectionOptions postgres, redis::ClientOptions redis);
};

class TaskSession {
 public:
  // `task` must outlive the session.
  TaskSession(const TaskConfig& task, TaskConnectors connectors, bool cluster);
  ~TaskSession();

  // Opens what is not open yet (and plans the reader on a new Postgres session).
  Status connect();
  // After a failure: the next connect() starts on a new Postgres session with a freshly
  // planned reader. The writer keeps its own state: it knows whether it must read the
  // checkpoint back before writing again.
  void reset_after_failure();
  // Counts reset_after_failure() calls: what was derived from an older session's results
  // (a row converter built from its column types) is rebuilt when this moved.
  unsigned generation() const { return generation_; }

  // Valid after a successful connect().
  pg::Session& postgres() { return *postgres_; }
  TableReader& reader() { return *reader_; }
  StructureWriter& writer() { return *writer_; }
  RedisStreamDeadLetterStore& dead_letters() { return *dead_letters_; }
  // nullptr unless refreshes_key(task): where the run's pages go, and how a run ends.
  KeyRefresh* refresh() { return refresh_.get(); }

 private:
  // Once per task: rows with a NULL tracking value are never read, say so in the log.
  void warn_of_null_tracking_values();

  const TaskConfig& task_;
  TaskConnectors connectors_;
  bool cluster_;

  std::unique_ptr<pg::Session> postgres_;
  std::unique_ptr<redis::Client> redis_;
  std::optional<TableReader> reader_;
  std::unique_ptr<StructureWriter> writer_;
  std::unique_ptr<RedisStreamDeadLetterStore> dead_letters_;
  std::unique_ptr<KeyRefresh> refresh_;
  unsigned generation_ = 0;
  bool null_tracking_checked_ = false;
};

}  // namespace courier::pg_to_redis
