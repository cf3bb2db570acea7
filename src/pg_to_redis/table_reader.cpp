#include "pg_to_redis/table_reader.h"

#include <algorithm>
#include <utility>

#include "pg/identifier.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {
namespace {

void add_once(std::vector<std::string>& columns, const std::string& column) {
  if (column.empty()) return;
  if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
    columns.push_back(column);
  }
}

// What the task writes, as Postgres columns, in the order the task names them.
std::vector<std::string> written_columns(const TaskConfig& task) {
  std::vector<std::string> columns;
  add_once(columns, task.key.empty() ? std::string() : task.column_for(task.key));
  for (const std::string& column : task.key_template.columns()) {
    add_once(columns, task.column_for(column));
  }
  if (!task.value.empty()) add_once(columns, task.column_for(task.value));
  if (!task.score.empty()) add_once(columns, task.column_for(task.score));
  for (const std::string& field : task.fields) add_once(columns, task.column_for(field));
  return columns;
}

Result<std::string> quoted_list(const std::vector<std::string>& names, std::string_view suffix) {
  std::string out;
  for (const std::string& name : names) {
    auto quoted = pg::quote_identifier(name);
    if (!quoted.ok()) return quoted.status();
    if (!out.empty()) out += ", ";
    out += *quoted;
    out += suffix;
  }
  return out;
}

Status task_error(const TaskConfig& task, StatusCode code, const std::string& message) {
  return Status(code, "task '" + task.name + "' (" + task.table.qualified() + "): " + message);
}

}  // namespace

Result<ReadQuery> ReadQuery::plan(const TaskConfig& task, std::vector<std::string> primary_key) {
  if (primary_key.empty()) {
    return task_error(task, StatusCode::kInvalidArgument, "no primary key to order the read by");
  }
  if (task.batch_size < 1) {
    return task_error(task, StatusCode::kInvalidArgument,
                      "batch_size must be at least 1, not " + std::to_string(task.batch_size));
  }
  if (task.lookback.count() > 0 && !task.tracking) {
    return task_error(task, StatusCode::kInvalidArgument,
                      "lookback needs `tracking:`; remove lookback or add a tracking column");
  }
  ReadQuery query;
  query.batch_size_ = task.batch_size;
  // column_map may rename the tracking column too; discovered keys are real columns.
  const std::string tracking_column =
      task.tracking ? task.column_for(task.tracking->column) : std::string();
  add_once(query.cursor_columns_, tracking_column);
  for (const std::string& column : primary_key) add_once(query.cursor_columns_, column);
  query.columns_ = written_columns(task);
  for (const std::string& column : query.cursor_columns_) add_once(query.columns_, column);

  auto selected = quoted_list(query.columns_, "");
  auto table = quoted_table(task.table);
  auto cursor = quoted_list(query.cursor_columns_, "");
  query.descending_ = task.tracking && task.tracking->op == TrackingOperator::kLess;
  auto order = quoted_list(query.cursor_columns_, query.descending_ ? " DESC" : "");
  for (const Status& status :
       {selected.status(), table.status(), cursor.status(), order.status()}) {
    if (!status.ok()) return task_error(task, StatusCode::kInvalidArgument, status.message());
  }
  query.select_from_ = "SELECT " + *selected + " FROM " + *table;
  query.cursor_list_ = "(" + *cursor + ")";
  query.order_by_ = *order;
  if (task.tracking) {
    query.quoted_tracking_ = *pg::quote_identifier(tracking_column);
    query.not_null_ = query.quoted_tracking_ + " IS NOT NULL";
  }
  query.where_ = task.where;
  query.from_ = *table;
  if (task.lookback.count() > 0) {
    query.lookback_interval_ = std::to_string(task.lookback.count()) + " milliseconds";
  }
  return query;
}

void ReadQuery::bound_by_open_transactions(pg::TypeOid tracking_type) {
  // The start of the oldest transaction open in this database now (ours aside; autovacuum
  // and walsenders write no rows), or now when there is none. Asked in a statement of its
  // own before a run's first page: every row a later snapshot cannot see yet was written by
  // a transaction open at that moment or begun after it, so its value is at least the bound.
  const std::string oldest =
      "least(min(xact_start), now())";
  const std::string from =
      " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
      " AND backend_type NOT IN ('autovacuum worker', 'walsender')";
  if (tracking_type == type_oid::kTimestamptz) {
    bound_sql_ = "SELECT " + oldest + "::text" + from;
    bound_type_ = "timestamptz";
  } else if (tracking_type == type_oid::kTimestamp) {
    // A timestamp column holds writers' local time: their zone is the server's default.
    bound_sql_ = "SELECT (" + oldest +
                 " AT TIME ZONE (SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'))::text" +
                 from;
    bound_type_ = "timestamp";
  }
}

std::string ReadQuery::null_tracking_sql() const {
  if (quoted_tracking_.empty()) return {};
  std::string sql =
      "SELECT EXISTS (SELECT 1 FROM " + from_ + " WHERE " + quoted_tracking_ + " IS NULL";
  if (!where_.empty()) sql += " AND (" + where_ + "\n)";
  return sql + ")";
}

std::string ReadQuery::sql(Start start) const {
  std::vector<std::string> conditions;
  if (!not_null_.empty()) conditions.push_back(not_null_);
  if (start == Start::kAfterCursor) {
    std::string placeholders;
    for (size_t i = 1; i <= cursor_columns_.size(); ++i) {
      if (i > 1) placeholders += ", ";
      placeholders += "$" + std::to_string(i);
    }
    conditions.push_back(cursor_list_ + (descending_ ? " < (" : " > (") + placeholders + ")");
  } else if (start == Start::kLookbackFrom) {
    conditions.push_back(quoted_tracking_ + (descending_ ? " <= $1::timestamptz + $2::interval"
                                                         : " >= $1::timestamptz - $2::interval"));
  }
  // On its own line, so a trailing `-- comment` in the operator's SQL ends there.
  if (!bound_sql_.empty()) {
    const size_t bound_parameter = parameter_count(start) + 1;
    conditions.push_back(quoted_tracking_ + " < $" + std::to_string(bound_parameter) +
                         "::" + bound_type_);
  }
  if (!where_.empty()) conditions.push_back("(" + where_ + "\n)");
  std::string sql = select_from_;
  for (size_t i = 0; i < conditions.size(); ++i) {
    sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  }
  sql += " ORDER BY " + order_by_ + " LIMIT " + std::to_string(batch_size_);
  return sql;
}

Result<ReadQuery::Start> ReadQuery::start_for(const std::optional<TrackingCursor>& after,
                                              bool run_start, const std::string& key) const {
  if (!after) return Start::kBeginning;
  if (after->values.size() != cursor_columns_.size()) {
    std::string expected;
    for (const std::string& column : cursor_columns_) {
      expected += (expected.empty() ? "" : ", ") + column;
    }
    return Status(StatusCode::kInvalidArgument,
                  "checkpoint under Redis key '" + key + "' holds " +
                      std::to_string(after->values.size()) + " values, but the cursor (" +
                      expected + ") needs " + std::to_string(cursor_columns_.size()) +
                      "; tracking or primary_key changed since it was written — delete the "
                      "key to re-read the table from the start");
  }
  if (run_start && !lookback_interval_.empty()) return Start::kLookbackFrom;
  return Start::kAfterCursor;
}

size_t ReadQuery::parameter_count(Start start) const {
  switch (start) {
    case Start::kBeginning:
      return 0;
    case Start::kAfterCursor:
      return cursor_columns_.size();
    case Start::kLookbackFrom:
      return 2;
  }
  return 0;
}

pg::Params ReadQuery::params(Start start, const std::optional<TrackingCursor>& after) const {
  pg::Params params;
  if (start == Start::kAfterCursor) {
    for (const std::string& value : after->values) params.emplace_back(value);
  } else if (start == Start::kLookbackFrom) {
    params.emplace_back(after->values.front());
    params.emplace_back(lookback_interval_);
  }
  return params;
}

Result<std::string> quoted_table(const TableName& table) {
  auto schema = pg::quote_identifier(table.schema);
  if (!schema.ok()) return schema.status();
  auto name = pg::quote_identifier(table.name);
  if (!name.ok()) return name.status();
  return *schema + "." + *name;
}

Result<std::vector<std::string>> discover_primary_key(pg::Session& conn,
                                                      const TableName& table) {
  auto regclass = quoted_table(table);
  if (!regclass.ok()) return regclass.status();
  auto result = conn.execute(
      "SELECT a.attname FROM pg_index i"
      " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)"
      " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
      " WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.position",
      {*regclass});
  if (!result.ok()) return result.status();
  std::vector<std::string> columns;
  for (const pg::Row& row : *result) columns.emplace_back(row.get(0).value_or(""));
  if (columns.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "table " + table.qualified() +
                      " has no primary key; name the columns that identify a row with "
                      "`primary_key: [col, ...]` in the task");
  }
  return columns;
}

TableReader::TableReader(pg::Session& conn, const TaskConfig& task, std::vector<std::string> pk,
                         ReadQuery query)
    : conn_(&conn),
      task_name_(task.name),
      checkpoint_key_(task.tracking && !task.tracking->last_value_key.empty()
                          ? task.tracking->last_value_key
                          : "checkpoint:" + task.name),
      primary_key_(std::move(pk)),
      query_(std::move(query)) {}

std::optional<std::string> tracking_type_problem(const TaskConfig& task, const std::string& column,
                                                 TypeOid type, std::string_view type_text) {
  if (task.lookback.count() > 0 && !is_time_type(type)) {
    return "lookback needs a timestamp, timestamptz or date tracking column, but '" + column +
           "' is " + std::string(type_text) + "; remove `lookback` or track a time column";
  }
  return std::nullopt;
}

Result<TableReader> TableReader::open(pg::Session& conn, const TaskConfig& task) {
  if (Status settings = conn.execute_script(session_settings_sql()); !settings.ok()) {
    return settings;
  }
  std::vector<std::string> pk;
  for (const std::string& column : task.primary_key) pk.push_back(task.column_for(column));
  if (pk.empty()) {
    auto discovered = discover_primary_key(conn, task.table);
    if (!discovered.ok()) {
      Status status = discovered.status();
      return task_error(task, status.code(), status.message());
    }
    pk = std::move(*discovered);
  }
  auto query = ReadQuery::plan(task, pk);
  if (!query.ok()) return query.status();
  bool tracking_nullable = false;
  if (task.tracking) {
    const std::string& column = query->cursor_columns().front();
    auto type = conn.execute(
        "SELECT atttypid::int8, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
        " WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
        {*quoted_table(task.table), column});
    if (!type.ok()) return type.status();
    if (type->row_count() != 1) {
      return task_error(task, StatusCode::kInvalidArgument,
                        "tracking column '" + column +
                            "' does not exist; check the task's columns against the database "
                            "with `courier validate --check-db`");
    }
    const auto oid = static_cast<TypeOid>(std::stoul(std::string(type->get(0, 0).value_or("0"))));
    if (task.tracking->op == TrackingOperator::kGreater) query->bound_by_open_transactions(oid);
    if (auto problem = tracking_type_problem(task, column, oid, type->get(0, 1).value_or("?"))) {
      return task_error(task, StatusCode::kInvalidArgument, *problem);
    }
    // A view's columns are always nullable in the catalog; a session without the column
    // (a test's fake) is taken as NOT NULL.
    const auto not_null = type->column_index("attnotnull");
    tracking_nullable = not_null && type->get(0, *not_null) == "f";
  }
  TableReader reader(conn, task, std::move(pk), std::move(*query));
  reader.tracking_nullable_ = tracking_nullable;
  return reader;
}

Result<Batch> TableReader::first_batch(const std::optional<TrackingCursor>& checkpoint) {
  return read(checkpoint, /*run_start=*/true);
}

Result<Batch> TableReader::next_batch(const std::optional<TrackingCursor>& after) {
  return read(after, /*run_start=*/false);
}

Result<Batch> TableReader::read(const std::optional<TrackingCursor>& after, bool run_start) {
  auto start = query_.start_for(after, run_start, checkpoint_key_);
  if (!start.ok()) return start.status();
  pg::Params params = query_.params(*start, after);
  if (query_.bounded()) {
    // Once per run: any later snapshot still cannot miss a row older than a bound taken
    // before it, and the catalog view is too slow to ask before every page.
    if (run_start || !bound_) {
      auto bound = conn_->execute(query_.bound_sql());
      if (!bound.ok()) return bound.status();
      bound_ = std::string(bound->get(0, 0).value_or("infinity"));
    }
    params.emplace_back(*bound_);
  }
  auto rows = conn_->execute(query_.sql(*start), params);
  if (!rows.ok()) return rows.status();
  Batch batch{std::move(*rows), std::nullopt};
  batch.last = batch.rows.row_count() < query_.batch_size();
  const int last = batch.rows.row_count() - 1;
  if (last < 0) return batch;
  TrackingCursor cursor;
  for (const std::string& column : query_.cursor_columns()) {
    const auto index = batch.rows.column_index(column);
    const auto text = index ? batch.rows.get(last, *index) : std::nullopt;
    if (!text) {
      return Status(StatusCode::kFailedPrecondition,
                    "task '" + task_name_ + "': cursor column '" + column +
                        "' is NULL in a row read; primary_key columns must never be NULL");
    }
    cursor.values.emplace_back(*text);
  }
  batch.after = std::move(cursor);
  return batch;
}

}  // namespace courier::pg_to_redis
