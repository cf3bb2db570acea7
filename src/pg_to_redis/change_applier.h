// ChangeApplier: writes the row changes of a logical replication stream (WalChangeSource)
// to Redis for the tasks with `capture: wal`, through the same converter and structure
// writers as polling — an insert or update is written as polling writes the row, a delete
// removes what the row put there, an update that changed a row's key or member moves it
// (structure_writer.h lists each structure's commands).
//
//   ChangeApplier applier(wal_tasks, *redis_client, {.cluster = false});
//   StreamingCoordinator<pg::RowChange> capture(source, applier_ptr, {.workers = 1});
//
// Exactly once in Redis across crashes: each task's batch is written with the position of
// its last change — commit LSN and place in the transaction, "0/16B3F28#3" — as its
// checkpoint, by the StructureWriter (one MULTI with the data for map, set, sorted_set,
// list and stream; after the rows for hash and string, whose rows are idempotent). A change
// at or before a task's stored position was applied before and is skipped: the stream
// restarts from the slot's confirmed LSN after a crash and delivers such changes again.
// Changes committed before a task's snapshot (`snapshot_lsn`) are in the snapshot already.
//
// A change the task cannot write (a value that does not convert, a delete without the
// column the structure needs, a row Redis refuses) is parked in the task's dead-letter
// stream with the reason, and the stream goes on. A task whose table no longer has a column
// it writes stops the capture (a fatal result) rather than writing rows without it.
//
// Thread-safety: one apply() at a time (one worker: changes are applied in commit order).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/applier.h"
#include "pg/row_changes.h"
#include "pg_to_redis/row_converter.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"

namespace courier::pg_to_redis {

// Where a change sits in the log: its transaction's commit LSN, then its place in it.
struct ChangePosition {
  pg::Lsn commit_lsn = 0;
  uint32_t position = 0;

  auto operator<=>(const ChangePosition&) const = default;
  std::string to_string() const;  // "0/16B3F28#3"
  // nullopt when `text` is not what to_string() writes (e.g. a polling checkpoint).
  static std::optional<ChangePosition> parse(std::string_view text);
};

struct ChangeApplierOptions {
  bool cluster = false;  // the Redis target is a cluster
  // Per task name: changes committed before this LSN are in the task's snapshot.
  std::map<std::string, pg::Lsn> snapshot_lsns;
};

// What the applier did, for metrics and logs (totals since it was made).
struct ChangeCounts {
  uint64_t written = 0;   // changes written to Redis
  uint64_t skipped = 0;   // applied before, or in the snapshot
  uint64_t parked = 0;    // dead-lettered
};

class ChangeApplier final : public Applier<pg::RowChange> {
 public:
  // `tasks` (capture: wal) and `client` must outlive the applier.
  ChangeApplier(std::vector<const TaskConfig*> tasks, redis::Client& client,
                ChangeApplierOptions options);
  ~ChangeApplier() override;

  ApplyResult apply(std::span<const pg::RowChange> changes) override;

  ChangeCounts counts() const { return counts_; }

 private:
  struct TaskState;
  struct Pending;

  // Converts one change for one task into `pending` (or a letter); a status only when the
  // task cannot convert this table's rows at all.
  Status add_change(TaskState& task, const pg::RowChange& change, Pending& pending);
  Status add_truncate(TaskState& task, const pg::RowChange& change, Pending& pending);
  Status write(TaskState& task, Pending& pending);
  // The task's stored position, read once.
  Status load_position(TaskState& task);

  redis::Client& client_;
  ChangeApplierOptions options_;
  std::vector<std::unique_ptr<TaskState>> tasks_;
  ChangeCounts counts_;
  unsigned consecutive_failures_ = 0;  // writes failed in a row: the wait before the next
};

}  // namespace courier::pg_to_redis
