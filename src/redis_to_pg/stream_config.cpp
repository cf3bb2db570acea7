#include "redis_to_pg/stream_config.h"

#include <algorithm>
#include <map>

#include "config/reader.h"
#include "config/scalar_parsers.h"
#include "redis_to_pg/rindexer_example.h"
#include "text/integer.h"

namespace courier::redis_to_pg {
namespace {

using config::MappingReader;
using config::ReadContext;
using config::ValueReader;

constexpr config::IntegerRange kWorkersRange{1, 256};
constexpr config::IntegerRange kBatchSizeRange{1, 100'000};
constexpr config::IntegerRange kPositiveCount{1, 1'000'000};
constexpr config::IntegerRange kRetriesRange{0, 1'000};
constexpr config::IntegerRange kLargeCount{1, int64_t{1} << 32};
// Deeper documents would recurse deep enough in nlohmann::json to threaten a worker's stack.
constexpr config::IntegerRange kJsonDepthRange{1, 1'000};

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string trimmed(std::string_view text) {
  size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : std::string(separator)) + part;
  return out;
}

// A non-empty, dot-separated path; nullopt (error recorded) for "a..b" or "".
std::optional<std::vector<std::string>> read_path(const ValueReader& value) {
  std::optional<std::string> text = value.as_string();
  if (!text) return std::nullopt;
  if (*text == "$") return std::vector<std::string>{};  // the whole element or document
  std::vector<std::string> path = split(*text, '.');
  if (std::any_of(path.begin(), path.end(), [](const std::string& p) { return p.empty(); })) {
    value.error(
        "expected a dot-separated path such as 'transaction_information.log_index' "
        "(or '$' for the whole value)");
    return std::nullopt;
  }
  return path;
}

void read_column(MappingReader& entry, ColumnMapping& column) {
  if (auto name = entry.string("column"); name && !name->empty()) {
    column.column = *name;
  } else {
    entry.error("missing required key 'column': the Postgres column this value goes to");
  }
  std::vector<std::string_view> sources;
  for (std::string_view key : {"path", "document", "field", "meta"}) {
    if (entry.has(key)) sources.push_back(key);
  }
  if (sources.size() != 1) {
    entry.error(sources.empty()
                    ? "a column needs one of 'path' (in the event), 'document', 'field' or 'meta'"
                    : "a column takes only one of 'path', 'document', 'field' and 'meta'");
  }
  if (auto path = entry.value("path")) {
    column.source = ValueSource::kElement;
    column.path = read_path(*path).value_or(std::vector<std::string>{});
  }
  if (auto path = entry.value("document")) {
    column.source = ValueSource::kDocument;
    column.path = read_path(*path).value_or(std::vector<std::string>{});
  }
  if (auto field = entry.string("field")) {
    column.source = ValueSource::kField;
    column.field = *field;
  }
  if (auto meta = entry.enumeration("meta", kMetaValueNames)) {
    column.source = ValueSource::kMeta;
    column.meta = *meta;
  }
  column.type = entry.enumeration("type", kValueTypeNames).value_or(column.type);
  column.hex_without_prefix = entry.boolean("hex_without_prefix").value_or(false);
  if (column.hex_without_prefix && column.type != ValueType::kNumeric &&
      column.type != ValueType::kBigint && column.type != ValueType::kTimestamptz) {
    entry.error_at("hex_without_prefix", "applies to numeric, bigint and timestamptz columns only");
  }
  column.optional = entry.boolean("optional").value_or(false);
  entry.finish();
}

void read_mapping(MappingReader& entry, TableMapping& mapping) {
  mapping.location = entry.path();
  mapping.event = entry.string("event").value_or("");
  mapping.stream = entry.string("stream").value_or("");
  if (auto table = entry.string("table"); table && !table->empty()) {
    mapping.table = *table;
  } else {
    entry.error("missing required key 'table': the Postgres table the rows go to");
  }
  mapping.key = entry.string_list("key").value_or(std::vector<std::string>{});
  if (mapping.key.empty())
    entry.error(
        "missing required key 'key': the table's primary key columns, e.g. "
        "[transaction_hash, log_index] (the ON CONFLICT target)");
  mapping.on_conflict =
      entry.enumeration("on_conflict", kConflictActionNames).value_or(ConflictAction::kNothing);
  if (auto list = entry.sequence("columns")) {
    for (const ValueReader& item : list->items()) {
      if (auto column_entry = item.as_mapping()) {
        ColumnMapping column;
        read_column(*column_entry, column);
        bool repeated =
            std::any_of(mapping.columns.begin(), mapping.columns.end(),
                        [&](const ColumnMapping& c) { return c.column == column.column; });
        if (repeated) item.error("column '" + column.column + "' is mapped twice");
        mapping.columns.push_back(std::move(column));
      }
    }
  } else {
    entry.error(
        "missing required key 'columns': a list of {column, path|document|field|meta, type}");
  }
  for (const std::string& key_column : mapping.key) {
    bool mapped = std::any_of(mapping.columns.begin(), mapping.columns.end(),
                              [&](const ColumnMapping& c) { return c.column == key_column; });
    if (!mapped) entry.error_at("key", "key column '" + key_column + "' is not among 'columns'");
  }
  entry.finish();
}

void read_mapping_list(const ValueReader& value, std::vector<TableMapping>& out) {
  auto list = value.as_sequence();
  if (!list) return;
  std::map<std::pair<std::string, std::string>, std::string> taken;  // (stream, event) → where
  for (const ValueReader& item : list->items()) {
    auto entry = item.as_mapping();
    if (!entry) continue;
    TableMapping mapping;
    read_mapping(*entry, mapping);
    auto [first, inserted] =
        taken.emplace(std::pair{mapping.stream, mapping.event}, mapping.location);
    if (!inserted)
      item.error("another mapping (" + first->second + ") already takes event '" +
                 (mapping.event.empty() ? "*" : mapping.event) + "' of stream '" +
                 (mapping.stream.empty() ? "*" : mapping.stream) + "'");
    out.push_back(std::move(mapping));
  }
}

void read_section(MappingReader& section, StreamsConfig& out) {
  out.streams = section.string_list("streams").value_or(out.streams);
  out.group = section.string("group").value_or(out.group);
  out.consumer = section.string("consumer").value_or(out.consumer);
  out.workers = section.integer<int>("workers", kWorkersRange).value_or(out.workers);
  out.batch_size = section.integer<int>("batch_size", kBatchSizeRange).value_or(out.batch_size);
  out.max_batch_bytes =
      section.integer("max_batch_bytes", kLargeCount).value_or(out.max_batch_bytes);
  out.batch_timeout =
      section.duration("batch_timeout", config::kPositiveDuration).value_or(out.batch_timeout);
  out.processing_timeout = section.duration("processing_timeout", config::kPositiveDuration)
                               .value_or(out.processing_timeout);
  out.max_retries = section.integer<int>("max_retries", kRetriesRange).value_or(out.max_retries);
  if (auto breaker = section.mapping("circuit_breaker")) {
    out.breaker_threshold =
        breaker->integer<int>("threshold", kPositiveCount).value_or(out.breaker_threshold);
    out.breaker_timeout =
        breaker->duration("timeout", config::kPositiveDuration).value_or(out.breaker_timeout);
    breaker->finish();
  }
  out.claim_idle =
      section.duration("claim_idle", config::kPositiveDuration).value_or(out.claim_idle);
  out.max_deliveries =
      section.integer<int>("max_deliveries", kPositiveCount).value_or(out.max_deliveries);
  out.max_entry_bytes =
      section.integer("max_entry_bytes", kLargeCount).value_or(out.max_entry_bytes);
  out.max_json_depth =
      section.integer<int>("max_json_depth", kJsonDepthRange).value_or(out.max_json_depth);
  out.dead_letter_stream = section.string("dead_letter_stream").value_or(out.dead_letter_stream);
  out.dead_letter_max_length =
      section.integer("dead_letter_max_length", kLargeCount).value_or(out.dead_letter_max_length);
  out.payload_fields = section.string_list("payload_fields").value_or(out.payload_fields);
  out.migrations = section.string("migrations").value_or(out.migrations);
  if (auto mappings = section.value("mappings")) {
    out.builtin_rindexer_schema = false;
    read_mapping_list(*mappings, out.mappings);
  }
  if (out.streams.empty()) section.error_at("streams", "must name at least one stream");
  if (out.group.empty()) section.error_at("group", "must not be empty");
  section.finish();
}

// One environment override: parses the text or records an error naming the variable.
class EnvironmentOverrides {
 public:
  EnvironmentOverrides(const config::EnvLookup& env, config::ConfigErrors& errors)
      : env_(env), errors_(errors) {}

  void text(const char* name, std::string& target) {
    if (auto value = env_(name); value && !value->empty()) target = *value;
  }
  void list(const char* name, std::vector<std::string>& target) {
    auto value = env_(name);
    if (!value || value->empty()) return;
    std::vector<std::string> items;
    for (const std::string& item : split(*value, ',')) {
      if (std::string name_trimmed = trimmed(item); !name_trimmed.empty())
        items.push_back(std::move(name_trimmed));
    }
    if (items.empty()) return fail(name, "expected comma-separated stream names");
    target = std::move(items);
  }
  void integer(const char* name, int& target, config::IntegerRange range) {
    auto value = env_(name);
    if (!value || value->empty()) return;
    auto parsed = text::parse_integer(trimmed(*value), {.min = range.min,
                                                        .max = range.max,
                                                        .signs = text::Signs::kPlusMinus});
    if (!parsed)
      return fail(name, "expected an integer from " + std::to_string(range.min) + " to " +
                            std::to_string(range.max) + ", got '" + *value + "'");
    target = static_cast<int>(*parsed);
  }
  void milliseconds(const char* name, std::chrono::milliseconds& target) {
    int value = -1;
    integer(name, value, {1, 24 * 3600 * 1000});
    if (value > 0) target = std::chrono::milliseconds(value);
  }

 private:
  void fail(const char* name, std::string message) {
    errors_.add(std::string("environment ") + name, {}, std::move(message));
  }
  const config::EnvLookup& env_;
  config::ConfigErrors& errors_;
};

void apply_environment(const config::EnvLookup& env, config::ConfigErrors& errors,
                       StreamsConfig& out) {
  EnvironmentOverrides overrides(env, errors);
  overrides.list("REDIS_STREAMS", out.streams);
  overrides.text("CONSUMER_GROUP", out.group);
  overrides.text("CONSUMER_NAME", out.consumer);
  overrides.integer("BATCH_SIZE", out.batch_size, kBatchSizeRange);
  overrides.milliseconds("BATCH_TIMEOUT_MS", out.batch_timeout);
  overrides.integer("WORKERS", out.workers, kWorkersRange);
  overrides.milliseconds("PROCESSING_TIMEOUT_MS", out.processing_timeout);
  overrides.integer("MAX_RETRIES", out.max_retries, kRetriesRange);
  overrides.integer("CIRCUIT_BREAKER_THRESHOLD", out.breaker_threshold, kPositiveCount);
  overrides.milliseconds("CIRCUIT_BREAKER_TIMEOUT_MS", out.breaker_timeout);
  overrides.milliseconds("CLAIM_IDLE_MS", out.claim_idle);
}

}  // namespace

std::string ColumnMapping::describe_source() const {
  switch (source) {
    case ValueSource::kElement:
      return path.empty() ? "$" : joined(path, ".");
    case ValueSource::kDocument:
      return "document " + (path.empty() ? std::string("$") : joined(path, "."));
    case ValueSource::kField:
      return "field " + field;
    case ValueSource::kMeta:
      for (const auto& name : kMetaValueNames)
        if (name.value == meta) return "meta " + std::string(name.name);
  }
  return "?";
}

std::string TableMapping::describe() const {
  return (stream.empty() ? std::string("*") : stream) + "/" + (event.empty() ? "*" : event) +
         " -> " + table + " (" + std::to_string(columns.size()) + " columns, key " +
         joined(key, ", ") + ", on conflict " +
         (on_conflict == ConflictAction::kNothing ? "do nothing" : "update") + ")";
}

std::string StreamsConfig::describe() const {
  std::string text = "streams " + joined(streams, ", ") + " group '" + group + "', " +
                     std::to_string(workers) + " workers, batch " + std::to_string(batch_size) +
                     " / " + config::format_duration(batch_timeout) + ", dead letters '" +
                     dead_letter_stream + "'\n";
  for (const TableMapping& mapping : mappings) text += "  mapping " + mapping.describe() + "\n";
  return text;
}

std::vector<config::ConfigError> read_mappings_of_config_yaml(std::string_view yaml,
                                                              std::string source,
                                                              std::vector<TableMapping>& out) {
  config::ConfigErrors errors;
  try {
    YAML::Node mappings = YAML::Load(std::string(yaml))["streams"]["mappings"];
    ReadContext context(errors);
    ValueReader value(mappings, "streams.mappings", config::position_of(mappings.Mark()), context);
    if (value.is_null()) errors.add(source, {}, "has no streams.mappings");
    read_mapping_list(value, out);
  } catch (const YAML::Exception& error) {
    errors.add(source, config::position_of(error.mark), error.msg);
  }
  return errors.sorted();
}

const std::vector<TableMapping>& rindexer_mappings() {
  static const std::vector<TableMapping> mappings = [] {
    std::vector<TableMapping> parsed;
    auto errors =
        read_mappings_of_config_yaml(kRindexerConfigYaml, "examples/rindexer/courier.yaml", parsed);
    if (!errors.empty()) throw std::logic_error("built-in rindexer mapping: " + errors[0].message);
    return parsed;
  }();
  return mappings;
}

std::string_view rindexer_migration_sql() {
  return kRindexerMigrationSql;
}

std::vector<config::ConfigError> read_streams(const config::CourierConfig& config,
                                              const config::EnvLookup& env, StreamsConfig& out) {
  config::ConfigErrors errors;
  if (const config::ReservedSection* section = config.reserved_section("streams")) {
    ReadContext context(errors);
    ValueReader value = config::open_reserved_section(*section, context);
    if (!value.is_null()) {
      if (auto mapping = value.as_mapping()) read_section(*mapping, out);
    }
  }
  apply_environment(env, errors, out);
  if (out.builtin_rindexer_schema) out.mappings = rindexer_mappings();
  return errors.sorted();
}

}  // namespace courier::redis_to_pg
