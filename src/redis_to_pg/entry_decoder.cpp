#include "redis_to_pg/entry_decoder.h"

#include <nlohmann/json.hpp>

#include "redis_to_pg/json_nesting.h"
#include "redis_to_pg/value_conversion.h"
#include "text/integer.h"

namespace courier::redis_to_pg {
namespace {

using nlohmann::json;

const std::string* field_value(const StreamEntry& entry, std::string_view name) {
  for (const auto& [field, value] : entry.fields)
    if (field == name) return &value;
  return nullptr;
}

// The value at `path` below `root`; a discarded value when a step is missing.
const json* find_path(const json& root, const std::vector<std::string>& path) {
  const json* node = &root;
  for (const std::string& step : path) {
    if (node->is_object()) {
      auto found = node->find(step);
      if (found == node->end()) return nullptr;
      node = &*found;
    } else if (auto index = text::parse_integer<size_t>(step, {.signs = text::Signs::kNone});
               node->is_array() && index && *index < node->size()) {
      node = &(*node)[*index];
    } else {
      return nullptr;
    }
  }
  return node;
}

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// What one entry holds, shared by the rows of its elements.
struct EntryContext {
  const StreamEntry& entry;
  const json& document;  // null when the entry has no payload field
  std::string event_name;
};

Result<std::optional<std::string>> column_value(const ColumnMapping& column,
                                                const EntryContext& context, const json& element,
                                                size_t element_index) {
  static const json kAbsent;  // null
  switch (column.source) {
    case ValueSource::kElement:
    case ValueSource::kDocument: {
      const json& root = column.source == ValueSource::kElement ? element : context.document;
      if (root.is_null() && !column.optional)
        return invalid("the entry has no JSON payload field to read it from");
      const json* found = find_path(root, column.path);
      return convert_value(found ? *found : kAbsent, column);
    }
    case ValueSource::kField: {
      const std::string* value = field_value(context.entry, column.field);
      return convert_value(value ? json(*value) : kAbsent, column);
    }
    case ValueSource::kMeta:
      switch (column.meta) {
        case MetaValue::kStream:
          return std::optional<std::string>(context.entry.stream);
        case MetaValue::kEntryId:
          return std::optional<std::string>(context.entry.id);
        case MetaValue::kElementIndex:
          return std::optional<std::string>(std::to_string(element_index));
        case MetaValue::kEventName:
          return convert_value(context.event_name.empty() ? kAbsent : json(context.event_name),
                               column);
      }
  }
  return invalid("unknown value source");
}

// `text` parsed, when it nests no deeper than `max_depth` and is valid JSON; `what` names
// it in the reason otherwise. The depth is checked first: parsing is iterative, but every
// later dump or copy of the document recurses once per level.
Result<json> parse_bounded(const std::string& text, int max_depth, const std::string& what) {
  if (Status nesting = check_json_nesting(text, max_depth); !nesting.ok())
    return invalid(what + ": " + nesting.message());
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return invalid(what + " is not valid JSON");
  return parsed;
}

// The elements an entry stands for: the items of an `event_data` array, the `event_data`
// object, or else the document itself.
Result<std::vector<const json*>> elements_of(const json& document, json& reparsed, int max_depth) {
  if (document.is_array()) {
    std::vector<const json*> items;
    for (const json& item : document) items.push_back(&item);
    return items;
  }
  if (!document.is_object() || !document.contains("event_data")) return std::vector{&document};
  const json* inner = &document["event_data"];
  if (inner->is_string()) {  // a producer that nested the JSON as a string
    auto parsed =
        parse_bounded(inner->get_ref<const std::string&>(), max_depth, "'event_data' (a string)");
    if (!parsed.ok()) return parsed.status();
    reparsed = std::move(*parsed);
    inner = &reparsed;
  }
  if (inner->is_array()) {
    std::vector<const json*> items;
    for (const json& item : *inner) items.push_back(&item);
    return items;
  }
  if (inner->is_object()) return std::vector{inner};
  return invalid("'event_data' must be an object or an array of objects, got " +
                 std::string(inner->type_name()));
}

// True when a required column of `table` reads the JSON document.
bool reads_document(const TableMapping& table) {
  for (const ColumnMapping& column : table.columns) {
    bool from_json =
        column.source == ValueSource::kElement || column.source == ValueSource::kDocument;
    if (from_json && !column.optional) return true;
  }
  return false;
}

std::string describe_list(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

size_t StreamEntry::byte_size() const {
  size_t bytes = id.size();
  for (const auto& [field, value] : fields) bytes += field.size() + value.size();
  return bytes;
}

std::string entry_as_json(const StreamEntry& entry) {
  json fields = json::object();
  for (const auto& [field, value] : entry.fields) fields[field] = value;
  return json{{"stream", entry.stream}, {"id", entry.id}, {"fields", fields}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

EntryDecoder::EntryDecoder(const StreamsConfig& config)
    : mappings_(config.mappings),
      payload_fields_(config.payload_fields),
      max_entry_bytes_(config.max_entry_bytes),
      max_json_depth_(config.max_json_depth) {}

std::optional<size_t> EntryDecoder::mapping_for(const std::string& stream,
                                                const std::string& event) const {
  const std::pair<std::string_view, std::string_view> wanted[] = {
      {stream, event}, {"", event}, {stream, ""}, {"", ""}};
  for (const auto& [want_stream, want_event] : wanted) {
    for (size_t i = 0; i < mappings_.size(); ++i) {
      if (mappings_[i].stream == want_stream && mappings_[i].event == want_event) return i;
    }
  }
  return std::nullopt;
}

DecodedEntry EntryDecoder::decode(const StreamEntry& entry) const {
  DecodedEntry decoded;
  auto reject_entry = [&](Status error) {
    decoded.rejected.push_back({kWholeEntry, std::move(error), entry_as_json(entry)});
    return decoded;
  };
  if (static_cast<int64_t>(entry.byte_size()) > max_entry_bytes_)
    return reject_entry(invalid("entry of " + std::to_string(entry.byte_size()) +
                                " bytes is larger than max_entry_bytes (" +
                                std::to_string(max_entry_bytes_) + ")"));
  json document;  // null when no payload field is present
  for (const std::string& name : payload_fields_) {
    const std::string* payload = field_value(entry, name);
    if (!payload) continue;
    auto parsed = parse_bounded(*payload, max_json_depth_, "field '" + name + "'");
    if (!parsed.ok()) return reject_entry(parsed.status());
    document = std::move(*parsed);
    break;
  }
  EntryContext context{entry, document, {}};
  if (document.is_object() && document.contains("event_name") && document["event_name"].is_string())
    context.event_name = document["event_name"].get<std::string>();
  else if (const std::string* field = field_value(entry, "event_name"))
    context.event_name = *field;
  std::optional<size_t> mapping = mapping_for(entry.stream, context.event_name);
  if (!mapping)
    return reject_entry(invalid("no mapping takes event '" + context.event_name + "' of stream '" +
                                entry.stream + "'"));
  const TableMapping& table = mappings_[*mapping];
  if (document.is_null() && reads_document(table))
    return reject_entry(
        invalid("the entry has no JSON payload field (" + describe_list(payload_fields_) + ")"));
  json reparsed;
  auto elements = elements_of(document, reparsed, max_json_depth_);
  if (!elements.ok()) return reject_entry(elements.status());
  for (size_t index = 0; index < elements->size(); ++index) {
    const json& element = *(*elements)[index];
    DecodedRow row{*mapping, index, {}};
    Status failure;
    for (const ColumnMapping& column : table.columns) {
      auto value = column_value(column, context, element, index);
      if (!value.ok()) {
        failure = invalid("column '" + column.column + "' (" + column.describe_source() +
                          ") of table " + table.table + ": " + value.status().message());
        break;
      }
      row.values.push_back(std::move(*value));
    }
    if (failure.ok()) {
      decoded.rows.push_back(std::move(row));
    } else {
      std::string where = elements->size() > 1 ? "element " + std::to_string(index) + ": " : "";
      decoded.rejected.push_back({index, invalid(where + failure.message()),
                                  element.dump(-1, ' ', false, json::error_handler_t::replace)});
    }
  }
  return decoded;
}

}  // namespace courier::redis_to_pg
