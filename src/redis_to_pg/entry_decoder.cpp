#include "redis_to_pg/entry_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "redis_to_pg/json_nesting.h"
#include "redis_to_pg/value_conversion.h"
#include "text/integer.h"

namespace courier::redis_to_pg {
namespace {

using simdjson::dom::element;

const std::string* field_value(const StreamEntry& entry, std::string_view name) {
  for (const auto& [field, value] : entry.fields)
    if (field == name) return &value;
  return nullptr;
}

// The value at `path` below `root`; nullopt when a step is missing.
std::optional<element> find_path(element node, const std::vector<std::string>& path) {
  for (const std::string& step : path) {
    if (node.is_object()) {
      auto found = node.get_object().at_key(step);
      if (found.error()) return std::nullopt;
      node = found.value_unsafe();
    } else if (auto index = text::parse_integer<size_t>(step, {.signs = text::Signs::kNone});
               node.is_array() && index) {
      auto found = node.get_array().at(*index);
      if (found.error()) return std::nullopt;
      node = found.value_unsafe();
    } else {
      return std::nullopt;
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
  std::optional<element> document;  // nullopt when the entry has no payload field
  std::string_view event_name;
};

Result<std::optional<std::string>> column_value(const ColumnMapping& column,
                                                const EntryContext& context, element item,
                                                size_t element_index) {
  switch (column.source) {
    case ValueSource::kElement:
    case ValueSource::kDocument: {
      // Without a payload only optional JSON columns get here (see reads_document).
      if (!context.document) return convert_value(ColumnInput(), column);
      std::optional<element> found = find_path(
          column.source == ValueSource::kDocument ? *context.document : item, column.path);
      return convert_value(found ? ColumnInput(*found) : ColumnInput(), column);
    }
    case ValueSource::kField: {
      const std::string* value = field_value(context.entry, column.field);
      return convert_value(value ? ColumnInput(std::string_view(*value)) : ColumnInput(), column);
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
          return convert_value(
              context.event_name.empty() ? ColumnInput() : ColumnInput(context.event_name), column);
      }
  }
  return invalid("unknown value source");
}

// `text` parsed by `parser`, when it nests no deeper than `max_depth` and is valid JSON;
// `what` names it in the reason otherwise. The parser enforces the depth itself (without
// recursing); only a refused document is scanned again, for the byte where the limit was
// passed. The element lives until `parser` parses again.
Result<element> parse_bounded(simdjson::dom::parser& parser, std::string_view text, int max_depth,
                              const std::string& what) {
  // simdjson's limit counts the document itself as a level: max_depth + 1 accepts exactly
  // the documents nested max_depth deep.
  const size_t parser_depth = static_cast<size_t>(max_depth) + 1;
  if (parser.max_depth() != parser_depth) {
    if (simdjson::error_code error =
            parser.allocate(std::max(parser.capacity(), text.size()), parser_depth);
        error)
      return invalid(what + ": " + simdjson::error_message(error));
  }
  auto parsed = parser.parse(text.data(), text.size());
  if (parsed.error() == simdjson::DEPTH_ERROR) {
    Status nesting = check_json_nesting(text, max_depth);
    return invalid(
        what + ": " +
        (nesting.ok() ? "JSON nests deeper than max_json_depth (" + std::to_string(max_depth) + ")"
                      : nesting.message()));
  }
  if (parsed.error() == simdjson::NUMBER_ERROR)
    return invalid(what + " holds a number beyond 64-bit integers and doubles; send such a " +
                   "number as a decimal or 0x string");
  if (parsed.error())
    return invalid(what + " is not valid JSON (" + simdjson::error_message(parsed.error()) + ")");
  return parsed.value_unsafe();
}

// One parser per thread for the payload and one for an `event_data` sent as a string (a
// parse reuses its parser's memory, so the two documents need a parser each).
simdjson::dom::parser& payload_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}
simdjson::dom::parser& nested_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string type_name(element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
}

std::vector<element> items_of(simdjson::dom::array array) {
  std::vector<element> items;
  items.reserve(array.size());
  for (element item : array) items.push_back(item);
  return items;
}

// The elements an entry stands for: the items of an `event_data` array, the `event_data`
// object, or else the document itself.
Result<std::vector<element>> elements_of(element document, int max_depth) {
  if (document.is_array()) return items_of(document.get_array());
  auto event_data = document.is_object()
                        ? document.get_object().at_key("event_data")
                        : simdjson::simdjson_result<element>(simdjson::NO_SUCH_FIELD);
  if (event_data.error()) return std::vector{document};
  element inner = event_data.value_unsafe();
  if (inner.is_string()) {  // a producer that nested the JSON as a string
    auto parsed = parse_bounded(nested_parser(), std::string_view(inner), max_depth,
                                "'event_data' (a string)");
    if (!parsed.ok()) return parsed.status();
    inner = *parsed;
  }
  if (inner.is_array()) return items_of(inner.get_array());
  if (inner.is_object()) return std::vector{inner};
  return invalid("'event_data' must be an object or an array of objects, got " + type_name(inner));
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
  using nlohmann::json;
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
  std::optional<element> document;  // nullopt when no payload field is present
  for (const std::string& name : payload_fields_) {
    const std::string* payload = field_value(entry, name);
    if (!payload) continue;
    auto parsed =
        parse_bounded(payload_parser(), *payload, max_json_depth_, "field '" + name + "'");
    if (!parsed.ok()) return reject_entry(parsed.status());
    document = *parsed;
    break;
  }
  EntryContext context{entry, document, {}};
  std::string_view event_name_in_document;
  if (document && document->is_object() &&
      !document->get_object().at_key("event_name").get(event_name_in_document))
    context.event_name = event_name_in_document;
  else if (const std::string* field = field_value(entry, "event_name"))
    context.event_name = *field;
  std::optional<size_t> mapping = mapping_for(entry.stream, std::string(context.event_name));
  if (!mapping)
    return reject_entry(invalid("no mapping takes event '" + std::string(context.event_name) +
                                "' of stream '" + entry.stream + "'"));
  const TableMapping& table = mappings_[*mapping];
  if (!document && reads_document(table))
    return reject_entry(
        invalid("the entry has no JSON payload field (" + describe_list(payload_fields_) + ")"));
  // Without a payload the entry is one element, read only by field and meta columns.
  std::vector<element> elements;
  if (document) {
    auto found = elements_of(*document, max_json_depth_);
    if (!found.ok()) return reject_entry(found.status());
    elements = std::move(*found);
  } else {
    elements.emplace_back();
  }
  for (size_t index = 0; index < elements.size(); ++index) {
    const element item = elements[index];
    DecodedRow row{*mapping, index, {}};
    row.values.reserve(table.columns.size());
    Status failure;
    for (const ColumnMapping& column : table.columns) {
      auto value = column_value(column, context, item, index);
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
      std::string where = elements.size() > 1 ? "element " + std::to_string(index) + ": " : "";
      decoded.rejected.push_back({index, invalid(where + failure.message()),
                                  document ? simdjson::minify(item) : entry_as_json(entry)});
    }
  }
  return decoded;
}

}  // namespace courier::redis_to_pg
