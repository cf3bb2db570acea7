// The `tasks:` section of table sync: what each task reads from Postgres and how it writes
// to Redis. Red Courier's task format loads unchanged and means the same; Courier adds
// per-row keys (hash, string), exact tracking options and trimming. Reading checks every
// task at once and reports each mistake with its path and line:column (docs/configuration.md).
//
//   std::vector<TaskConfig> tasks;
//   std::vector<config::ConfigError> errors = read_tasks(loaded.config, tasks);
//   for (const TaskConfig& task : tasks) std::puts(task.describe().c_str());
//
// Thread-safety: plain values; read_tasks reads the config's shared YAML, call it from one
// thread at a time per config.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_error.h"
#include "config/courier_config.h"

namespace courier::pg_to_redis {

enum class Structure {
  kMap,        // HSET <key> row[key] row[value]        (Red Courier)
  kList,       // LPUSH <key> row[value]                (Red Courier)
  kSet,        // SADD <key> row[value]                 (Red Courier)
  kSortedSet,  // ZADD <key> row[score] row[value]      (Red Courier)
  kStream,     // XADD <key> * field value …            (Red Courier)
  kHash,       // per row: HSET <key template> field value …
  kString,     // per row: SET <key template> <JSON object of the fields>
};

inline constexpr std::array<config::EnumName<Structure>, 7> kStructureNames = {{
    {Structure::kMap, "map"},
    {Structure::kList, "list"},
    {Structure::kSet, "set"},
    {Structure::kSortedSet, "sorted_set"},
    {Structure::kStream, "stream"},
    {Structure::kHash, "hash"},
    {Structure::kString, "string"},
}};

enum class TrackingOperator {
  kGreater,  // ">": walk upwards from the checkpoint
  kLess,     // "<": walk downwards from the checkpoint
};

inline constexpr std::array<config::EnumName<TrackingOperator>, 2> kTrackingOperatorNames = {{
    {TrackingOperator::kGreater, ">"},
    {TrackingOperator::kLess, "<"},
}};

// How a task learns of its table's rows: `capture: poll` (default) reads them on a
// schedule; `capture: wal` follows the write-ahead log (docs/change-capture.md).
enum class Capture { kPoll, kWal };

inline constexpr std::array<config::EnumName<Capture>, 2> kCaptureNames = {{
    {Capture::kPoll, "poll"},
    {Capture::kWal, "wal"},
}};

// How a polled single-key task (map, list, set, sorted_set) without tracking brings its key
// up to date each run: `merge` (default) writes into the key, then removes what left the
// query; `replace` writes the whole result to a temporary key and renames it over the old
// one, so readers see the old contents or the new, never a mix (docs/table-sync.md).
enum class Refresh { kMerge, kReplace };

inline constexpr std::array<config::EnumName<Refresh>, 2> kRefreshNames = {{
    {Refresh::kMerge, "merge"},
    {Refresh::kReplace, "replace"},
}};

// How a `string` task writes the values of its JSON document: `typed` (default) writes
// numbers, booleans, null and json/jsonb columns as JSON's own types; `text` writes every
// value but NULL as a JSON string, as Courier did before (docs/types.md, "JSON values").
enum class JsonValues { kTyped, kText };

inline constexpr std::array<config::EnumName<JsonValues>, 2> kJsonValuesNames = {{
    {JsonValues::kTyped, "typed"},
    {JsonValues::kText, "text"},
}};

std::string_view to_string(Structure structure);
std::string_view to_string(TrackingOperator op);

// Where a value was written, so a later check (e.g. parsing the schedule) can report there.
struct SourceLocation {
  std::string path;           // "tasks[2].schedule"
  config::Position position;  // line:column in the file

  config::ConfigError error(std::string message) const;
};

// `table: orders` or `table: sales.orders`; names kept as written, quoted when used in SQL.
struct TableName {
  std::string schema = "public";  // Red Courier's default schema
  std::string name;

  std::string qualified() const;  // "public.orders", for messages and logs
};

// A per-row Redis key such as "order:{id}" or "cart:{tenant}:{id}": literal text and columns.
struct KeyTemplate {
  struct Part {
    bool is_column = false;
    std::string text;  // literal text, or the column's name
  };
  std::vector<Part> parts;

  std::vector<std::string> columns() const;  // in order of appearance, repeats kept
  std::string to_string() const;             // as written: "order:{id}"
  bool empty() const { return parts.empty(); }
};

// `tracking:` — incremental sync by a column whose values only grow (or only shrink, "<").
struct TrackingConfig {
  std::string column;                                // required
  TrackingOperator op = TrackingOperator::kGreater;  // `operator`: ">" or "<"
  std::string last_value_key;                        // default "checkpoint:<task name>"
};

struct TaskConfig {
  // ---- Red Courier's keys ----
  std::string name;                          // required, unique among the tasks
  TableName table;                           // required
  std::string table_as_written;              // "orders" or "sales.orders", as in the file
  std::string alias;                         // Redis key; empty: the table as written
  Structure structure = Structure::kStream;  // Red Courier's default
  std::string key;                           // map: the column of the hash field
  KeyTemplate key_template;         // hash, string: `key: "order:{id}"`, one Redis key per row
  std::string value;                // map, list, set, sorted_set: the value column
  std::string score;                // sorted_set: the score column
  std::vector<std::string> fields;  // stream, hash, string: the fields written, in this order
  // `column_map`: field name (as in `fields`) → Postgres column, when they differ.
  std::vector<std::pair<std::string, std::string>> column_map;
  std::string schedule = "@every 5m";      // cron or @every; checked by the schedule parser
  SourceLocation schedule_location;        // where `schedule` was written (the task if absent)
  std::string time_zone = "UTC";           // zone of cron wall times: UTC, Local or an IANA name
  std::optional<TrackingConfig> tracking;  // absent: every run re-reads the whole table
  std::string where;       // operator-supplied SQL filter, pasted into WHERE as written
  std::string key_prefix;  // prepended to every Redis key the task writes (not the checkpoint)
  bool log_sql = false;    // default: the root `log_sql`

  // ---- Courier's additions ----
  std::vector<std::string> primary_key;          // empty: the table's primary key, read at start-up
  int batch_size = 1000;                         // rows per query and per atomic Redis write
  int unhealthy_after = 3;                       // failed runs in a row that turn /health 503
  std::chrono::milliseconds lookback{0};         // tracking: re-read this far behind the checkpoint
  std::optional<std::chrono::milliseconds> ttl;  // EXPIRE of each key written; absent: none
  std::optional<std::int64_t> maxlen;            // stream: XADD MAXLEN ~ n
  std::optional<std::int64_t> max_length;        // list: LTRIM to the newest n entries
  std::string dead_letter_stream;  // Redis stream of rows that cannot be written; empty: default
  Capture capture = Capture::kPoll;  // wal: no schedule, tracking or lookback
  Refresh refresh = Refresh::kMerge;  // replace: map, list, set, sorted_set without tracking
  JsonValues json_values = JsonValues::kTyped;  // string: typed JSON values, or all strings

  SourceLocation location;  // the task's own entry, "tasks[2]"
  // Where the keys that name the database's objects were written (`table`, `key`, `value`,
  // `score`, each item of `fields` and `primary_key`, `tracking.column`, each
  // `column_map` entry), and `capture`, so a check against the live schema
  // (schema_check.h) can report at the exact place.
  std::vector<SourceLocation> key_locations;

  // Where `key` (relative to the task: "table", "fields[1]", "column_map.status") was
  // written; the task's own location when it was not.
  const SourceLocation& location_of(std::string_view key) const;
  // The Postgres column behind a field name (column_map, else the name itself).
  const std::string& column_for(const std::string& field) const;
  // The one Redis key of map, list, set, sorted_set and stream tasks: key_prefix + (alias,
  // else the table as written).
  std::string redis_key() const;
  // Where rows that cannot be written are parked: `dead_letter_stream`, else
  // "courier:dead:<name>" (key_prefix does not apply, as for the checkpoint).
  std::string dead_letter_key() const;
  // One line for `courier validate`: "order_stream: public.orders -> stream 'order:stream', …".
  std::string describe() const;
};

// Reads the config's `tasks:` section (nothing when the file has none) into `out`, with
// defaults filled in; returns every mistake found, sorted by line. Tasks with mistakes are
// still appended (with what could be read), so callers must not run them when errors remain.
std::vector<config::ConfigError> read_tasks(const config::CourierConfig& config,
                                            std::vector<TaskConfig>& out);

}  // namespace courier::pg_to_redis
