#include "pg_to_redis/task_config.h"

#include <algorithm>
#include <limits>
#include <map>

#include "config/reader.h"
#include "config/scalar_parsers.h"
#include "pg_to_redis/schedule.h"

namespace courier::pg_to_redis {
namespace {

using config::MappingReader;
using config::ReadContext;
using config::ValueReader;

constexpr config::IntegerRange kBatchSizeRange{1, 1'000'000};
constexpr config::IntegerRange kUnhealthyAfterRange{1, 1'000'000};
constexpr config::IntegerRange kTrimLengthRange{1, std::numeric_limits<std::int64_t>::max()};

// Structures as bits, so a key can say which structures it applies to.
constexpr unsigned bit(Structure structure) {
  return 1U << static_cast<unsigned>(structure);
}
constexpr unsigned kSingleKey = bit(Structure::kMap) | bit(Structure::kList) |
                                bit(Structure::kSet) | bit(Structure::kSortedSet) |
                                bit(Structure::kStream);
constexpr unsigned kPerRowKey = bit(Structure::kHash) | bit(Structure::kString);
constexpr unsigned kValueWriters = kSingleKey & ~bit(Structure::kStream);

bool writes_per_row_keys(Structure structure) {
  return (bit(structure) & kPerRowKey) != 0;
}

// A key whose meaning depends on the structure: which structures take it, which need it,
// and where it is accepted but ignored because Red Courier's README documents it there
// (its code ignores it too), so that files written from that README keep loading.
struct StructureKey {
  std::string_view key;
  unsigned applies_to;
  unsigned required_by;
  std::string_view needed_for;    // completes "a map task needs 'value': …"
  std::string_view applies_note;  // completes "'value' applies to …"
  unsigned ignored_for_compatibility = 0;
};

constexpr std::array<StructureKey, 9> kStructureKeys = {{
    {"key", bit(Structure::kMap) | kPerRowKey, bit(Structure::kMap) | kPerRowKey,
     "",  // depends on the structure, see missing_key_message
     "map, hash and string tasks; the Redis key of this task is 'alias' (else the table name)",
     bit(Structure::kSortedSet)},
    {"value", kValueWriters, kValueWriters, "the column whose values are written",
     "map, list, set and sorted_set tasks; this task writes its 'fields'"},
    {"score", bit(Structure::kSortedSet), bit(Structure::kSortedSet),
     "the column that gives each member its score", "sorted_set tasks only"},
    {"fields", bit(Structure::kStream) | kPerRowKey, bit(Structure::kStream) | kPerRowKey,
     "the list of columns written for each row, e.g. [id, status]",
     "stream, hash and string tasks; this task writes its 'value' column", bit(Structure::kList)},
    {"maxlen", bit(Structure::kStream), 0, "", "streams only (use 'max_length' for lists)"},
    {"max_length", bit(Structure::kList), 0, "", "lists only (use 'maxlen' for streams)"},
    {"refresh", kValueWriters, 0, "",
     "map, list, set and sorted_set tasks: the ones that write one key from the whole query"},
    {"json_values", bit(Structure::kString), 0, "",
     "string tasks only: it says how the values of each row's JSON document are written"},
    {"alias", kSingleKey, 0, "",
     "tasks that write one Redis key; a hash or string task writes one key per row from "
     "its 'key' template"},
}};

std::string missing_key_message(const StructureKey& rule, Structure structure) {
  std::string needed(rule.needed_for);
  if (rule.key == "key") {
    needed = writes_per_row_keys(structure)
                 ? "a template for each row's Redis key, e.g. 'order:{id}'"
                 : "the column whose values become the hash's field names";
  }
  return "a " + std::string(to_string(structure)) + " task needs '" + std::string(rule.key) +
         "': " + needed;
}

// Parses "order:{id}:{region}". Returns nullopt with `problem` set when malformed.
std::optional<KeyTemplate> parse_key_template(const std::string& text, std::string& problem) {
  KeyTemplate parsed;
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '}') {
      problem = "unmatched '}' at character " + std::to_string(i + 1);
      return std::nullopt;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    std::size_t close = text.find_first_of("{}", i + 1);
    if (close == std::string::npos || text[close] != '}') {
      problem = "the '{' at character " + std::to_string(i + 1) + " is not closed by '}'";
      return std::nullopt;
    }
    std::string column = text.substr(i + 1, close - i - 1);
    if (column.empty()) {
      problem = "'{}' at character " + std::to_string(i + 1) + " names no column";
      return std::nullopt;
    }
    if (!literal.empty()) parsed.parts.push_back({false, std::move(literal)});
    literal.clear();
    parsed.parts.push_back({true, std::move(column)});
    i = close;
  }
  if (!literal.empty()) parsed.parts.push_back({false, std::move(literal)});
  if (parsed.columns().empty()) {
    problem = "it names no column; a per-row key needs at least one, e.g. 'order:{id}'";
    return std::nullopt;
  }
  return parsed;
}

// Reads one task entry; `names` holds the names of the tasks before it.
class TaskReader {
 public:
  TaskReader(MappingReader& entry, TaskConfig& task, std::map<std::string, int>& names)
      : entry_(entry), task_(task), names_(names) {}

  void read() {
    read_identity();
    read_structure_keys();
    read_schedule();
    read_tracking();
    read_additions();
    if (structure_known_) check_structure_keys();
    read_column_map();
    entry_.finish();
  }

 private:
  // A required, non-empty string; nullopt after recording an error.
  std::optional<std::string> required_text(std::string_view key, std::string_view what) {
    std::optional<ValueReader> found = entry_.value(key);
    if (!found) {
      entry_.error("missing required key '" + std::string(key) + "': " + std::string(what));
      return std::nullopt;
    }
    return non_empty_text(*found, what);
  }

  static std::optional<std::string> non_empty_text(const ValueReader& value,
                                                   std::string_view what) {
    std::optional<std::string> text = value.as_string();
    if (text && text->empty()) {
      value.error("must not be empty; expected " + std::string(what));
      return std::nullopt;
    }
    return text;
  }

  // An optional column name: absent stays empty, an empty string is an error.
  std::string column(std::string_view key) {
    std::optional<ValueReader> found = entry_.value(key);
    if (!found) return {};
    remember(*found);
    return non_empty_text(*found, "a column name").value_or("");
  }

  // Keeps where a value naming a database object was written (TaskConfig::key_locations).
  void remember(const ValueReader& value) {
    task_.key_locations.push_back({value.path(), value.position()});
  }

  // A list of column names, each non-empty and listed once.
  std::vector<std::string> column_list(std::string_view key) {
    std::vector<std::string> columns;
    std::optional<ValueReader> found = entry_.value(key);
    if (!found) return columns;
    std::optional<config::SequenceReader> list = found->as_sequence();
    if (!list) return columns;
    if (list->empty()) list->error("'" + std::string(key) + "' must list at least one column");
    for (const ValueReader& item : list->items()) {
      remember(item);
      std::optional<std::string> name = non_empty_text(item, "a column name");
      if (!name) continue;
      if (std::find(columns.begin(), columns.end(), *name) != columns.end()) {
        item.error("column '" + *name + "' is listed twice; list each column once");
        continue;
      }
      columns.push_back(std::move(*name));
    }
    return columns;
  }

  void read_identity() {
    task_.location = {entry_.path(), entry_.position()};
    if (std::optional<std::string> name = required_text("name", "a unique name for the task")) {
      task_.name = *name;
      auto [first, inserted] = names_.emplace(*name, entry_.value("name")->position().line);
      if (!inserted) {
        entry_.error_at("name", "duplicate task name '" + *name + "' (first used on line " +
                                    std::to_string(first->second) +
                                    "); give each task its own name");
      }
    }
    if (std::optional<std::string> table =
            required_text("table", "the Postgres table, 'orders' or 'schema.orders'")) {
      remember(*entry_.value("table"));
      read_table_name(*table);
    }
    task_.alias = entry_.string("alias").value_or("");
    task_.where = entry_.string("where").value_or("");
    task_.key_prefix = entry_.string("key_prefix").value_or("");
    task_.log_sql = entry_.boolean("log_sql").value_or(task_.log_sql);
  }

  void read_table_name(const std::string& written) {
    task_.table_as_written = written;
    std::size_t dot = written.find('.');
    bool two_parts = dot != std::string::npos;
    if (two_parts) {
      task_.table.schema = written.substr(0, dot);
      task_.table.name = written.substr(dot + 1);
    } else {
      task_.table.name = written;
    }
    bool malformed = task_.table.name.empty() || task_.table.schema.empty() ||
                     task_.table.name.find('.') != std::string::npos;
    if (malformed) {
      entry_.error_at("table",
                      "expected 'table' or 'schema.table' (one dot at most, no empty part)");
    }
  }

  void read_structure_keys() {
    if (std::optional<ValueReader> found = entry_.value("structure")) {
      std::optional<Structure> structure = found->as_enumeration(kStructureNames);
      structure_known_ = structure.has_value();
      if (structure) task_.structure = *structure;
    }
    task_.value = column("value");
    task_.score = column("score");
    task_.fields = column_list("fields");
    std::string key = column("key");
    if (key.empty() || !structure_known_) return;
    if (writes_per_row_keys(task_.structure)) {
      std::string problem;
      if (std::optional<KeyTemplate> parsed = parse_key_template(key, problem)) {
        task_.key_template = std::move(*parsed);
      } else {
        entry_.error_at("key", "malformed per-row key template: " + problem);
      }
    } else if (task_.structure == Structure::kMap) {
      if (key.find_first_of("{}") != std::string::npos) {
        entry_.error_at("key",
                        "a map task's 'key' names a column; a per-row key template such "
                        "as 'order:{id}' needs structure 'hash' or 'string'");
      } else {
        task_.key = std::move(key);
      }
    }  // other structures: check_structure_keys reports 'key' as not applying
  }

  void read_schedule() {
    task_.schedule_location = task_.location;
    std::string zone_to_parse_with = task_.time_zone;
    if (std::optional<ValueReader> zone = entry_.value("time_zone")) {
      if (std::optional<std::string> text = zone->as_string()) task_.time_zone = *text;
      // A misspelt zone is reported at `time_zone` (even on an @every schedule, where it
      // changes nothing: it is still a mistake); the schedule is then checked in UTC.
      if (Status valid = check_time_zone(task_.time_zone); !valid.ok()) {
        zone->error(valid.message());
      } else {
        zone_to_parse_with = task_.time_zone;
      }
    }
    std::optional<ValueReader> found = entry_.value("schedule");
    if (found) {
      task_.schedule_location = {found->path(), found->position()};
      if (std::optional<std::string> text = found->as_string()) task_.schedule = *text;
    }
    // Reported at the schedule (or the task when it has none): a bad expression, or a bad
    // zone in a CRON_TZ=/TZ= prefix.
    Result<Schedule> parsed = parse_schedule(task_.schedule, zone_to_parse_with);
    if (!parsed.ok()) {
      if (found) {
        found->error(parsed.status().message());
      } else {
        entry_.error(parsed.status().message());
      }
    }
  }

  void read_tracking() {
    std::optional<MappingReader> tracking = entry_.mapping("tracking");
    if (!tracking) return;
    TrackingConfig config;
    if (std::optional<ValueReader> column = tracking->value("column")) {
      remember(*column);
      config.column = non_empty_text(*column, "a column name").value_or("");
    } else {
      tracking->error(
          "missing required key 'column': the column whose values mark progress, "
          "e.g. updated_at");
    }
    config.op = tracking->enumeration("operator", kTrackingOperatorNames).value_or(config.op);
    config.last_value_key = tracking->string("last_value_key").value_or("");
    if (config.last_value_key.empty()) config.last_value_key = "checkpoint:" + task_.name;
    tracking->finish();
    task_.tracking = std::move(config);
  }

  void read_additions() {
    task_.primary_key = column_list("primary_key");
    task_.batch_size =
        entry_.integer<int>("batch_size", kBatchSizeRange).value_or(task_.batch_size);
    task_.unhealthy_after = entry_.integer<int>("unhealthy_after", kUnhealthyAfterRange)
                                .value_or(task_.unhealthy_after);
    task_.lookback = entry_.duration("lookback").value_or(task_.lookback);
    if (task_.lookback.count() > 0 && !task_.tracking) {
      entry_.error_at("lookback",
                      "'lookback' re-reads rows behind the tracking checkpoint and "
                      "needs 'tracking'; add it or remove 'lookback'");
    }
    if (task_.lookback.count() > 0 &&
        (task_.structure == Structure::kList || task_.structure == Structure::kStream)) {
      entry_.error_at("lookback", "'lookback' re-reads rows already written, and a " +
                                      std::string(to_string(task_.structure)) +
                                      " would append them a second time; use it with map, set, "
                                      "sorted_set, hash or string, or remove it");
    }
    task_.ttl = entry_.duration("ttl", config::kPositiveDuration);
    task_.maxlen = entry_.integer("maxlen", kTrimLengthRange);
    task_.max_length = entry_.integer("max_length", kTrimLengthRange);
    task_.dead_letter_stream = entry_.string("dead_letter_stream").value_or("");
    if (std::optional<ValueReader> capture = entry_.value("capture")) remember(*capture);
    task_.capture = entry_.enumeration("capture", kCaptureNames).value_or(task_.capture);
    task_.refresh = entry_.enumeration("refresh", kRefreshNames).value_or(task_.refresh);
    task_.json_values =
        entry_.enumeration("json_values", kJsonValuesNames).value_or(task_.json_values);
    if (task_.refresh == Refresh::kReplace && task_.tracking) {
      entry_.error_at("refresh",
                      "'refresh: replace' rewrites the key from the whole query each run, and a "
                      "task with 'tracking' reads only what changed; remove one of them");
    }
    if (task_.capture == Capture::kWal) check_wal_capture();
  }

  // A WAL task receives each change as it commits: what only a poll needs has no meaning.
  void check_wal_capture() {
    for (std::string_view key : {"schedule", "time_zone", "tracking", "lookback", "refresh"}) {
      if (!entry_.has(key)) continue;
      entry_.error_at(key, "'" + std::string(key) +
                               "' applies to polling; a task with 'capture: wal' receives "
                               "each change as it commits; remove '" +
                               std::string(key) + "'");
    }
    const bool names_op = std::find(task_.fields.begin(), task_.fields.end(), "op") !=
                          task_.fields.end();
    if (task_.structure == Structure::kStream && names_op) {
      entry_.error_at("fields",
                      "a stream entry of a 'capture: wal' task starts with the field 'op' "
                      "(insert, update or delete); rename the field with column_map");
    }
  }

  void check_structure_keys() {
    for (const StructureKey& rule : kStructureKeys) {
      bool present = entry_.has(rule.key);
      bool applies =
          ((rule.applies_to | rule.ignored_for_compatibility) & bit(task_.structure)) != 0;
      bool required = (rule.required_by & bit(task_.structure)) != 0;
      if (present && !applies) {
        entry_.error_at(rule.key, "'" + std::string(rule.key) + "' applies to " +
                                      std::string(rule.applies_note) +
                                      "; this task's structure is '" +
                                      std::string(to_string(task_.structure)) + "'");
      } else if (!present && required) {
        entry_.error(missing_key_message(rule, task_.structure));
      }
    }
  }

  // Every name the task reads a column for; column_map may rename exactly these.
  std::vector<std::string> referenced_names() const {
    std::vector<std::string> names = task_.fields;
    for (const std::string& one : {task_.key, task_.value, task_.score}) names.push_back(one);
    for (const std::string& one : task_.key_template.columns()) names.push_back(one);
    if (task_.tracking) names.push_back(task_.tracking->column);
    for (const std::string& one : task_.primary_key) names.push_back(one);
    return names;
  }

  // A mapping from field name to column. The reader offers lookups by key only, so it asks for
  // every name the task uses; finish() then reports entries for names the task never uses.
  void read_column_map() {
    std::optional<MappingReader> map = entry_.mapping("column_map");
    if (!map) return;
    for (const std::string& name : referenced_names()) {
      if (name.empty()) continue;
      bool seen = std::any_of(task_.column_map.begin(), task_.column_map.end(),
                              [&](const auto& entry) { return entry.first == name; });
      std::optional<ValueReader> found = seen ? std::nullopt : map->value(name);
      if (!found) continue;
      remember(*found);
      if (std::optional<std::string> column = non_empty_text(*found, "a column name")) {
        task_.column_map.emplace_back(name, std::move(*column));
      }
    }
    map->finish();
  }

  MappingReader& entry_;
  TaskConfig& task_;
  std::map<std::string, int>& names_;
  bool structure_known_ = true;  // false after an unknown structure: skip its checks
};

}  // namespace

std::string_view to_string(Structure structure) {
  for (const auto& entry : kStructureNames) {
    if (entry.value == structure) return entry.name;
  }
  return "?";
}

std::string_view to_string(TrackingOperator op) {
  return op == TrackingOperator::kGreater ? ">" : "<";
}

config::ConfigError SourceLocation::error(std::string message) const {
  return {path, position.line, position.column, std::move(message)};
}

std::string TableName::qualified() const {
  return schema + "." + name;
}

std::vector<std::string> KeyTemplate::columns() const {
  std::vector<std::string> names;
  for (const Part& part : parts) {
    if (part.is_column) names.push_back(part.text);
  }
  return names;
}

std::string KeyTemplate::to_string() const {
  std::string text;
  for (const Part& part : parts) text += part.is_column ? "{" + part.text + "}" : part.text;
  return text;
}

const SourceLocation& TaskConfig::location_of(std::string_view key) const {
  const std::string path = location.path + "." + std::string(key);
  for (const SourceLocation& written : key_locations) {
    if (written.path == path) return written;
  }
  return location;
}

const std::string& TaskConfig::column_for(const std::string& field) const {
  for (const auto& [mapped_field, column] : column_map) {
    if (mapped_field == field) return column;
  }
  return field;
}

std::string TaskConfig::redis_key() const {
  return key_prefix + (alias.empty() ? table_as_written : alias);
}

std::string TaskConfig::dead_letter_key() const {
  return dead_letter_stream.empty() ? "courier:dead:" + name : dead_letter_stream;
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string describe_columns(const TaskConfig& task) {
  switch (task.structure) {
    case Structure::kMap:
      return "field " + task.key + ", value " + task.value;
    case Structure::kList:
    case Structure::kSet:
      return "value " + task.value;
    case Structure::kSortedSet:
      return "score " + task.score + ", member " + task.value;
    default:
      return "fields " + joined(task.fields);
  }
}

}  // namespace

std::string TaskConfig::describe() const {
  const bool per_row = writes_per_row_keys(structure);
  std::string target = per_row ? key_prefix + key_template.to_string() : redis_key();
  std::string line = name + ": " + table.qualified() + " -> " + std::string(to_string(structure)) +
                     " '" + target + "' (" + describe_columns(*this) + ")";
  if (!where.empty()) line += "; only rows where " + where;
  if (capture == Capture::kWal) {
    line += "; changes from the write-ahead log";
  } else {
    line += "; schedule '" + schedule + "'";
    if (tracking) {
      line += "; tracking " + tracking->column + " " + std::string(to_string(tracking->op)) +
              " (checkpoint '" + tracking->last_value_key + "')";
      if (lookback.count() > 0) {
        line += ", re-reading the last " + config::format_duration(lookback) + " each run";
      }
    } else {
      line += "; no tracking (whole table each run)";
      if ((bit(structure) & kValueWriters) != 0) {
        line += refresh == Refresh::kReplace
                    ? "; refresh replace (each run's result swapped in whole, in one step)"
                    : "; refresh merge (written in place, then what left the query removed)";
      }
    }
  }
  if (ttl) {
    line += std::string(per_row ? "; each key expires " : "; the key expires ") +
            config::format_duration(*ttl) + " after its last write";
  }
  if (structure == Structure::kString && json_values == JsonValues::kText)
    line += "; every JSON value a string";
  if (maxlen) line += "; trimmed to about " + std::to_string(*maxlen) + " entries";
  if (max_length) line += "; trimmed to the newest " + std::to_string(*max_length) + " entries";
  return line + "; batch " + std::to_string(batch_size);
}

std::vector<config::ConfigError> read_tasks(const config::CourierConfig& config,
                                            std::vector<TaskConfig>& out) {
  const config::ReservedSection* section = config.reserved_section("tasks");
  if (section == nullptr) return {};
  config::ConfigErrors errors;
  ReadContext context(errors);
  ValueReader tasks = config::open_reserved_section(*section, context);
  if (tasks.is_null()) return {};
  std::optional<config::SequenceReader> list = tasks.as_sequence();
  if (!list) return errors.sorted();
  std::map<std::string, int> names;  // name → line of its first task
  for (const ValueReader& item : list->items()) {
    std::optional<MappingReader> entry = item.as_mapping();
    if (!entry) continue;
    TaskConfig task;
    task.log_sql = config.log.log_sql;
    TaskReader(*entry, task, names).read();
    out.push_back(std::move(task));
  }
  return errors.sorted();
}

}  // namespace courier::pg_to_redis
