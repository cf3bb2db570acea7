#include "pg_to_redis/structure_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "redis/errors.h"
#include "redis/slot.h"
#include "text/json_string.h"

namespace courier::pg_to_redis {
namespace {

// Builds the commands of one batch; each add_* call appends one row's commands or reports
// why the row cannot be written.
class CommandBuilder {
 public:
  CommandBuilder(const TaskConfig& task, BatchCommands& out) : task_(task), out_(out) {}

  void add_row(size_t index, const SyncRow& row) {
    row_ = &row;
    view_ = {&row.fields, &row.unsent};
    error_.clear();
    std::vector<redis::Command> commands = row.kind == RowChangeKind::kDelete ? delete_commands()
                                           : row.kind == RowChangeKind::kTruncate
                                               ? truncate_commands()
                                               : commands_for_row();
    if (error_.empty() && row.kind == RowChangeKind::kUpdate && row.before) {
      std::optional<redis::Command> moved = remove_moved_row();
      if (moved) commands.insert(commands.begin(), std::move(*moved));
    }
    if (!error_.empty()) {
      out_.skipped.push_back({index, std::move(error_)});
      return;
    }
    for (redis::Command& command : commands) {
      out_.commands.push_back(std::move(command));
      out_.command_rows.push_back(index);
    }
    ++out_.rows_written;
  }

  // Commands that apply to the whole single key once per batch (trim, expiry).
  void finish() {
    if (!is_single_key(task_.structure) || out_.rows_written == 0) return;
    const std::string key = task_.redis_key();
    if (task_.structure == Structure::kList && task_.max_length)
      add_batch_command({"LTRIM", key, "0", std::to_string(*task_.max_length - 1)});
    if (task_.ttl) add_batch_command(pexpire(key));
  }

 private:
  // The values being read: the row's, or (for a move) the row's before the update.
  struct View {
    const SyncRow::Fields* fields = nullptr;
    const std::vector<std::string>* unsent = nullptr;
  };

  std::vector<redis::Command> commands_for_row() {
    const std::string key = task_.redis_key();
    switch (task_.structure) {
      case Structure::kMap:
        return {{"HSET", key, text(task_.key), text(task_.value)}};
      case Structure::kList:
        return {{"LPUSH", key, text(task_.value)}};
      case Structure::kSet:
        return {{"SADD", key, text(task_.value)}};
      case Structure::kSortedSet:
        return {{"ZADD", key, score(), text(task_.value)}};
      case Structure::kStream:
        return {stream_entry(key)};
      case Structure::kHash:
        return hash_commands();
      case Structure::kString:
        return string_commands();
    }
    return {};
  }

  // What a deleted row had put in Redis goes; an append-only structure records the delete.
  std::vector<redis::Command> delete_commands() {
    const std::string key = task_.redis_key();
    switch (task_.structure) {
      case Structure::kMap:
        return {{"HDEL", key, text(task_.key)}};
      case Structure::kSet:
        return {{"SREM", key, text(task_.value)}};
      case Structure::kSortedSet:
        return {{"ZREM", key, text(task_.value)}};
      case Structure::kHash:
      case Structure::kString:
        return {{"DEL", row_key()}};
      case Structure::kList: {
        std::string entry = R"({"op":"delete","value":)";
        const RedisValue* value = find(task_.value);
        if (value == nullptr || value->is_null)
          entry += "null";
        else
          text::append_json_string(entry, value->bytes);
        return {{"LPUSH", key, entry + "}"}};
      }
      case Structure::kStream:
        return {stream_entry(key)};
    }
    return {};
  }

  // The table was emptied: so is what the task owns; an append-only structure records it.
  std::vector<redis::Command> truncate_commands() {
    const std::string key = task_.redis_key();
    switch (task_.structure) {
      case Structure::kMap:
      case Structure::kSet:
      case Structure::kSortedSet:
        return {{"DEL", key}};
      case Structure::kList:
        return {{"LPUSH", key, R"({"op":"truncate"})"}};
      case Structure::kStream:
        return {{"XADD", key, "*", "op", "truncate"}};
      case Structure::kHash:
      case Structure::kString:
        // The writer removes them by their pattern when it reaches this row.
        if (per_row_key_pattern(task_).find_first_not_of('*') == std::string::npos) {
          fail("the table was truncated, and this task's key template has no fixed text "
               "to find its keys by; give 'key' a prefix (e.g. 'order:{id}') or set "
               "'key_prefix'");
        }
        return {};
    }
    return {};
  }

  // An update that changed the row's map field, member or row key removes the old one, so
  // the row moves instead of leaving a stale copy. Only when the old value came along.
  std::optional<redis::Command> remove_moved_row() {
    const std::string key = task_.redis_key();
    auto identity = [&]() -> std::optional<std::string> {
      switch (task_.structure) {
        case Structure::kMap:
          return text(task_.key);
        case Structure::kSet:
        case Structure::kSortedSet:
          return text(task_.value);
        case Structure::kHash:
        case Structure::kString:
          return row_key();
        case Structure::kList:
        case Structure::kStream:
          return std::nullopt;  // entries are history: nothing to move
      }
      return std::nullopt;
    };
    const std::optional<std::string> now = identity();
    view_ = {&*row_->before, &row_->unsent_before};
    const std::optional<std::string> was = identity();
    view_ = {&row_->fields, &row_->unsent};
    if (!error_.empty()) {
      error_.clear();  // the old row lacks the value: nothing is known to have moved
      return std::nullopt;
    }
    if (!was || *was == *now) return std::nullopt;
    switch (task_.structure) {
      case Structure::kMap:
        return redis::Command{"HDEL", key, *was};
      case Structure::kSet:
        return redis::Command{"SREM", key, *was};
      case Structure::kSortedSet:
        return redis::Command{"ZREM", key, *was};
      default:
        return redis::Command{"DEL", *was};
    }
  }

  redis::Command stream_entry(const std::string& key) {
    redis::Command xadd = {"XADD", key};
    if (task_.maxlen) xadd.insert(xadd.end(), {"MAXLEN", "~", std::to_string(*task_.maxlen)});
    xadd.push_back("*");
    if (row_->kind != RowChangeKind::kSnapshot) {
      xadd.push_back("op");
      xadd.push_back(std::string(operation_name(row_->kind)));
    }
    for (const std::string& field : task_.fields) {
      if (row_->kind == RowChangeKind::kDelete && is_unsent(field)) continue;
      xadd.push_back(field);
      xadd.push_back(text(field));
    }
    return xadd;
  }

  std::vector<redis::Command> hash_commands() {
    const std::string key = row_key();
    redis::Command hset = {"HSET", key};
    redis::Command hdel = {"HDEL", key};
    for (const std::string& field : task_.fields) {
      if (is_unsent(field)) continue;  // an unchanged TOASTed value: the stored one stands
      const RedisValue* value = find(field);
      if (value == nullptr) return {};
      redis::Command& target = value->is_null ? hdel : hset;
      target.push_back(field);
      if (!value->is_null) target.push_back(value->bytes);
    }
    std::vector<redis::Command> commands;
    if (hset.size() > 2) commands.push_back(std::move(hset));
    if (hdel.size() > 2) commands.push_back(std::move(hdel));
    if (task_.ttl) commands.push_back(pexpire(key));
    return commands;
  }

  std::vector<redis::Command> string_commands() {
    const std::string key = row_key();
    std::string json = "{";
    for (const std::string& field : task_.fields) {
      const RedisValue* value = find(field);
      if (value == nullptr) return {};
      if (json.size() > 1) json += ',';
      text::append_json_string(json, field);
      json += ':';
      append_json_value(json, *value);
    }
    json += '}';
    redis::Command set = {"SET", key, std::move(json)};
    if (task_.ttl) set.insert(set.end(), {"PX", std::to_string(task_.ttl->count())});
    return {std::move(set)};
  }

  // key_prefix + the key template with each {column} replaced by the row's value.
  std::string row_key() {
    std::string key = task_.key_prefix;
    for (const KeyTemplate::Part& part : task_.key_template.parts) {
      if (!part.is_column) {
        key += part.text;
        continue;
      }
      const RedisValue* value = find(part.text);
      if (value == nullptr) return {};
      if (value->is_null) {
        fail("key column '" + part.text + "' is NULL, so the row has no key");
        return {};
      }
      key += value->bytes;
    }
    return key;
  }

  std::string score() {
    const RedisValue* value = find(task_.score);
    if (value == nullptr) return {};
    if (value->is_null) {
      fail("score '" + task_.score + "' is NULL");
      return {};
    }
    const char* begin = value->bytes.c_str();
    char* end = nullptr;
    double parsed = std::strtod(begin, &end);
    if (value->bytes.empty() || end != begin + value->bytes.size() || !std::isfinite(parsed)) {
      fail("score '" + task_.score + "' = '" + value->bytes + "' is not a finite number");
      return {};
    }
    return value->bytes;
  }

  // The value's bytes; NULL is "" (Red Courier's rule for single-key structures).
  std::string text(const std::string& name) {
    const RedisValue* value = find(name);
    return value == nullptr ? std::string() : value->bytes;
  }

  bool is_unsent(const std::string& name) const {
    return std::find(view_.unsent->begin(), view_.unsent->end(), name) != view_.unsent->end();
  }

  const RedisValue* find(const std::string& name) {
    if (is_unsent(name)) {
      fail(row_->kind == RowChangeKind::kDelete
               ? "the delete did not carry '" + name +
                     "' (not in the table's replica identity; set REPLICA IDENTITY FULL)"
               : "the update left the TOASTed value of '" + name +
                     "' unchanged and did not send it (set REPLICA IDENTITY FULL on the "
                     "table so the old value comes along)");
      return nullptr;
    }
    for (const auto& [field, value] : *view_.fields)
      if (field == name) return &value;
    fail("row has no field '" + name + "'");
    return nullptr;
  }

  void fail(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);  // the first problem names the row
  }

  redis::Command pexpire(const std::string& key) const {
    return {"PEXPIRE", key, std::to_string(task_.ttl->count())};
  }

  void add_batch_command(redis::Command command) {
    out_.commands.push_back(std::move(command));
    out_.command_rows.push_back(BatchCommands::kWholeBatch);
  }

  const TaskConfig& task_;
  BatchCommands& out_;
  const SyncRow* row_ = nullptr;
  View view_;
  std::string error_;
};

bool outcome_may_be_applied(const Status& status) {
  // A permanent error was a refusal; anything else (connection lost mid-EXEC, timeout)
  // may have reached the server. Reading the checkpoint back is cheap, so every
  // non-permanent failure is checked rather than guessing from the detail. kAborted is
  // the fence's refusal: certainly not applied, and not to be re-sent.
  return !status.permanent() && status.code() != StatusCode::kAborted;
}

}  // namespace

std::string_view operation_name(RowChangeKind kind) {
  switch (kind) {
    case RowChangeKind::kSnapshot:
      return "snapshot";
    case RowChangeKind::kInsert:
      return "insert";
    case RowChangeKind::kUpdate:
      return "update";
    case RowChangeKind::kDelete:
      return "delete";
    case RowChangeKind::kTruncate:
      return "truncate";
  }
  return "?";
}

const RedisValue* SyncRow::find(std::string_view name) const {
  for (const auto& [field, value] : fields)
    if (field == name) return &value;
  return nullptr;
}

bool is_single_key(Structure structure) {
  return structure != Structure::kHash && structure != Structure::kString;
}

std::string checkpoint_key_for(const TaskConfig& task, bool cluster) {
  std::string key = task.tracking && !task.tracking->last_value_key.empty()
                        ? task.tracking->last_value_key
                        : "checkpoint:" + task.name;
  if (!cluster || !is_single_key(task.structure)) return key;
  return redis::key_in_slot_of(task.redis_key(), key, "ckpt-");
}

std::string last_run_key_for(const TaskConfig& task, bool cluster) {
  return checkpoint_key_for(task, cluster) + ":last_run";
}

BatchCommands build_commands(const TaskConfig& task, const WriteBatch& batch) {
  BatchCommands out;
  CommandBuilder builder(task, out);
  for (size_t i = 0; i < batch.rows.size(); ++i) builder.add_row(i, batch.rows[i]);
  builder.finish();
  return out;
}

StructureWriter::StructureWriter(redis::Client& client, const TaskConfig& task,
                                 StructureWriterOptions options)
    : client_(client),
      task_(task),
      checkpoint_key_(checkpoint_key_for(task, options.cluster)),
      last_run_key_(last_run_key_for(task, options.cluster)) {}

Status StructureWriter::record_run_finished(std::chrono::system_clock::time_point finished) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(finished.time_since_epoch()).count();
  Result<redis::Reply> reply = client_.command({"SET", last_run_key_, std::to_string(seconds)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error())
    return redis::status_from_error_reply(reply->str(), "SET " + last_run_key_);
  return Status::Ok();
}

Result<std::optional<std::string>> StructureWriter::fetch_checkpoint() {
  Result<redis::Reply> reply = client_.command({"GET", checkpoint_key_});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(reply->str());
}

Result<std::optional<std::string>> StructureWriter::read_checkpoint() {
  Result<std::optional<std::string>> stored = fetch_checkpoint();
  if (stored.ok()) stored_checkpoint_.emplace(*stored);  // emplace: an empty one is known too
  return stored;
}

Result<bool> StructureWriter::checkpoint_holds(const std::string& checkpoint) {
  // Not remembered as the fence's expectation: that stays what the run started from.
  Result<std::optional<std::string>> stored = fetch_checkpoint();
  if (!stored.ok()) return stored.status();
  if (*stored != checkpoint) return false;
  stored_checkpoint_.emplace(*stored);
  return true;
}

bool appends_entries(Structure structure) {
  return structure == Structure::kList || structure == Structure::kStream;
}

Result<WriteReport> StructureWriter::write(const WriteBatch& batch, const ParkRows& park) {
  // Only appends can be duplicated by writing a batch twice, so only for list and stream
  // is a batch whose checkpoint is already stored left out. Idempotent structures are always
  // written: rows re-read by `lookback` must land even when the re-read batch ends exactly
  // where the last run stopped. Without a checkpoint (no tracking) there is nothing to check.
  const bool guard_appends = appends_entries(task_.structure) && !batch.checkpoint.empty();
  const WriteReport applied_before{.already_applied = true};
  if (guard_appends && stored_checkpoint_ == std::optional<std::string>(batch.checkpoint)) {
    return applied_before;  // this batch's end is what is stored: written already
  }
  if (guard_appends && verify_before_write_) {
    Result<bool> holds = checkpoint_holds(batch.checkpoint);
    if (!holds.ok()) return holds.status();
    verify_before_write_ = false;
    if (*holds) return applied_before;
  }

  const BatchCommands built = build_commands(task_, batch);
  if (park && !built.skipped.empty()) {
    if (Status parked = park(built.skipped); !parked.ok()) return parked;
  }
  // Rows Redis refuses are known only after the write; a single-key write cannot leave one
  // out (the transaction keeps its checkpoint), so only per-row writes park those.
  const ParkRows park_refused = [&](const std::vector<RowError>& refused) {
    return park ? park(refused) : Status::Ok();
  };
  auto attempt = [&] {
    return is_single_key(task_.structure) ? write_atomically(built, batch)
                                          : write_per_row(built, batch, park_refused);
  };
  Result<WriteReport> written = attempt();
  if (guard_appends && !written.ok() && outcome_may_be_applied(written.status())) {
    // The reply was lost: the batch may be in Redis. Re-send only if it is not.
    Result<bool> holds = checkpoint_holds(batch.checkpoint);
    if (!holds.ok()) {
      verify_before_write_ = true;
      return written;
    }
    if (*holds) {
      written = WriteReport{.rows_written = built.rows_written, .skipped = built.skipped};
    } else {
      written = attempt();
      if (!written.ok()) verify_before_write_ = outcome_may_be_applied(written.status());
    }
  }
  return written;
}

Result<WriteReport> StructureWriter::write_atomically(const BatchCommands& built,
                                                      const WriteBatch& batch) {
  const bool with_checkpoint = !batch.checkpoint.empty();
  std::vector<redis::Command> commands = built.commands;
  if (with_checkpoint) commands.push_back({"SET", checkpoint_key_, batch.checkpoint});
  if (commands.empty()) return WriteReport{.skipped = built.skipped};

  // Compare-and-set: the batch lands only if the checkpoint is still the one this writer
  // last saw. Otherwise another process took the task over and moved it on; writing this
  // batch too would append its entries twice.
  std::optional<redis::TransactionGuard> guard;
  if (with_checkpoint) {
    if (!stored_checkpoint_) {
      Result<std::optional<std::string>> stored = read_checkpoint();
      if (!stored.ok()) return stored.status();
    }
    guard = redis::TransactionGuard{checkpoint_key_, *stored_checkpoint_};
  }
  Result<std::vector<redis::Reply>> replies =
      guard ? client_.guarded_transaction(*guard, commands) : client_.transaction(commands);
  if (!replies.ok()) {
    stored_checkpoint_.reset();  // unknown now: refused, moved by another writer, or applied
    if (replies.status().code() != StatusCode::kAborted) return replies.status();
    return Status(StatusCode::kAborted,
                  "task '" + task_.name + "': checkpoint '" + checkpoint_key_ +
                      "' was moved by another writer (the task was taken over); this batch "
                      "was not written",
                  replies.status().detail());
  }
  for (size_t i = 0; i < built.commands.size(); ++i) {
    const redis::Reply& reply = (*replies)[i];
    if (reply.is_error()) return refused_in_transaction(reply, built.commands[i], guard);
  }
  if (with_checkpoint) stored_checkpoint_ = batch.checkpoint;
  return WriteReport{.rows_written = built.rows_written, .skipped = built.skipped};
}

Status StructureWriter::refused_in_transaction(
    const redis::Reply& reply, const redis::Command& command,
    const std::optional<redis::TransactionGuard>& guard) {
  Status rejected = redis::status_from_error_reply(
      reply.str(), redis::command_name(command) + " of task '" + task_.name + "'");
  const StatusCode code = rejected.code() == StatusCode::kUnavailable
                              ? StatusCode::kFailedPrecondition
                              : rejected.code();
  if (!guard) return Status(code, rejected.message(), rejected.detail());
  // Redis does not roll back: the checkpoint moved with the batch. Put it back, so these
  // rows are read again once the key is fixed instead of being lost behind it.
  stored_checkpoint_.reset();
  redis::Command restore = guard->expected
                               ? redis::Command{"SET", checkpoint_key_, *guard->expected}
                               : redis::Command{"DEL", checkpoint_key_};
  Result<redis::Reply> restored = client_.command(restore);
  if (!restored.ok()) {
    return Status(StatusCode::kInternal,
                  rejected.message() + "; restoring checkpoint '" + checkpoint_key_ +
                      "' also failed (" + restored.status().message() +
                      "): rows of this batch may be skipped",
                  rejected.detail());
  }
  return Status(code, rejected.message() + "; checkpoint left as it was", rejected.detail());
}

std::string per_row_key_pattern(const TaskConfig& task) {
  std::string pattern;
  auto literal = [&](std::string_view text) {
    for (char c : text) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
      pattern += c;
    }
  };
  literal(task.key_prefix);
  for (const KeyTemplate::Part& part : task.key_template.parts) {
    if (part.is_column) {
      pattern += '*';
    } else {
      literal(part.text);
    }
  }
  return pattern;
}

Status StructureWriter::remove_per_row_keys() {
  const std::string type = task_.structure == Structure::kHash ? "hash" : "string";
  return client_.scan_keys(
      per_row_key_pattern(task_), type, [&](const std::vector<std::string>& keys) -> Status {
        std::vector<redis::Command> removals;
        for (const std::string& key : keys) {
          // Never the task's own bookkeeping, should the pattern also match it.
          if (key != checkpoint_key_ && key != last_run_key_ && key != task_.dead_letter_key())
            removals.push_back({"UNLINK", key});
        }
        for (const Result<redis::Reply>& removed : client_.pipeline(removals))
          if (!removed.ok()) return removed.status();
        return Status::Ok();
      });
}

Result<WriteReport> StructureWriter::write_per_row(const BatchCommands& built,
                                                   const WriteBatch& batch, const ParkRows& park) {
  WriteReport report{.rows_written = built.rows_written, .skipped = built.skipped};
  // Sent in order: the commands of the rows before a truncate, then the removal of every
  // key of the task, then on.
  std::vector<Result<redis::Reply>> replies;
  auto send_until = [&](size_t end) {
    if (end <= replies.size()) return;
    std::vector<redis::Command> part(built.commands.begin() + replies.size(),
                                     built.commands.begin() + end);
    for (Result<redis::Reply>& reply : client_.pipeline(part)) replies.push_back(std::move(reply));
  };
  for (size_t row = 0; row < batch.rows.size(); ++row) {
    if (batch.rows[row].kind != RowChangeKind::kTruncate) continue;
    size_t end = replies.size();
    while (end < built.commands.size() && built.command_rows[end] < row) ++end;
    send_until(end);
    if (Status removed = remove_per_row_keys(); !removed.ok()) return removed;
  }
  send_until(built.commands.size());
  std::vector<RowError> refused;
  for (size_t i = 0; i < replies.size(); ++i) {
    const Status status = replies[i].status();
    if (status.ok()) continue;
    // The server's state, the setup, or an error we do not know: checkpoint untouched, the
    // batch is re-sent (the rows already written are written again, harmlessly).
    if (!redis::record_at_fault(status)) return status;
    // Redis refused this row's own key or value (e.g. WRONGTYPE): park the row, keep the others.
    const size_t row = built.command_rows[i];
    if (!refused.empty() && refused.back().row == row) continue;
    refused.push_back(
        {row, "Redis refused " + status.message() + " (key '" + built.commands[i].at(1) + "')",
         status.code(), status.detail()});
  }
  if (!refused.empty()) {
    if (Status parked = park(refused); !parked.ok()) return parked;
    report.rows_written -= refused.size();
    report.skipped.insert(report.skipped.end(), refused.begin(), refused.end());
  }
  if (batch.checkpoint.empty()) return report;
  Result<redis::Reply> set = client_.command({"SET", checkpoint_key_, batch.checkpoint});
  if (!set.ok()) return set.status();
  return report;
}

}  // namespace courier::pg_to_redis
