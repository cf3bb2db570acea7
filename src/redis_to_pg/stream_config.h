// The `streams:` section of stream ingest (Redis Streams → Postgres): which streams are
// read by which consumer group, how entries become rows of which tables, and the knobs of
// batching, retries and the circuit breaker. The reference service's environment
// variables (REDIS_STREAMS, CONSUMER_GROUP, BATCH_SIZE, …) override the file, with the
// reference's defaults; without `mappings` the rindexer mapping and schema are used.
//
//   StreamsConfig streams;
//   auto errors = read_streams(loaded.config, config::process_environment(), streams);
//   for (const TableMapping& m : streams.mappings) std::puts(m.describe().c_str());
//
// Thread-safety: plain values; read_streams reads the config's shared YAML, call it from
// one thread at a time per config.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/courier_config.h"
#include "config/env_substitution.h"

namespace courier::redis_to_pg {

// How a JSON (or entry field) value becomes the text of a Postgres value.
enum class ValueType {
  kText,         // strings as they are; numbers and booleans as written; objects as JSON
  kNumeric,      // decimal, or 0x hex of any size → decimal digits
  kBigint,       // decimal or 0x hex → 64-bit integer (range checked)
  kTimestamptz,  // unix seconds (decimal or 0x hex) or an ISO 8601 string
  kJsonb,        // any JSON value, as JSON text
  kBoolean,      // true/false, "true"/"false", 1/0
};

inline constexpr std::array<config::EnumName<ValueType>, 6> kValueTypeNames = {{
    {ValueType::kText, "text"},
    {ValueType::kNumeric, "numeric"},
    {ValueType::kBigint, "bigint"},
    {ValueType::kTimestamptz, "timestamptz"},
    {ValueType::kJsonb, "jsonb"},
    {ValueType::kBoolean, "boolean"},
}};

// Where a column's value comes from.
enum class ValueSource {
  kElement,   // `path:` inside the event element (an item of an `event_data` array)
  kDocument,  // `document:` path inside the whole JSON document of the entry
  kField,     // `field:` a field of the stream entry itself
  kMeta,      // `meta:` stream, entry_id, element_index, event_name
};

enum class MetaValue { kStream, kEntryId, kElementIndex, kEventName };

inline constexpr std::array<config::EnumName<MetaValue>, 4> kMetaValueNames = {{
    {MetaValue::kStream, "stream"},
    {MetaValue::kEntryId, "entry_id"},
    {MetaValue::kElementIndex, "element_index"},
    {MetaValue::kEventName, "event_name"},
}};

enum class ConflictAction { kNothing, kUpdate };

inline constexpr std::array<config::EnumName<ConflictAction>, 2> kConflictActionNames = {{
    {ConflictAction::kNothing, "nothing"},
    {ConflictAction::kUpdate, "update"},
}};

struct ColumnMapping {
  std::string column;  // Postgres column
  ValueSource source = ValueSource::kElement;
  std::vector<std::string> path;        // element/document: keys from the outside in; empty = whole
  std::string field;                    // source kField
  MetaValue meta = MetaValue::kStream;  // source kMeta
  ValueType type = ValueType::kText;
  bool hex_without_prefix = false;  // numeric/bigint: digits are hex even without "0x"
  bool optional = false;            // absent or null → NULL instead of an error

  std::string describe_source() const;  // "transaction_information.log_index", "meta entry_id"
};

struct TableMapping {
  std::string event;   // event_name this mapping takes; empty: every event not taken by another
  std::string stream;  // only entries of this stream; empty: every stream
  std::string table;   // target, "table" or "schema.table"
  std::vector<std::string> key;  // the table's primary key (ON CONFLICT target)
  ConflictAction on_conflict = ConflictAction::kNothing;
  std::vector<ColumnMapping> columns;
  std::string location;  // "streams.mappings[2]", for messages

  std::string describe() const;
};

struct StreamsConfig {
  std::vector<std::string> streams = {"rindexer_producer"};  // REDIS_STREAMS
  std::string group = "postgres-sync";                       // CONSUMER_GROUP
  std::string consumer;                            // CONSUMER_NAME; empty: "<host>-<worker index>"
  int workers = 4;                                 // WORKERS
  int batch_size = 100;                            // BATCH_SIZE
  int64_t max_batch_bytes = 16 << 20;              // a batch also closes at this many entry bytes
  std::chrono::milliseconds batch_timeout{5'000};  // BATCH_TIMEOUT_MS: latency bound
  std::chrono::milliseconds processing_timeout{30'000};  // PROCESSING_TIMEOUT_MS: per batch
  int max_retries = 3;                                   // MAX_RETRIES: transient failures
  int breaker_threshold = 5;                             // CIRCUIT_BREAKER_THRESHOLD
  std::chrono::milliseconds breaker_timeout{60'000};     // CIRCUIT_BREAKER_TIMEOUT_MS
  std::chrono::milliseconds claim_idle{60'000};          // XAUTOCLAIM entries idle this long
  int max_deliveries = 5;                                // then the entry goes to the dead letters
  int64_t max_entry_bytes = 1 << 20;                     // larger entries are dead-lettered
  // Deeper JSON is dead-lettered; 128 is the recursion limit of serde_json, which the
  // reference service parsed with, so whatever it took still goes through.
  int max_json_depth = 128;
  std::string dead_letter_stream = "courier:streams:dead-letters";
  int64_t dead_letter_max_length = 100'000;  // the oldest letters are trimmed beyond it
  std::vector<std::string> payload_fields = {"event_data", "data", "payload"};
  std::string migrations;  // directory of NNNN_name.sql applied at start-up; empty: none
  bool builtin_rindexer_schema = true;  // true when `mappings` is absent (the rindexer set)
  std::vector<TableMapping> mappings;

  std::string describe() const;
};

// The reference's environment variables this section honours, in the order documented.
inline constexpr std::array<std::string_view, 11> kStreamEnvironmentVariables = {
    "REDIS_STREAMS",
    "CONSUMER_GROUP",
    "CONSUMER_NAME",
    "BATCH_SIZE",
    "BATCH_TIMEOUT_MS",
    "WORKERS",
    "PROCESSING_TIMEOUT_MS",
    "MAX_RETRIES",
    "CIRCUIT_BREAKER_THRESHOLD",
    "CIRCUIT_BREAKER_TIMEOUT_MS",
    "CLAIM_IDLE_MS"};

// Reads the config's `streams:` section into `out` (defaults when the file has none: the
// caller decides whether ingest runs), then applies the environment overrides. Returns
// every mistake, sorted by line; an environment variable's mistake has line 0 and its
// name as path.
std::vector<config::ConfigError> read_streams(const config::CourierConfig& config,
                                              const config::EnvLookup& env, StreamsConfig& out);

// Reads `streams.mappings` of a whole config file's YAML text, values as written (the
// built-in rindexer mapping, tests). Errors are returned, not thrown.
std::vector<config::ConfigError> read_mappings_of_config_yaml(std::string_view yaml,
                                                              std::string source,
                                                              std::vector<TableMapping>& out);

// The configuration `courier run` uses when no file is given but the reference's
// DATABASE_URL is set: connections from DATABASE_URL, REDIS_URL (default
// redis://127.0.0.1:6379) and HTTP_PORT (default 8080) on HTTP_HOST (default every
// interface, as the reference, so a container's health check keeps working), and a
// `streams:` section left to the environment and the rindexer defaults.
inline constexpr std::string_view kEnvironmentOnlyConfig =
    "postgres:\n  url: ${DATABASE_URL}\n"
    "redis:\n  url: ${REDIS_URL:-redis://127.0.0.1:6379}\n"
    "http:\n  listen: ${HTTP_HOST:-0.0.0.0}:${HTTP_PORT:-8080}\n"
    "streams: {}\n";

// The mapping of examples/rindexer/courier.yaml (compiled in).
const std::vector<TableMapping>& rindexer_mappings();
// The rindexer schema migration shipped in examples/rindexer/migrations (compiled in).
std::string_view rindexer_migration_sql();

}  // namespace courier::redis_to_pg
