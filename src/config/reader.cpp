#include "config/reader.h"

#include <set>
#include <utility>

#include "config/edit_distance.h"
#include "config/scalar_parsers.h"

namespace courier::config {
namespace {

constexpr std::size_t kLongestShownValue = 40;

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    default:
      return "nothing";
  }
}

std::string describe_integer_range(IntegerRange range) {
  if (range.max == std::numeric_limits<std::int64_t>::max()) {
    return "expected at least " + std::to_string(range.min);
  }
  if (range.min == std::numeric_limits<std::int64_t>::min()) {
    return "expected at most " + std::to_string(range.max);
  }
  return "expected " + std::to_string(range.min) + ".." + std::to_string(range.max);
}

std::string describe_duration_range(DurationRange range) {
  if (range.max == std::chrono::milliseconds::max()) {
    return "expected at least " + format_duration(range.min);
  }
  return "expected " + format_duration(range.min) + ".." + format_duration(range.max);
}

std::string indexed_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string keyed_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Position of a value, or of `fallback` when yaml-cpp gives none (empty values).
Position value_position(const YAML::Node& node, Position fallback) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  Position position = position_of(node.Mark());
  return position.line > 0 ? position : fallback;
}

void resolve_in_place(const ValueReader& value, YAML::Node node, std::set<int>& done);

void resolve_child(const ValueReader& parent, YAML::Node child, std::string path, Position fallback,
                   std::set<int>& done) {
  ValueReader child_reader(child, std::move(path), value_position(child, fallback),
                           parent.context());
  resolve_in_place(child_reader, child, done);
}

// Replaces every ${VAR} in the scalars below `value` (whose node is `node`), in place.
// Aliased nodes are shared, so `done` (by source offset) visits each node once: a scalar is
// substituted once, and an alias inside the value it names (`a: &x [*x]`) ends the walk
// instead of recursing without end.
void resolve_in_place(const ValueReader& value, YAML::Node node, std::set<int>& done) {
  if (!done.insert(node.Mark().pos).second) return;
  if (node.IsScalar()) {
    if (std::optional<std::string> text = value.as_string()) node = *text;
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      resolve_child(value, node[i], indexed_path(value.path(), i), value.position(), done);
    }
  } else if (node.IsMap()) {
    for (auto entry : node) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      resolve_child(value, entry.second, keyed_path(value.path(), key),
                    position_of(entry.first.Mark()), done);
    }
  }
}

}  // namespace

Position position_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// ---- ValueReader -------------------------------------------------------------------------

ValueReader::ValueReader(YAML::Node node, std::string path, Position position, ReadContext& context)
    : node_(std::move(node)), path_(std::move(path)), position_(position), context_(&context) {}

void ValueReader::error(std::string message) const {
  context_->errors().add(path_, position_, std::move(message));
}

std::string ValueReader::shown_as_written() const {
  const std::string& text = node_.Scalar();
  std::string shown = "'" + text.substr(0, kLongestShownValue) + "'";
  if (text.size() > kLongestShownValue) shown.insert(shown.size() - 1, "...");
  if (context_->env() != nullptr && contains_env_reference(text)) {
    shown += " (after replacing ${...}; the value itself is not shown)";
  }
  return shown;
}

std::optional<std::string> ValueReader::scalar_text(std::string_view expected) const {
  if (!node_.IsScalar()) {
    error("expected " + std::string(expected) + ", got " + kind_of(node_));
    return std::nullopt;
  }
  if (context_->env() == nullptr) return node_.Scalar();
  SubstitutionResult substituted = substitute_env(node_.Scalar(), *context_->env());
  if (!substituted.ok()) {
    error(substituted.error);
    return std::nullopt;
  }
  return std::move(substituted.value);
}

std::optional<std::string> ValueReader::as_string() const {
  return scalar_text("a string");
}

std::optional<bool> ValueReader::as_boolean() const {
  std::optional<std::string> text = scalar_text("a boolean (true or false)");
  if (!text) return std::nullopt;
  std::optional<bool> value = parse_boolean(*text);
  if (!value) error("expected a boolean (true or false), got " + shown_as_written());
  return value;
}

std::optional<std::int64_t> ValueReader::as_bounded_integer(IntegerRange range) const {
  std::optional<std::string> text = scalar_text("an integer");
  if (!text) return std::nullopt;
  std::optional<std::int64_t> value = parse_integer(*text);
  if (!value) {
    error("expected an integer, got " + shown_as_written());
    return std::nullopt;
  }
  if (*value < range.min || *value > range.max) {
    error(shown_as_written() + " is out of range; " + describe_integer_range(range));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> ValueReader::as_byte_size(std::int64_t min) const {
  constexpr std::string_view kExpected =
      "a size such as '1GB', '512MB' or '64kB' (or whole bytes)";
  std::optional<std::string> text = scalar_text(kExpected);
  if (!text) return std::nullopt;
  std::optional<std::int64_t> value = parse_byte_size(*text);
  if (!value) {
    error("expected " + std::string(kExpected) + ", got " + shown_as_written());
    return std::nullopt;
  }
  if (*value < min) {
    error(shown_as_written() + " is too small; at least " + std::to_string(min) + " bytes");
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> ValueReader::as_duration(DurationRange range) const {
  constexpr std::string_view kExpected =
      "a duration such as '100ms', '5s', '1m30s' or '2h' (or whole milliseconds)";
  std::optional<std::string> text = scalar_text(kExpected);
  if (!text) return std::nullopt;
  std::optional<std::chrono::milliseconds> value = parse_duration(*text);
  if (!value) {
    error("expected " + std::string(kExpected) + ", got " + shown_as_written());
    return std::nullopt;
  }
  if (*value < range.min || *value > range.max) {
    error(shown_as_written() + " is out of range; " + describe_duration_range(range));
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> ValueReader::match_name(const std::vector<std::string>& names) const {
  std::string expected = "one of " + quoted_list(names);
  std::optional<std::string> text = scalar_text(expected);
  if (!text) return std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (equals_ignoring_case(*text, names[i])) return i;
  }
  std::string message = "expected " + expected + ", got " + shown_as_written();
  if (std::optional<std::string> nearest = nearest_name(*text, names)) {
    message += "; did you mean '" + *nearest + "'?";
  }
  error(std::move(message));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ValueReader::as_string_list() const {
  std::optional<SequenceReader> list = as_sequence();
  if (!list) return std::nullopt;
  std::vector<std::string> strings;
  bool all_read = true;
  for (const ValueReader& item : list->items()) {
    std::optional<std::string> text = item.as_string();
    all_read = all_read && text.has_value();
    if (text) strings.push_back(std::move(*text));
  }
  if (!all_read) return std::nullopt;
  return strings;
}

std::optional<MappingReader> ValueReader::as_mapping() const {
  if (!node_.IsMap()) {
    error("expected a mapping ('key: value' lines), got " + kind_of(node_));
    return std::nullopt;
  }
  return MappingReader(node_, path_, position_, *context_);
}

std::optional<SequenceReader> ValueReader::as_sequence() const {
  if (!node_.IsSequence()) {
    error("expected a list ('- item' lines or [a, b]), got " + kind_of(node_));
    return std::nullopt;
  }
  return SequenceReader(node_, path_, position_, *context_);
}

std::shared_ptr<const YamlSubtree> ValueReader::resolve_subtree() const {
  if (context_->env() != nullptr) {
    std::set<int> done;
    resolve_in_place(*this, node_, done);
  }
  return std::make_shared<const YamlSubtree>(node_, path_, position_);
}

// ---- MappingReader -----------------------------------------------------------------------

MappingReader::MappingReader(YAML::Node node, std::string path, Position position,
                             ReadContext& context)
    : path_(std::move(path)), position_(position), context_(&context) {
  collect_entries(node);
}

void MappingReader::collect_entries(const YAML::Node& node) {
  for (auto pair : node) {
    Position key_position = position_of(pair.first.Mark());
    if (!pair.first.IsScalar()) {
      context_->errors().add(path_, key_position,
                             "a key must be a plain name, got " + kind_of(pair.first));
      continue;
    }
    const std::string& key = pair.first.Scalar();
    if (const Entry* first = find(key)) {
      context_->errors().add(child_path(key), key_position,
                             "duplicate key '" + key + "' (first given on line " +
                                 std::to_string(first->key_position.line) + "); remove one");
      continue;
    }
    entries_.push_back({key, key_position, pair.second});
  }
}

const MappingReader::Entry* MappingReader::find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

std::string MappingReader::child_path(std::string_view key) const {
  return keyed_path(path_, key);
}

void MappingReader::note_valid(std::string_view key) {
  for (const std::string& valid : valid_keys_) {
    if (valid == key) return;
  }
  valid_keys_.emplace_back(key);
}

std::optional<ValueReader> MappingReader::value(std::string_view key) {
  note_valid(key);
  const Entry* entry = find(key);
  if (entry == nullptr || entry->value.IsNull()) return std::nullopt;
  return ValueReader(entry->value, child_path(key),
                     value_position(entry->value, entry->key_position), *context_);
}

bool MappingReader::has(std::string_view key) {
  return value(key).has_value();
}

std::optional<std::string> MappingReader::string(std::string_view key) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_string() : std::nullopt;
}

std::optional<bool> MappingReader::boolean(std::string_view key) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_boolean() : std::nullopt;
}

std::optional<std::int64_t> MappingReader::byte_size(std::string_view key, std::int64_t min) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_byte_size(min) : std::nullopt;
}

std::optional<std::chrono::milliseconds> MappingReader::duration(std::string_view key,
                                                                 DurationRange range) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_duration(range) : std::nullopt;
}

std::optional<std::vector<std::string>> MappingReader::string_list(std::string_view key) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_string_list() : std::nullopt;
}

std::optional<MappingReader> MappingReader::mapping(std::string_view key) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_mapping() : std::nullopt;
}

std::optional<SequenceReader> MappingReader::sequence(std::string_view key) {
  std::optional<ValueReader> found = value(key);
  return found ? found->as_sequence() : std::nullopt;
}

void MappingReader::require(std::string_view key) {
  if (!has(key)) error("missing required key '" + std::string(key) + "'");
}

void MappingReader::allow(std::string_view key) {
  note_valid(key);
}

bool MappingReader::conflicts(std::string_view key, std::initializer_list<std::string_view> others,
                              std::string_view advice) {
  if (!has(key)) return false;
  std::vector<std::string> present;
  for (std::string_view other : others) {
    if (has(other)) present.emplace_back(other);
  }
  if (present.empty()) return false;
  error_at(key, "'" + std::string(key) + "' cannot be combined with " + quoted_list(present) +
                    "; " + std::string(advice));
  return true;
}

void MappingReader::error(std::string message) const {
  context_->errors().add(path_, position_, std::move(message));
}

void MappingReader::error_at(std::string_view key, std::string message) {
  std::optional<ValueReader> found = value(key);
  if (found) {
    found->error(std::move(message));
  } else {
    error(std::move(message));
  }
}

std::string MappingReader::unknown_key_message(const std::string& key) const {
  std::string message = "unknown key '" + key + "'";
  if (std::optional<std::string> nearest = nearest_name(key, valid_keys_)) {
    return message + "; did you mean '" + *nearest + "'?";
  }
  if (valid_keys_.empty()) return message + "; this section takes no keys";
  return message + "; valid keys here: " + quoted_list(valid_keys_);
}

void MappingReader::finish() {
  for (const Entry& entry : entries_) {
    if (std::find(valid_keys_.begin(), valid_keys_.end(), entry.key) != valid_keys_.end()) continue;
    context_->errors().add(child_path(entry.key), entry.key_position,
                           unknown_key_message(entry.key));
  }
}

// ---- SequenceReader ----------------------------------------------------------------------

SequenceReader::SequenceReader(YAML::Node node, std::string path, Position position,
                               ReadContext& context)
    : node_(std::move(node)), path_(std::move(path)), position_(position), context_(&context) {}

ValueReader SequenceReader::item(std::size_t index) const {
  YAML::Node item = node_[index];
  return ValueReader(item, indexed_path(path_, index), value_position(item, position_), *context_);
}

std::vector<ValueReader> SequenceReader::items() const {
  std::vector<ValueReader> all;
  all.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) all.push_back(item(i));
  return all;
}

void SequenceReader::error(std::string message) const {
  context_->errors().add(path_, position_, std::move(message));
}

// ---- reserved sections -------------------------------------------------------------------

ValueReader open_reserved_section(const ReservedSection& section, ReadContext& context) {
  return section.yaml->reader(context);
}

}  // namespace courier::config
