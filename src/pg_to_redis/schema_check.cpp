#include "pg_to_redis/schema_check.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "config/edit_distance.h"
#include "pg/errors.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {
namespace {

// What a task does with a column: the writers and the change stream need different ones.
enum class Role { kKey, kValue, kScore, kField, kTracking, kPrimaryKey };

// A column the task names, and the key (relative to the task) where its name was written.
struct ColumnUse {
  Role role;
  std::string key;     // "fields[1]", or "column_map.status" when column_map renames it
  std::string column;  // the Postgres column
};

std::vector<ColumnUse> columns_used(const TaskConfig& task) {
  std::vector<ColumnUse> uses;
  auto use = [&](Role role, std::string key, const std::string& name) {
    if (name.empty()) return;
    const bool mapped = std::any_of(task.column_map.begin(), task.column_map.end(),
                                    [&](const auto& entry) { return entry.first == name; });
    uses.push_back({role, mapped ? "column_map." + name : std::move(key), task.column_for(name)});
  };
  auto use_list = [&](Role role, const std::string& key, const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      use(role, key + "[" + std::to_string(i) + "]", names[i]);
    }
  };
  use(Role::kKey, "key", task.key);
  for (const std::string& column : task.key_template.columns()) use(Role::kKey, "key", column);
  use(Role::kValue, "value", task.value);
  use(Role::kScore, "score", task.score);
  use_list(Role::kField, "fields", task.fields);
  if (task.tracking) use(Role::kTracking, "tracking.column", task.tracking->column);
  use_list(Role::kPrimaryKey, "primary_key", task.primary_key);
  return uses;
}

struct Column {
  std::string name;
  TypeOid type = 0;  // a domain's base type: what results report, and the rules look at
  std::string type_text;
  bool not_null = false;
  bool in_replica_identity = false;
};

// A table, view, materialized view, foreign or partitioned table, as the catalog shows it.
struct Relation {
  char kind = 'r';  // pg_class.relkind
  std::vector<Column> columns;

  const Column* find(const std::string& name) const {
    auto found = std::find_if(columns.begin(), columns.end(),
                              [&](const Column& column) { return column.name == name; });
    return found == columns.end() ? nullptr : &*found;
  }
  bool is_table() const { return kind == 'r' || kind == 'p'; }
  std::string_view kind_name() const {
    switch (kind) {
      case 'v':
        return "a view";
      case 'm':
        return "a materialized view";
      case 'f':
        return "a foreign table";
      case 'p':
        return "a partitioned table";
      default:
        return "a table";
    }
  }
};

constexpr std::string_view kRelationKinds = "('r', 'p', 'v', 'm', 'f')";

// nullopt when the schema has no such relation. Names are matched as written, as the
// reader quotes them.
Result<std::optional<Relation>> read_relation(pg::Session& conn, const TableName& table) {
  auto rows = conn.execute(
      "SELECT c.relkind::text, a.attname,"
      " (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8,"
      " format_type(a.atttypid, a.atttypmod), a.attnotnull,"
      " c.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid"
      "   AND a.attnum = ANY (i.indkey::int2[]) AND CASE c.relreplident"
      "   WHEN 'd' THEN i.indisprimary WHEN 'i' THEN i.indisreplident ELSE false END)"
      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
      " LEFT JOIN pg_type t ON t.oid = a.atttypid"
      " WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN " +
          std::string(kRelationKinds) + " ORDER BY a.attnum",
      {table.schema, table.name});
  if (!rows.ok()) return rows.status();
  if (rows->row_count() == 0) return std::optional<Relation>();
  Relation relation;
  relation.kind = rows->get(0, 0).value_or("r").front();
  for (const pg::Row& row : *rows) {
    if (!row.get(1)) continue;  // a relation without columns
    relation.columns.push_back(
        {std::string(*row.get(1)), static_cast<TypeOid>(std::stoul(std::string(*row.get(2)))),
         std::string(row.get(3).value_or("?")), row.get(4) == "t", row.get(5) == "t"});
  }
  return std::optional<Relation>(std::move(relation));
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// " (did you mean 'status'?)", or "; its columns are a, b, c".
std::string column_hint(const Relation& relation, const std::string& missing) {
  std::vector<std::string> names;
  for (const Column& column : relation.columns) names.push_back(column.name);
  if (auto nearest = config::nearest_name(missing, names)) {
    return " (did you mean '" + *nearest + "'?)";
  }
  return names.empty() ? "; it has no columns" : "; its columns are " + joined(names);
}

std::string missing_column_message(const TaskConfig& task, const Relation& relation,
                                   const std::string& column) {
  return "column '" + column + "' does not exist in " + task.table.qualified() +
         column_hint(relation, column);
}

// The columns a delete must carry for the task's writer to find what to remove.
bool needed_by_deletes(const TaskConfig& task, Role role) {
  switch (task.structure) {
    case Structure::kMap:
    case Structure::kHash:
    case Structure::kString:
      return role == Role::kKey;
    case Structure::kSet:
    case Structure::kSortedSet:
    case Structure::kList:
      return role == Role::kValue;
    case Structure::kStream:
      return false;  // a delete entry holds the fields the delete carried
  }
  return false;
}

class TaskSchemaCheck {
 public:
  TaskSchemaCheck(pg::Session& conn, const TaskConfig& task) : conn_(conn), task_(task) {}

  Result<std::vector<SchemaFinding>> run() {
    auto relation = read_relation(conn_, task_.table);
    if (!relation.ok()) return relation.status();
    if (!*relation) {
      auto hint = table_hint();
      if (!hint.ok()) return hint.status();
      error("table", "table " + task_.table.qualified() + " does not exist" + *hint);
      return std::move(findings_);
    }
    const Relation& table = **relation;
    if (task_.capture == Capture::kWal && !table.is_table()) {
      error("capture", "'capture: wal' follows a table's changes in the write-ahead log, and " +
                           task_.table.qualified() + " is " + std::string(table.kind_name()) +
                           ", which has none; poll it instead (remove 'capture'), or sync "
                           "the table it reads from");
    }
    for (const ColumnUse& use : columns_used(task_)) check_column(table, use);
    if (Status paged = check_paging(table); !paged.ok()) return paged;
    return std::move(findings_);
  }

 private:
  void check_column(const Relation& table, const ColumnUse& use) {
    const Column* column = table.find(use.column);
    if (column == nullptr) {
      error(use.key, missing_column_message(task_, table, use.column));
      return;
    }
    if (use.role == Role::kScore && !can_be_sorted_set_score(column->type)) {
      error(use.key, "a sorted set's score must be a number, a date or a timestamp, but column '" +
                         column->name + "' is " + column->type_text +
                         "; choose a numeric or time column for 'score'");
    }
    if (use.role == Role::kTracking) check_tracking(table, *column, use.key);
    if (task_.capture == Capture::kWal && table.is_table() && !column->in_replica_identity &&
        needed_by_deletes(task_, use.role)) {
      warning(use.key, "a deleted row of " + task_.table.qualified() +
                           " arrives with only the "
                           "columns of its replica identity, and '" +
                           column->name +
                           "' is not one of them, so the delete cannot be applied to the " +
                           std::string(to_string(task_.structure)) +
                           " (it is parked in the dead-letter stream); run ALTER TABLE " +
                           task_.table.qualified() + " REPLICA IDENTITY FULL");
    }
  }

  void check_tracking(const Relation& table, const Column& column, const std::string& key) {
    if (auto problem = tracking_type_problem(task_, column.name, column.type, column.type_text)) {
      error(key, *problem);
    }
    if (column.not_null) return;
    const std::string how = table.is_table() ? "add NOT NULL to the column (after filling its "
                                               "NULLs), or sync a view that selects "
                                             : "select it in the view as ";
    warning(key, "column '" + column.name + "' of " + task_.table.qualified() +
                     " may be NULL, and rows whose tracking value is NULL are never synced; " +
                     how + "COALESCE(" + column.name + ", <a value>) AS " + column.name);
  }

  // The reader pages by the primary key (after the tracking column): it must have one.
  Status check_paging(const Relation& table) {
    if (!task_.primary_key.empty()) return Status::Ok();
    if (!table.is_table()) {
      error("table", task_.table.qualified() + " is " + std::string(table.kind_name()) +
                         ", which has no primary key to page the read by; add "
                         "'primary_key: [column, ...]' naming the columns that identify a row "
                         "(unique and never NULL)");
      return Status::Ok();
    }
    auto discovered = discover_primary_key(conn_, task_.table);
    if (discovered.ok()) return Status::Ok();
    if (discovered.status().code() != StatusCode::kFailedPrecondition) return discovered.status();
    error("table", discovered.status().message());
    return Status::Ok();
  }

  // " (did you mean 'public.orders'?)" from the relations the database has, or "".
  Result<std::string> table_hint() {
    auto names = conn_.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN " +
        std::string(kRelationKinds) +
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%'");
    if (!names.ok()) return names.status();
    std::vector<std::string> candidates;
    for (const pg::Row& row : *names) candidates.emplace_back(row.get(0).value_or(""));
    auto nearest = config::nearest_name(task_.table.qualified(), candidates);
    return nearest ? " (did you mean '" + *nearest + "'?)" : std::string();
  }

  void error(std::string_view key, std::string message) { add(false, key, std::move(message)); }
  void warning(std::string_view key, std::string message) { add(true, key, std::move(message)); }
  void add(bool is_warning, std::string_view key, std::string message) {
    findings_.push_back({is_warning, task_.location_of(key).error(std::move(message))});
  }

  pg::Session& conn_;
  const TaskConfig& task_;
  std::vector<SchemaFinding> findings_;
};

}  // namespace

std::string SchemaFinding::to_string(std::string_view source_name) const {
  config::ConfigError shown = where;
  if (warning) shown.message = "warning: " + shown.message;
  return shown.to_string(source_name);
}

Result<std::vector<SchemaFinding>> check_task_schema(pg::Session& conn, const TaskConfig& task) {
  return TaskSchemaCheck(conn, task).run();
}

Status explain_undefined_column(pg::Session& conn, const TaskConfig& task, const Status& failure) {
  if (failure.detail() != pg::sqlstate::kUndefinedColumn) return failure;
  // None of the task's own columns missing: the operator's `where` names one.
  std::string what = (task.where.empty() ? "a column the task reads does not exist in "
                                         : "a column its 'where' names does not exist in ") +
                     task.table.qualified();
  auto relation = read_relation(conn, task.table);
  if (relation.ok() && *relation) {
    for (const ColumnUse& use : columns_used(task)) {
      if ((*relation)->find(use.column) != nullptr) continue;
      const SourceLocation& at = task.location_of(use.key);
      what = missing_column_message(task, **relation, use.column) + " (the task names it at " +
             at.path + ", line " + std::to_string(at.position.line) + ")";
      break;
    }
  }
  return Status(failure.code(),
                "task '" + task.name + "' (" + task.table.qualified() + "): " + what +
                    "; check every task against the database with `courier validate "
                    "--check-db`; Postgres said: " +
                    failure.message(),
                failure.detail());
}

}  // namespace courier::pg_to_redis
