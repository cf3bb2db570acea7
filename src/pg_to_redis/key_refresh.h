// KeyRefresh: makes the one key of a polled map, list, set or sorted_set task without
// tracking hold exactly what the task's query returned, at the end of each run that read
// the whole query (TaskConfig::refresh; docs/table-sync.md, "Refresh: merge or replace").
//
//   refresh: replace  the run's pages are written to a staging key in the key's cluster
//                     slot; after the last page one MULTI/EXEC renames it over the key and
//                     sets the task's ttl, so a reader sees the old contents or the new,
//                     never a mix. A query without rows deletes the key.
//   refresh: merge    (map, set, sorted_set) pages are written into the key as always, and
//                     the members written are recorded in a "seen" set in the key's slot;
//                     after the last page the key is walked (HSCAN/SSCAN/ZSCAN, batch_size
//                     at a time) and what was not seen is removed, then the seen set goes.
//
//   auto refresh = KeyRefresh::for_task(client, task, live_writer, cluster);  // null: none
//   refresh->begin_run();                      // clears what a failed run left behind
//   refresh->writer().write(page); refresh->remember_written(page, report);  // every page
//   refresh->finish();                         // after the last page only
//
// A run that fails or stops before finish() leaves the key as merge wrote it (nothing
// removed) or, with replace, untouched. Its staging key or seen set is removed by the next
// run's begin_run(), and expires by itself a day after its last write (a removed task).
//
// Thread-safety: as the Client (one thread at a time).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"

namespace courier::pg_to_redis {

// How long a staging key or seen set lives after its last write: far longer than any run
// writes nothing, short enough that a task removed from the config leaves nothing for good.
inline constexpr std::chrono::milliseconds kRefreshScratchExpiry = std::chrono::hours(24);

// True for the tasks KeyRefresh serves: polled (not `capture: wal`), without tracking, and
// `refresh: replace` (map, list, set, sorted_set) or `merge` on map, set, sorted_set. A
// tracking read sees only changed rows, so it cannot tell what left the query.
bool refreshes_key(const TaskConfig& task);

// The key a refreshing run keeps its scratch data in — replace: the staging copy,
// merge: the seen set — always in the task key's cluster slot (redis::key_in_slot_of).
std::string refresh_scratch_key(const TaskConfig& task);

// The task as it writes into the staging key: the same rows, commands and list order, with
// the scratch expiry as its ttl (the task's own ttl is set on the key when it is renamed).
TaskConfig staging_task(const TaskConfig& task);

class KeyRefresh {
 public:
  // nullptr when !refreshes_key(task). `client`, `task` and `live` (the writer of the task's
  // key) must outlive the result.
  static std::unique_ptr<KeyRefresh> for_task(redis::Client& client, const TaskConfig& task,
                                              StructureWriter& live, bool cluster);

  // At the start of a run: removes the scratch key a failed or stopped run left behind.
  Status begin_run();
  // Where this run's pages go: the staging key's writer (replace) or the key's own (merge).
  StructureWriter& writer() { return staging_writer_ ? *staging_writer_ : live_; }
  // After a page was written: merge records its members in the seen set (rows left out are
  // not recorded, so they leave the key); replace has nothing to do.
  Status remember_written(const WriteBatch& page, const WriteReport& written);
  // After the run's last page: makes the key exact. Returns how many members merge removed
  // (replace: 0, the old contents go as a whole). kFailedPrecondition when the key holds
  // another type than the task's structure (replace would otherwise overwrite it).
  Result<size_t> finish();

  const std::string& scratch_key() const { return scratch_key_; }

 private:
  KeyRefresh(redis::Client& client, const TaskConfig& task, StructureWriter& live, bool cluster);
  Status replace_key();
  Result<size_t> remove_unseen();
  // The members of one page of the key's SCAN that are not in the seen set, removed.
  Result<size_t> remove_unseen_of(const std::vector<std::string>& members);
  Status failed(const Status& status, std::string_view step) const;

  redis::Client& client_;
  const TaskConfig& task_;
  StructureWriter& live_;
  const std::string key_;
  const std::string scratch_key_;
  TaskConfig staging_task_;                          // replace only
  std::unique_ptr<StructureWriter> staging_writer_;  // replace only
};

}  // namespace courier::pg_to_redis
