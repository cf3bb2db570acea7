#include "pg_to_redis/change_applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "courier/retry.h"
#include "pg_to_redis/row_parking.h"
#include "text/integer.h"

namespace courier::pg_to_redis {
namespace {

bool same_table(const TableName& table, const pg::Relation& relation) {
  const std::string& schema = relation.schema.empty() ? std::string("pg_catalog") : relation.schema;
  return table.name == relation.name && table.schema == schema;
}

// The columns (by index) a change's row does not carry a value for.
std::vector<int> unsent_columns(const pg::Relation& relation, pg::OldRow old_kind,
                                const std::vector<int>& unchanged, bool old_row) {
  if (!old_row) return unchanged;  // a new row: only the unchanged TOASTed values
  std::vector<int> unsent;
  if (old_kind == pg::OldRow::kFull) return unsent;
  for (size_t c = 0; c < relation.columns.size(); ++c)
    if (!relation.columns[c].in_key) unsent.push_back(static_cast<int>(c));
  return unsent;
}

RowChangeKind kind_of(pg::RowChange::Kind kind) {
  switch (kind) {
    case pg::RowChange::Kind::kInsert:
      return RowChangeKind::kInsert;
    case pg::RowChange::Kind::kUpdate:
      return RowChangeKind::kUpdate;
    case pg::RowChange::Kind::kDelete:
      return RowChangeKind::kDelete;
    default:
      return RowChangeKind::kTruncate;
  }
}

// With REPLICA IDENTITY FULL the old row has every value: an unchanged TOASTed one is
// taken from there instead of being left unsent.
void fill_unsent_from_before(SyncRow& row) {
  if (!row.before) return;
  std::erase_if(row.unsent, [&](const std::string& name) {
    if (std::find(row.unsent_before.begin(), row.unsent_before.end(), name) !=
        row.unsent_before.end())
      return false;
    for (const auto& [field, value] : *row.before) {
      if (field != name) continue;
      row.fields.emplace_back(field, value);
      return true;
    }
    return false;
  });
}

}  // namespace

std::string ChangePosition::to_string() const {
  return pg::format_lsn(commit_lsn) + "#" + std::to_string(position);
}

std::optional<ChangePosition> ChangePosition::parse(std::string_view text) {
  const size_t hash = text.find('#');
  if (hash == std::string_view::npos) return std::nullopt;
  Result<pg::Lsn> lsn = pg::parse_lsn(text.substr(0, hash));
  std::optional<uint32_t> position = text::parse_integer<uint32_t>(text.substr(hash + 1));
  if (!lsn.ok() || !position) return std::nullopt;
  return ChangePosition{*lsn, *position};
}

struct ChangeApplier::TaskState {
  TaskState(const TaskConfig& config, redis::Client& client, bool cluster, pg::Lsn snapshot)
      : task(config),
        writer(client, config, {.cluster = cluster}),
        dead_letters(client, config.dead_letter_key()),
        snapshot_lsn(snapshot) {}

  const TaskConfig& task;
  StructureWriter writer;
  RedisStreamDeadLetterStore dead_letters;
  pg::Lsn snapshot_lsn = 0;
  std::optional<RowConverter> converter;
  std::shared_ptr<const pg::Relation> converter_relation;  // the Relation it was made for
  bool position_loaded = false;
  std::optional<ChangePosition> applied;  // the stored position
};

// One task's share of a batch of changes.
struct ChangeApplier::Pending {
  WriteBatch batch;
  std::vector<std::string> identities;  // per row of batch.rows: its primary key
  std::vector<DeadLetter> letters;      // changes that could not be converted
  std::optional<ChangePosition> last;
};

ChangeApplier::ChangeApplier(std::vector<const TaskConfig*> tasks, redis::Client& client,
                             ChangeApplierOptions options)
    : client_(client), options_(std::move(options)) {
  for (const TaskConfig* task : tasks) {
    auto snapshot = options_.snapshot_lsns.find(task->name);
    tasks_.push_back(std::make_unique<TaskState>(
        *task, client_, options_.cluster,
        snapshot == options_.snapshot_lsns.end() ? 0 : snapshot->second));
  }
}

ChangeApplier::~ChangeApplier() = default;

Status ChangeApplier::load_position(TaskState& task) {
  if (task.position_loaded) return Status::Ok();
  Result<std::optional<std::string>> stored = task.writer.read_checkpoint();
  if (!stored.ok()) return stored.status();
  if (*stored) task.applied = ChangePosition::parse(**stored);
  task.position_loaded = true;
  return Status::Ok();
}

Status ChangeApplier::add_change(TaskState& task, const pg::RowChange& change, Pending& pending) {
  const pg::Relation& relation = *change.relation;
  if (task.converter_relation != change.relation) {
    std::vector<std::string> primary_key = task.task.primary_key;
    if (primary_key.empty()) {
      for (const pg::RelationColumn& column : relation.columns)
        if (column.in_key) primary_key.push_back(column.name);
    }
    Result<RowConverter> converter = RowConverter::make(task.task, *change.row, primary_key);
    if (!converter.ok()) return converter.status();
    task.converter.emplace(std::move(*converter));
    task.converter_relation = change.relation;
  }
  const bool is_delete = change.kind == pg::RowChange::Kind::kDelete;
  ConvertedRows converted = task.converter->convert(
      *change.row, unsent_columns(relation, change.old_kind, change.unchanged, is_delete));
  const std::string identity = task.converter->row_identity(*change.row, 0);
  if (converted.rows.empty()) {
    const std::string reason =
        converted.problems.empty() ? "no row" : converted.problems.front().reason;
    pending.letters.push_back(RowParking(task.task, task.dead_letters)
                                  .letter(identity, reason, StatusCode::kInvalidArgument, "",
                                          source_row_json(*change.row, 0)));
    return Status::Ok();
  }
  SyncRow row = std::move(converted.rows.front());
  row.kind = kind_of(change.kind);
  if (change.kind == pg::RowChange::Kind::kUpdate && change.old_row) {
    ConvertedRows before = task.converter->convert(
        *change.old_row, unsent_columns(relation, change.old_kind, {}, true));
    if (!before.rows.empty()) {
      row.before = std::move(before.rows.front().fields);
      row.unsent_before = std::move(before.rows.front().unsent);
      fill_unsent_from_before(row);
    }
  }
  pending.batch.rows.push_back(std::move(row));
  pending.identities.push_back(identity);
  return Status::Ok();
}

Status ChangeApplier::add_truncate(TaskState&, const pg::RowChange&, Pending& pending) {
  SyncRow row;
  row.kind = RowChangeKind::kTruncate;
  pending.batch.rows.push_back(std::move(row));
  pending.identities.push_back("(truncate)");
  return Status::Ok();
}

Status ChangeApplier::write(TaskState& task, Pending& pending) {
  RowParking parking(task.task, task.dead_letters);
  const size_t unconvertible = pending.letters.size();
  if (Status parked = parking.park(std::move(pending.letters)); !parked.ok()) return parked;
  pending.batch.checkpoint = pending.last->to_string();
  size_t refused = 0;
  Result<WriteReport> written =
      task.writer.write(pending.batch, [&](const std::vector<RowError>& errors) {
        std::vector<DeadLetter> letters;
        for (const RowError& error : errors) {
          letters.push_back(parking.letter(pending.identities.at(error.row), error.reason,
                                           error.code, error.detail,
                                           sync_row_json(pending.batch.rows.at(error.row))));
        }
        refused += letters.size();
        return parking.park(std::move(letters));
      });
  if (!written.ok()) return written.status();
  task.applied = pending.last;
  counts_.parked += unconvertible + refused;
  counts_.written += written->rows_written;
  return Status::Ok();
}

ApplyResult ChangeApplier::apply(std::span<const pg::RowChange> changes) {
  std::vector<Pending> pending(tasks_.size());
  auto for_each_task_of = [&](const pg::Relation& relation, const pg::RowChange& change,
                              auto&& add) -> Status {
    const ChangePosition at{change.commit_lsn, change.position};
    for (size_t t = 0; t < tasks_.size(); ++t) {
      TaskState& task = *tasks_[t];
      if (!same_table(task.task.table, relation)) continue;
      if (Status loaded = load_position(task); !loaded.ok()) return loaded;
      if (change.commit_lsn < task.snapshot_lsn || (task.applied && at <= *task.applied)) {
        ++counts_.skipped;
        continue;
      }
      if (Status added = add(task, change, pending[t]); !added.ok()) {
        return Status(StatusCode::kFailedPrecondition,
                      "task '" + task.task.name + "' cannot write changes of " +
                          task.task.table.qualified() + ": " + added.message());
      }
      pending[t].last = at;
    }
    return Status::Ok();
  };
  for (const pg::RowChange& change : changes) {
    Status added = Status::Ok();
    if (change.kind == pg::RowChange::Kind::kTruncate) {
      for (const auto& relation : change.truncated) {
        added = for_each_task_of(*relation, change, [this](auto&&... args) {
          return add_truncate(args...);
        });
        if (!added.ok()) break;
      }
    } else if (change.relation) {
      added = for_each_task_of(*change.relation, change, [this](auto&&... args) {
        return add_change(args...);
      });
    }
    if (added.code() == StatusCode::kFailedPrecondition) return ApplyResult::fatal_error(added);
    if (!added.ok()) return ApplyResult::all_failed(changes.size(), added);
  }
  for (size_t t = 0; t < tasks_.size(); ++t) {
    if (!pending[t].last) continue;
    if (Status written = write(*tasks_[t], pending[t]); !written.ok()) {
      // The stream starts again from the confirmed LSN; what was written is skipped then.
      const unsigned failures = ++consecutive_failures_;
      std::this_thread::sleep_for(delay_for_attempt(
          {.initial_delay = std::chrono::milliseconds(100), .max_delay = std::chrono::seconds(5)},
          failures, 0.5));
      return ApplyResult::all_failed(changes.size(), written);
    }
  }
  consecutive_failures_ = 0;
  return ApplyResult::all_synced(changes.size());
}

}  // namespace courier::pg_to_redis
