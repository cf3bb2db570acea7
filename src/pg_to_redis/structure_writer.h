// StructureWriter: one batch of converted rows of a table-sync task becomes the Redis
// commands of the task's structure, written together with the task's new checkpoint.
//
//   StructureWriter writer(*client, task, {.cluster = true});
//   Result<WriteReport> report =
//       writer.write({.rows = rows, .checkpoint = "2024-05-01 …"}, park_in_dead_letters);
//   for (const RowError& e : report->skipped) log(task.name, rows[e.row], e.reason);
//
// Contract with the reader: a SyncRow carries each value under the name the task uses
// for it — every name in `fields` (column_map already applied: the field's name, not the
// column's), the `key`, `value` and `score` columns, and each column of the key template.
// A sorted-set score is already text from to_sorted_set_score.
//
// Guarantees (ARCHITECTURE.md, "Guarantees"):
// - map, list, set, sorted_set, stream write to one key: the batch's commands and
//   `SET <checkpoint key> <checkpoint>` go in one MULTI/EXEC, so data and checkpoint
//   advance together — and only if the stored checkpoint is still the one this writer
//   last read or wrote (WATCH, compare, then EXEC): a writer whose task was taken over by
//   another process (which moved the checkpoint on) is refused with kAborted instead of
//   appending a batch twice. On a cluster the checkpoint key is moved into the data key's slot
//   (see checkpoint_key_for). For list and stream, when a write's outcome is unknown
//   (connection lost during EXEC), the checkpoint is read back before anything is re-sent:
//   if it already holds the batch's checkpoint the batch was applied and is not written
//   again — so a list or stream never gets an entry twice. A fresh writer checks the same
//   way before its first write, because the process before it may have died in that
//   window. The other structures are idempotent and simply written again.
// - hash and string write one key per row, spread over many slots, so one transaction
//   cannot hold them: the rows are pipelined first and the checkpoint is set only after
//   every row succeeded. A failure in between re-sends rows already written, which is
//   harmless: HSET/HDEL/SET of the same values are idempotent (at least once, same end
//   state).
// - A row is left out only when it is at fault: it lacks a value the structure needs, or
//   (hash, string) Redis refused it for its own key or value (redis::record_at_fault:
//   WRONGTYPE on its key, a value the command cannot take). Any other refusal — the server's state
//   (MISCONF, OOM, READONLY, an error not known), the setup (NOPERM) — fails the write before the
//   checkpoint moves, so no row is lost behind it. Rows left out are handed to the caller's
//   ParkRows before the checkpoint moves past them; if that fails, the checkpoint stays.
//
// Thread-safety: as the Client (one thread at a time).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/status.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/value_format.h"
#include "redis/client.h"
#include "redis/command.h"

namespace courier::pg_to_redis {

// What a row stands for. Polling reads rows as they are now (kSnapshot); change capture
// also knows how each came to be (docs/change-capture.md, "What each structure does").
enum class RowChangeKind {
  kSnapshot,  // the row as it is: written as polling writes it
  kInsert,
  kUpdate,
  kDelete,    // the row as it was: its values remove what it had put in Redis
  kTruncate,  // the table was emptied: no values
};

// "insert", "update", "delete" ("snapshot" for kSnapshot): a stream entry's `op`.
std::string_view operation_name(RowChangeKind kind);

// One converted row: name → value, in the order the reader produced them.
struct SyncRow {
  using Fields = std::vector<std::pair<std::string, RedisValue>>;
  Fields fields;
  RowChangeKind kind = RowChangeKind::kSnapshot;
  // Names the change did not carry a value for: a TOASTed value an update left unchanged
  // (the stored one stands: a hash keeps its field), or a column outside the replica
  // identity of a delete. A structure that needs one of them cannot write the row.
  std::vector<std::string> unsent;
  // kUpdate: the row before it, when the change carried it (its key changed, or REPLICA
  // IDENTITY FULL), so a row whose key, map field or member changed is moved, not copied.
  std::optional<Fields> before;
  std::vector<std::string> unsent_before;  // as `unsent`, for `before`

  // The value named `name`, or nullptr when the row has none.
  const RedisValue* find(std::string_view name) const;
};

// A batch of rows and the checkpoint that is true once they are all in Redis.
struct WriteBatch {
  std::vector<SyncRow> rows;
  // Opaque text (the tracking cursor's encoding); empty for a task without tracking, which
  // re-reads its whole table every run and stores no checkpoint.
  std::string checkpoint;
};

// A row that was not written, and why (the caller dead-letters it with the task and key).
struct RowError {
  size_t row = 0;      // index in WriteBatch::rows
  std::string reason;  // "missing field 'amount'", "score 'abc' is not a number", ...
  // Redis's refusal: kFailedPrecondition and its prefix ("WRONGTYPE"); a row that could
  // not be built at all is kInvalidArgument with no detail.
  StatusCode code = StatusCode::kInvalidArgument;
  std::string detail;
};

// Sets rows aside (e.g. sends them to the dead letters) before the checkpoint moves past
// them; a failure stops the write with that status, the checkpoint left where it was.
using ParkRows = std::function<Status(const std::vector<RowError>&)>;

struct WriteReport {
  size_t rows_written = 0;
  std::vector<RowError> skipped;  // rows not written; the checkpoint moved past them
  // True when the batch had been applied by an earlier call (its reply lost, or the same
  // batch handed in twice): the stored checkpoint already held it, nothing was written.
  bool already_applied = false;
};

struct StructureWriterOptions {
  bool cluster = false;  // the target is a Redis Cluster: keep the checkpoint in the data's slot
};

// Single-key structures write data and checkpoint in one transaction; hash and string don't.
bool is_single_key(Structure structure);
// list and stream append entries: the only structures a batch written twice would change.
bool appends_entries(Structure structure);

// The key the checkpoint is stored under. Standalone, and per-row structures (hash,
// string): the task's `tracking.last_value_key` ("checkpoint:<task>" when the task has no
// tracking), so files from Red Courier find their checkpoint. On a cluster, for single-key
// structures, when that key hashes to another slot than the data key it becomes
// "{<hash tag of the data key>}<last_value_key>": the data key's own tag, or the whole data
// key when it has none, so both hash alike. (A data key that contains '}' outside a tag
// cannot be wrapped; then a short tag "{ckpt-N}" with the data key's slot is used.)
std::string checkpoint_key_for(const TaskConfig& task, bool cluster);
// When the task's last complete run ended, in unix seconds: "<checkpoint key>:last_run",
// next to the checkpoint (same slot on a cluster). Table sync sets it after each run that
// read to the end; `courier status` shows it.
std::string last_run_key_for(const TaskConfig& task, bool cluster);

// The data commands of a batch (without the checkpoint), and the rows left out.
struct BatchCommands {
  static constexpr size_t kWholeBatch = static_cast<size_t>(-1);
  std::vector<redis::Command> commands;
  std::vector<size_t> command_rows;  // the row each command writes, or kWholeBatch (LTRIM)
  std::vector<RowError> skipped;
  size_t rows_written = 0;
};

// Builds the commands of `batch` for `task` (pure; the unit tests read these):
//   map         HSET <key> row[key] row[value]
//   list        LPUSH <key> row[value] …, then LTRIM <key> 0 max_length-1 when set
//   set         SADD <key> row[value]
//   sorted_set  ZADD <key> row[score] row[value]   (a row without a finite score is skipped)
//   stream      XADD <key> [MAXLEN ~ n] * f1 v1 f2 v2 …   (fields in the order listed)
//   hash        HSET <row key> f v … over the non-NULL fields; HDEL <row key> of the NULL
//               ones, so a column that became NULL leaves no stale value behind
//   string      SET <row key> <JSON object: field → append_json_value (value_format.h)> [PX ttl]
// A NULL value is "" in map, list, set and stream entries (Red Courier's rule). With `ttl`,
// each key written gets PEXPIRE <key> <ms> (string: SET … PX). A row lacking a value the
// structure needs, or whose key template column is NULL, is skipped and reported.
// Changes (kInsert, kUpdate, kDelete; a kSnapshot row is written as above):
//   insert, update  as above; a stream entry starts with `op insert|update`; a hash leaves
//                   the fields it was not sent alone. An update whose `before` names another
//                   map field, member or row key first removes the old one (HDEL, SREM,
//                   ZREM, DEL): the row moved.
//   delete          map HDEL <key> row[key]; set SREM; sorted_set ZREM; hash and string
//                   DEL <row key>; stream XADD … op delete + the fields it carried; list
//                   LPUSH {"op":"delete","value":…}.
//   truncate        map, set, sorted_set DEL <key>; stream XADD … op truncate; list LPUSH
//                   {"op":"truncate"}; hash and string: no command here — the writer
//                   removes every key of the task's type matching per_row_key_pattern
//                   (SCAN, on every master of a cluster) when it reaches the row; a
//                   template without fixed text (pattern "*") is refused with the reason.
BatchCommands build_commands(const TaskConfig& task, const WriteBatch& batch);

// The glob that matches a hash or string task's keys: key_prefix and the template's text
// (glob characters escaped), each {column} a '*': "order:{id}" → "order:*".
std::string per_row_key_pattern(const TaskConfig& task);

class StructureWriter {
 public:
  // `client` and `task` must outlive the writer.
  StructureWriter(redis::Client& client, const TaskConfig& task,
                  StructureWriterOptions options = {});

  // Writes the batch and its checkpoint (see the file comment for the guarantees); the rows
  // left out go to `park` first (none: they are only reported). Errors: the Client's
  // (kUnavailable: retry the same batch later — the next call checks the checkpoint
  // first); kFailedPrecondition when Redis rejected the single key of a map, list, set,
  // sorted_set or stream task (WRONGTYPE): the checkpoint is put back as it was, so no row
  // is lost while the operator fixes the key; `park`'s own failure.
  Result<WriteReport> write(const WriteBatch& batch, const ParkRows& park = {});

  // The stored checkpoint; nullopt when none was written yet. Also what the next write
  // expects to find stored (anything else means another writer took the task over).
  Result<std::optional<std::string>> read_checkpoint();

  const std::string& checkpoint_key() const { return checkpoint_key_; }

  // Records that a run read the table to its end at `finished` (last_run_key_for).
  Status record_run_finished(std::chrono::system_clock::time_point finished);

 private:
  Result<WriteReport> write_atomically(const BatchCommands& built, const WriteBatch& batch);
  Result<WriteReport> write_per_row(const BatchCommands& built, const WriteBatch& batch,
                                    const ParkRows& park);
  // After a truncate: UNLINKs every key of a hash or string task (per_row_key_pattern).
  Status remove_per_row_keys();
  // A data command Redis refused inside the transaction (WRONGTYPE): the checkpoint is put
  // back to the guard's value, and the refusal returned.
  Status refused_in_transaction(const redis::Reply& reply, const redis::Command& command,
                                const std::optional<redis::TransactionGuard>& guard);
  // True when the stored checkpoint equals `checkpoint`; an error when it cannot be read.
  Result<bool> checkpoint_holds(const std::string& checkpoint);
  Result<std::optional<std::string>> fetch_checkpoint();

  redis::Client& client_;
  const TaskConfig& task_;
  std::string checkpoint_key_;
  std::string last_run_key_;
  // Whether the stored checkpoint must be read before the next write: at first (a process
  // before us may have died with its reply in flight) and after an unknown outcome.
  bool verify_before_write_ = true;
  // The checkpoint as stored, as far as this writer knows (outer nullopt: unknown). A
  // single-key write is refused by Redis when the stored one differs (another writer).
  std::optional<std::optional<std::string>> stored_checkpoint_;
};

}  // namespace courier::pg_to_redis
