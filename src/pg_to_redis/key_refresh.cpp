#include "pg_to_redis/key_refresh.h"

#include <utility>
#include <vector>

#include "redis/errors.h"
#include "redis/slot.h"

namespace courier::pg_to_redis {
namespace {

// The Redis commands that walk a key's members and remove some of them.
struct Sweep {
  const char* scan;
  const char* remove;
  size_t stride;  // HSCAN and ZSCAN answer member, value pairs
};

Sweep sweep_for(Structure structure) {
  switch (structure) {
    case Structure::kMap:
      return {"HSCAN", "HDEL", 2};
    case Structure::kSortedSet:
      return {"ZSCAN", "ZREM", 2};
    default:
      return {"SSCAN", "SREM", 1};
  }
}

// What TYPE answers for a key of the structure.
std::string_view redis_type(Structure structure) {
  switch (structure) {
    case Structure::kMap:
      return "hash";
    case Structure::kList:
      return "list";
    case Structure::kSortedSet:
      return "zset";
    default:
      return "set";
  }
}

// The name of the row value a member is made of: a map's field, a set's member.
const std::string& member_name(const TaskConfig& task) {
  return task.structure == Structure::kMap ? task.key : task.value;
}

std::string milliseconds(std::chrono::milliseconds duration) {
  return std::to_string(duration.count());
}

// The first error among a transaction's or pipeline's replies, as a Status.
Status first_error(const std::vector<redis::Reply>& replies,
                   const std::vector<redis::Command>& commands) {
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error())
      return redis::status_from_error_reply(replies[i].str(), redis::command_name(commands[i]));
  }
  return Status::Ok();
}

}  // namespace

bool refreshes_key(const TaskConfig& task) {
  if (task.tracking || task.capture != Capture::kPoll) return false;
  switch (task.structure) {
    case Structure::kMap:
    case Structure::kSet:
    case Structure::kSortedSet:
      return true;
    case Structure::kList:
      return task.refresh == Refresh::kReplace;  // merge appends, as it always did
    default:
      return false;
  }
}

std::string refresh_scratch_key(const TaskConfig& task) {
  const char* what = task.refresh == Refresh::kReplace ? "courier:staging:" : "courier:seen:";
  return redis::key_in_slot_of(task.redis_key(), what + task.name);
}

TaskConfig staging_task(const TaskConfig& task) {
  TaskConfig staging = task;
  staging.key_prefix.clear();
  staging.alias = refresh_scratch_key(task);
  staging.ttl = kRefreshScratchExpiry;
  return staging;
}

std::unique_ptr<KeyRefresh> KeyRefresh::for_task(redis::Client& client, const TaskConfig& task,
                                                 StructureWriter& live, bool cluster) {
  if (!refreshes_key(task)) return nullptr;
  return std::unique_ptr<KeyRefresh>(new KeyRefresh(client, task, live, cluster));
}

KeyRefresh::KeyRefresh(redis::Client& client, const TaskConfig& task, StructureWriter& live,
                       bool cluster)
    : client_(client),
      task_(task),
      live_(live),
      key_(task.redis_key()),
      scratch_key_(refresh_scratch_key(task)) {
  if (task.refresh != Refresh::kReplace) return;
  staging_task_ = staging_task(task);
  staging_writer_ = std::make_unique<StructureWriter>(client, staging_task_,
                                                      StructureWriterOptions{.cluster = cluster});
}

Status KeyRefresh::failed(const Status& status, std::string_view step) const {
  return Status(status.code(),
                "task '" + task_.name + "': " + std::string(step) + " of key '" + key_ +
                    "' failed: " + status.message(),
                status.detail());
}

Status KeyRefresh::begin_run() {
  // UNLINK: a failed run's staging copy may be large; Redis frees it in the background.
  Result<redis::Reply> cleared = client_.command({"UNLINK", scratch_key_});
  if (!cleared.ok()) return failed(cleared.status(), "clearing the last run's '" + scratch_key_ + "'");
  return Status::Ok();
}

Status KeyRefresh::remember_written(const WriteBatch& page, const WriteReport& written) {
  if (staging_writer_) return Status::Ok();  // replace: the staging key is the record
  std::vector<bool> left_out(page.rows.size(), false);
  for (const RowError& error : written.skipped)
    if (error.row < left_out.size()) left_out[error.row] = true;
  redis::Command seen = {"SADD", scratch_key_};
  for (size_t i = 0; i < page.rows.size(); ++i) {
    const RedisValue* member = left_out[i] ? nullptr : page.rows[i].find(member_name(task_));
    if (member != nullptr) seen.push_back(member->bytes);
  }
  if (seen.size() == 2) return Status::Ok();
  const std::vector<redis::Command> commands = {
      std::move(seen), {"PEXPIRE", scratch_key_, milliseconds(kRefreshScratchExpiry)}};
  Result<std::vector<redis::Reply>> replies = client_.transaction(commands);
  Status status = replies.ok() ? first_error(*replies, commands) : replies.status();
  return status.ok() ? status : failed(status, "recording the members written");
}

Result<size_t> KeyRefresh::finish() {
  if (!staging_writer_) return remove_unseen();
  if (Status replaced = replace_key(); !replaced.ok()) return replaced;
  return size_t{0};
}

Status KeyRefresh::replace_key() {
  std::vector<Result<redis::Reply>> state =
      client_.pipeline({{"TYPE", key_}, {"EXISTS", scratch_key_}});
  for (const Result<redis::Reply>& reply : state)
    if (!reply.ok()) return failed(reply.status(), "replacing the contents");
  const std::string& type = state[0]->str();
  const std::string_view expected = redis_type(task_.structure);
  if (type != "none" && type != expected) {
    return Status(StatusCode::kFailedPrecondition,
                  "task '" + task_.name + "': key '" + key_ + "' holds a " + type + ", not a " +
                      std::string(expected) + " of a " + std::string(to_string(task_.structure)) +
                      " task, and 'refresh: replace' would overwrite it; delete or rename "
                      "that key, or give the task another alias",
                  "WRONGTYPE");
  }
  // No staging key: the query returned no row (or every row was parked).
  std::vector<redis::Command> commands;
  if (state[1]->integer() == 0) {
    commands = {{"UNLINK", key_}};
  } else {
    // RENAME carries the staging key's expiry along: the task's own ttl replaces it.
    commands = {{"RENAME", scratch_key_, key_},
                task_.ttl ? redis::Command{"PEXPIRE", key_, milliseconds(*task_.ttl)}
                          : redis::Command{"PERSIST", key_}};
  }
  Result<std::vector<redis::Reply>> replies = client_.transaction(commands);
  Status status = replies.ok() ? first_error(*replies, commands) : replies.status();
  return status.ok() ? status : failed(status, "replacing the contents");
}

Result<size_t> KeyRefresh::remove_unseen() {
  const Sweep sweep = sweep_for(task_.structure);
  size_t removed = 0;
  std::string cursor = "0";
  do {
    Result<redis::Reply> page = client_.command(
        {sweep.scan, key_, cursor, "COUNT", std::to_string(task_.batch_size)});
    if (!page.ok()) return failed(page.status(), "walking the members");
    if (page->size() != 2) {
      return failed(Status(StatusCode::kInternal, "unexpected reply " + page->to_string()),
                    "walking the members");
    }
    cursor = (*page)[0].str();
    std::vector<std::string> members;
    const std::vector<redis::Reply>& found = (*page)[1].elements();
    for (size_t i = 0; i < found.size(); i += sweep.stride) members.push_back(found[i].str());
    Result<size_t> gone = remove_unseen_of(members);
    if (!gone.ok()) return gone.status();
    removed += *gone;
  } while (cursor != "0");
  Result<redis::Reply> cleared = client_.command({"UNLINK", scratch_key_});
  if (!cleared.ok()) return failed(cleared.status(), "removing '" + scratch_key_ + "'");
  return removed;
}

Result<size_t> KeyRefresh::remove_unseen_of(const std::vector<std::string>& members) {
  if (members.empty()) return size_t{0};
  redis::Command check = {"SMISMEMBER", scratch_key_};
  check.insert(check.end(), members.begin(), members.end());
  Result<redis::Reply> seen = client_.command(check);
  if (!seen.ok()) return failed(seen.status(), "comparing the members with this run's");
  redis::Command remove = {sweep_for(task_.structure).remove, key_};
  for (size_t i = 0; i < members.size() && i < seen->size(); ++i)
    if ((*seen)[i].integer() == 0) remove.push_back(members[i]);
  if (remove.size() == 2) return size_t{0};
  Result<redis::Reply> gone = client_.command(remove);
  if (!gone.ok()) return failed(gone.status(), "removing the members that left the query");
  return static_cast<size_t>(gone->integer());
}

}  // namespace courier::pg_to_redis
