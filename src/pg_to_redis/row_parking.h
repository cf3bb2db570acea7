// RowParking: where a table-sync task puts the rows it cannot write — its dead-letter
// stream (TaskConfig::dead_letter_key) — each letter with the task, table, primary key,
// the reason and the row, and a log line per row. Polled pages and captured changes park
// the same way.
//
//   RowParking parking(task, session.dead_letters());
//   std::vector<DeadLetter> letters{parking.letter("id=7", "score is NULL",
//                                                  StatusCode::kInvalidArgument, "", json)};
//   if (Status parked = parking.park(std::move(letters)); !parked.ok()) return parked;
//
// Thread-safety: as the dead-letter store (one thread at a time).
#pragma once

#include <string>
#include <vector>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/status.h"
#include "pg/result.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {

// A row as Postgres returned it (one that could not be converted), as a JSON object.
std::string source_row_json(const pg::QueryResult& rows, int row);
// A row as it was to be written to Redis (field names as the task names them).
std::string sync_row_json(const SyncRow& row);

class RowParking {
 public:
  // `task` and `store` must outlive this.
  RowParking(const TaskConfig& task, RedisStreamDeadLetterStore& store)
      : task_(task), store_(store) {}

  DeadLetter letter(std::string primary_key, std::string reason, StatusCode code,
                    std::string detail, std::string payload) const;
  // Sends the letters and logs each one; the store's error, saying the rows could not be
  // parked, so the caller keeps its position before them.
  Status park(std::vector<DeadLetter> letters);

 private:
  const TaskConfig& task_;
  RedisStreamDeadLetterStore& store_;
};

}  // namespace courier::pg_to_redis
