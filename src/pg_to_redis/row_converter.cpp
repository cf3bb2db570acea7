#include "pg_to_redis/row_converter.h"

#include <algorithm>
#include <utility>

#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {
namespace {

// The names a task's writer looks values up by, each once, and whether it is the score.
std::vector<std::pair<std::string, bool>> names_written(const TaskConfig& task) {
  std::vector<std::pair<std::string, bool>> names;
  auto add = [&](const std::string& name, bool is_score) {
    if (name.empty()) return;
    auto same = [&](const auto& entry) { return entry.first == name; };
    if (std::none_of(names.begin(), names.end(), same)) names.emplace_back(name, is_score);
  };
  add(task.key, false);
  for (const std::string& column : task.key_template.columns()) add(column, false);
  add(task.value, false);  // before the score: a column used as both stays a value
  // Only a sorted set has a score; elsewhere a column named in `score` (a TaskConfig built
  // by hand may carry one) is an ordinary value, typed like any other in a string's JSON.
  if (task.structure == Structure::kSortedSet) add(task.score, true);
  for (const std::string& field : task.fields) add(field, false);
  return names;
}

}  // namespace

Result<RowConverter> RowConverter::make(const TaskConfig& task, const pg::QueryResult& sample,
                                        const std::vector<std::string>& primary_key) {
  auto missing = [&](const std::string& column) {
    return Status(StatusCode::kInvalidArgument,
                  "task '" + task.name + "': the query result has no column '" + column + "'");
  };
  RowConverter converter;
  converter.typed_json_ = task.json_values == JsonValues::kTyped;
  for (const auto& [name, is_score] : names_written(task)) {
    const std::string& column = task.column_for(name);
    std::optional<int> index = sample.column_index(column);
    if (!index) return missing(column);
    if (is_score && !can_be_sorted_set_score(sample.column_type(*index))) {
      return Status(StatusCode::kInvalidArgument,
                    "task '" + task.name + "': score column '" + column + "' is " +
                        type_name(sample.column_type(*index)) +
                        "; a score must be an integer, numeric, float, date or timestamp column");
    }
    converter.columns_.push_back({name, *index, is_score});
  }
  for (const std::string& column : primary_key) {
    std::optional<int> index = sample.column_index(column);
    if (!index) return missing(column);
    converter.primary_key_.push_back({column, *index});
  }
  return converter;
}

ConvertedRows RowConverter::convert(const pg::QueryResult& rows, std::span<const int> unsent) const {
  ConvertedRows out;
  out.rows.reserve(static_cast<size_t>(rows.row_count()));
  for (int r = 0; r < rows.row_count(); ++r) {
    SyncRow row;
    row.fields.reserve(columns_.size());
    std::string problem;
    for (const NamedColumn& named : columns_) {
      if (std::find(unsent.begin(), unsent.end(), named.column) != unsent.end()) {
        row.unsent.push_back(named.name);
        continue;
      }
      const TypeOid type = rows.column_type(named.column);
      const std::optional<std::string_view> text = rows.get(r, named.column);
      if (named.is_score) {
        Result<std::string> score = to_sorted_set_score(type, text);
        if (!score.ok()) {
          problem = "score '" + named.name + "': " + score.status().message();
          break;
        }
        row.fields.emplace_back(named.name, RedisValue{std::move(*score)});
        continue;
      }
      Result<RedisValue> value = to_redis_value(type, text);
      if (!value.ok()) {
        problem = "column '" + named.name + "': " + value.status().message();
        break;
      }
      if (!typed_json_) value->json = JsonKind::kString;
      row.fields.emplace_back(named.name, std::move(*value));
    }
    if (!problem.empty()) {
      out.problems.push_back({static_cast<size_t>(r), row_identity(rows, r), std::move(problem)});
      continue;
    }
    out.rows.push_back(std::move(row));
    out.source_rows.push_back(static_cast<size_t>(r));
  }
  return out;
}

std::string RowConverter::row_identity(const pg::QueryResult& rows, int row) const {
  std::string identity;
  for (const KeyColumn& key : primary_key_) {
    if (!identity.empty()) identity += ", ";
    identity += key.name + "=" + std::string(rows.get(row, key.column).value_or("NULL"));
  }
  return identity;
}

}  // namespace courier::pg_to_redis
