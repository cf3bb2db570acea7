// snapshot_table: the first copy of a `capture: wal` task's table, made so that the change
// stream continues it exactly. A temporary replication slot is created only for its
// exported snapshot and consistent point; the table is read in that snapshot (keyset pages
// by primary key, `where` applied, the next page read while one is written: two pages in
// memory) and written by the task's ordinary
// writer, rows at fault parked as in polling. Every transaction that committed before the
// consistent point is in the copy, and every one after it comes through the main slot, so
// the capture skips the task's changes committed before that point and applies the rest.
//
//   auto copied = snapshot_table(task, {.postgres = pg, .redis = redis}, std::nullopt, stop,
//                                on_progress);
//   if (copied.ok()) applier_options.snapshot_lsns[task.name] = copied->consistent_point;
//
// A snapshot that fails or is stopped goes on from where it stopped when the structure
// allows it. Map, set, sorted_set, hash and string are resumable: the caller keeps the
// cursor after each written page (SnapshotProgress::after) with the first attempt's
// consistent point, and passes the cursor back as `resume_after`; the rest of the table is
// read in a new snapshot, and the stream replays every change from the FIRST point on,
// which brings the rows of both parts to their latest values (writing a row's changes
// again in order ends where the table is). A list or stream would append those changes a
// second time, so they start again from the beginning instead: the caller first records
// where the structure ended (append_mark) and, before copying again, removes what the
// unfinished copy appended (undo_partial_snapshot).
//
// SnapshotMark is how the caller stores that state (one text per task).
//
// Thread-safety: a free function; runs on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <stop_token>

#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/replication_messages.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/tracking_cursor.h"
#include "redis/client.h"
#include "redis/options.h"

namespace courier::pg_to_redis {

struct SnapshotConnections {
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  bool cluster = false;
};

struct SnapshotProgress {
  uint64_t rows = 0;            // rows read so far by this attempt
  uint64_t estimated_rows = 0;  // the table's size by the planner's statistics (0: unknown)
  std::chrono::steady_clock::duration elapsed{};
  pg::Lsn consistent_point = 0;         // this attempt's snapshot
  std::optional<TrackingCursor> after;  // every row up to here is written
};

// Where a task's snapshot stands, as stored between runs:
//   "0/16B3F28"                       done: changes from this LSN on are streamed to it
//   "copying:<append mark>"           a list or stream copy under way (append_mark's text)
//   "resume:0/16B3F28:["42"]"         a resumable copy: rows up to the cursor are written,
//                                     changes from the LSN on will be replayed
struct SnapshotMark {
  enum class State { kDone, kCopying, kResumable };
  State state = State::kDone;
  pg::Lsn lsn = 0;                      // kDone, kResumable
  std::string append_mark;              // kCopying
  std::optional<TrackingCursor> after;  // kResumable

  std::string to_string() const;
  // nullopt for a text none of the three forms (e.g. from an older Courier): copy again.
  static std::optional<SnapshotMark> parse(std::string_view text);
};

// True for the structures whose copy can go on after a failure (see above).
bool resumable_snapshot(Structure structure);

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

// Copies the task's table, or its rows after `resume_after`; `on_progress` is told after
// every written page, and a status it returns other than Ok ends the copy with it.
// kCancelled when `stop` was requested between pages.
using SnapshotProgressHandler = std::function<Status(const SnapshotProgress&)>;
Result<SnapshotOutcome> snapshot_table(const TaskConfig& task, const SnapshotConnections& to,
                                       const std::optional<TrackingCursor>& resume_after,
                                       std::stop_token stop,
                                       const SnapshotProgressHandler& on_progress);

}  // namespace courier::pg_to_redis
