// snapshot_table: the first copy of a `capture: wal` task's table, made so that the change
// stream continues it exactly. A temporary replication slot is created only for its
// exported snapshot and consistent point; the table is read in that snapshot (keyset pages
// by primary key, `where` applied, the next page read while one is written: two pages in
// memory) and written by the task's ordinary
// writer, rows at fault parked as in polling. Every transaction that committed before the
// consistent point is in the copy, and every one after it comes through the main slot, so
// the capture skips the task's changes committed before that point and applies the rest.
//
//   auto copied = snapshot_table(task, {.postgres = pg, .redis = redis}, stop, on_progress);
//   if (copied.ok()) applier_options.snapshot_lsns[task.name] = copied->consistent_point;
//
// A snapshot that fails or is stopped is started again from the beginning next time: its
// rows are written again (the same values for map, set, sorted_set, hash and string). A
// list or stream would get the rows copied before the failure a second time, so the caller
// first records where the structure ended (append_mark) and, before copying again,
// removes what the unfinished copy appended (undo_partial_snapshot).
//
// Thread-safety: a free function; runs on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/replication_messages.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

struct SnapshotConnections {
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  bool cluster = false;
};

struct SnapshotProgress {
  uint64_t rows = 0;            // rows read so far
  uint64_t estimated_rows = 0;  // the table's size by the planner's statistics (0: unknown)
  std::chrono::steady_clock::duration elapsed{};
};

struct SnapshotOutcome {
  pg::Lsn consistent_point = 0;  // the task's changes committed before it are in the copy
  uint64_t rows = 0;
  uint64_t rows_parked = 0;
};

// Where a list or stream task's structure ends before its snapshot: the stream's last
// entry id ("0-0" when empty), the list's length. Empty for the other structures.
Result<std::string> append_mark(redis::Client& client, const TaskConfig& task);
// Removes what a snapshot that did not finish appended after `mark` (append_mark's text):
// the stream's entries after that id, the list's head entries beyond that length (a
// max_length trim in between can make it remove fewer). Safe to run again.
Status undo_partial_snapshot(redis::Client& client, const TaskConfig& task,
                             std::string_view mark);

// Copies the task's table; `on_progress` is told after every page. kCancelled when `stop`
// was requested between pages.
Result<SnapshotOutcome> snapshot_table(const TaskConfig& task, const SnapshotConnections& to,
                                       std::stop_token stop,
                                       const std::function<void(const SnapshotProgress&)>& on_progress);

}  // namespace courier::pg_to_redis
