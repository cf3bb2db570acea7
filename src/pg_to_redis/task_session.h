// TaskSession: the connections one table-sync task's runs use — a Postgres session, a
// Redis client, and what depends on them (the planned reader, the structure writer, the
// task's dead-letter stream). Opened at the first run, kept between runs, re-established
// after a failure.
//
//   TaskSession session(task, pg_options, redis_options, /*cluster=*/false);
//   if (Status up = session.connect(); !up.ok()) return up;
//   auto batch = session.reader().first_batch(checkpoint);
//
// Thread-safety: one run at a time; during a run the reader (the Postgres session) is
// used by one thread and the writer (Redis) by another.
#pragma once

#include <memory>
#include <optional>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/status.h"
#include "pg/connection.h"
#include "pg/connection_options.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

class TaskSession {
 public:
  // `task` must outlive the session.
  TaskSession(const TaskConfig& task, pg::ConnectionOptions postgres, redis::ClientOptions redis,
              bool cluster);
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
  pg::Connection& postgres() { return *postgres_; }
  TableReader& reader() { return *reader_; }
  StructureWriter& writer() { return *writer_; }
  RedisStreamDeadLetterStore& dead_letters() { return *dead_letters_; }

 private:
  const TaskConfig& task_;
  pg::ConnectionOptions postgres_options_;
  redis::ClientOptions redis_options_;
  bool cluster_;

  std::unique_ptr<pg::Connection> postgres_;
  std::unique_ptr<redis::Client> redis_;
  std::optional<TableReader> reader_;
  std::unique_ptr<StructureWriter> writer_;
  std::unique_ptr<RedisStreamDeadLetterStore> dead_letters_;
  unsigned generation_ = 0;
};

}  // namespace courier::pg_to_redis
