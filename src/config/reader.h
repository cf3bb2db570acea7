// Readers over a parsed YAML document: typed getters that record errors (with path and
// line:column) instead of throwing, so one pass over the file finds every mistake.
// A section of the config is read by a function taking a MappingReader:
//
//   if (auto tracking = task.mapping("tracking")) {
//     spec.column = tracking->string("column").value_or("");
//     tracking->finish();  // reports unknown keys, with a "did you mean" suggestion
//   }
//
// A getter returns nullopt when the key is absent or empty (the default then stays) and
// also when the value is wrong (an error is recorded). Every key a reader asks for, present
// or not, counts as valid; finish() reports the rest. ${VAR}s in scalars are replaced when
// read (see config/env_substitution.h). Errors never repeat a string value, so secrets stay
// out of them; values that are not strings are quoted as written in the file.
//
// Thread-safety: readers of one document share a ReadContext; use them from one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/config_error.h"
#include "config/courier_config.h"
#include "config/env_substitution.h"

namespace courier::config {

class MappingReader;
class SequenceReader;

// What every reader of one document shares: where errors go, how ${VAR}s are replaced.
class ReadContext {
 public:
  // Without `env`, values are read as written (e.g. a ReservedSection, resolved at load).
  explicit ReadContext(ConfigErrors& errors, const EnvLookup* env = nullptr)
      : errors_(&errors), env_(env) {}

  ConfigErrors& errors() const { return *errors_; }
  const EnvLookup* env() const { return env_; }

 private:
  ConfigErrors* errors_;
  const EnvLookup* env_;
};

struct IntegerRange {
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};
inline constexpr IntegerRange kPortRange{1, 65535};
inline constexpr IntegerRange kNonNegative{0, std::numeric_limits<std::int64_t>::max()};

struct DurationRange {
  std::chrono::milliseconds min{0};
  std::chrono::milliseconds max = std::chrono::milliseconds::max();
};
inline constexpr DurationRange kPositiveDuration{std::chrono::milliseconds(1)};

// One value of the document (a scalar, mapping, list or nothing) and where it is.
class ValueReader {
 public:
  ValueReader(YAML::Node node, std::string path, Position position, ReadContext& context);

  const std::string& path() const { return path_; }
  Position position() const { return position_; }
  ReadContext& context() const { return *context_; }
  // Absent, empty, `~` or `null`.
  bool is_null() const { return !node_.IsDefined() || node_.IsNull(); }

  // Each records an error and returns nullopt when the value has another type.
  std::optional<std::string> as_string() const;
  std::optional<bool> as_boolean() const;
  std::optional<std::chrono::milliseconds> as_duration(DurationRange range = {}) const;
  // A size such as "1GB", "512MB" or whole bytes, at least `min`.
  std::optional<std::int64_t> as_byte_size(std::int64_t min = 0) const;
  std::optional<std::vector<std::string>> as_string_list() const;
  std::optional<MappingReader> as_mapping() const;
  std::optional<SequenceReader> as_sequence() const;

  template <typename Int = std::int64_t>
  std::optional<Int> as_integer(IntegerRange range = {}) const {
    std::optional<std::int64_t> value = as_bounded_integer(clamp_to<Int>(range));
    if (!value) return std::nullopt;
    return static_cast<Int>(*value);
  }

  // Matches one of `names` (an array of EnumName<E>), ignoring case; an error lists them.
  template <typename Names>
  auto as_enumeration(const Names& names) const
      -> std::optional<std::remove_cvref_t<decltype(std::begin(names)->value)>> {
    std::vector<std::string> spellings;
    for (const auto& entry : names) spellings.emplace_back(entry.name);
    std::optional<std::size_t> index = match_name(spellings);
    if (!index) return std::nullopt;
    return std::begin(names)[*index].value;
  }

  // Resolves every ${VAR} below this value now and detaches it, for a later reader.
  std::shared_ptr<const YamlSubtree> resolve_subtree() const;

  // Records an error at this value.
  void error(std::string message) const;

 private:
  template <typename Int>
  static IntegerRange clamp_to(IntegerRange range) {
    static_assert(std::is_integral_v<Int> && sizeof(Int) <= sizeof(std::int64_t));
    auto low = static_cast<std::int64_t>(std::numeric_limits<Int>::min());
    auto high = static_cast<std::int64_t>(std::numeric_limits<Int>::max());
    if constexpr (std::is_unsigned_v<Int> && sizeof(Int) == sizeof(std::int64_t)) {
      high = std::numeric_limits<std::int64_t>::max();
    }
    return {std::max(range.min, low), std::min(range.max, high)};
  }

  std::optional<std::int64_t> as_bounded_integer(IntegerRange range) const;
  std::optional<std::size_t> match_name(const std::vector<std::string>& names) const;
  // The scalar's text with ${VAR}s replaced; an error naming `expected` otherwise.
  std::optional<std::string> scalar_text(std::string_view expected) const;
  // The value as the file shows it, quoted and shortened, for "got …" in messages.
  std::string shown_as_written() const;

  YAML::Node node_;
  std::string path_;
  Position position_;
  ReadContext* context_;
};

// A mapping (`key: value` lines). Getters take a key; see the comment at the top.
class MappingReader {
 public:
  // `node` must be a mapping: get one from ValueReader::as_mapping().
  MappingReader(YAML::Node node, std::string path, Position position, ReadContext& context);

  const std::string& path() const { return path_; }
  Position position() const { return position_; }

  // The value under `key`; nullopt when the key is absent or its value empty.
  std::optional<ValueReader> value(std::string_view key);
  bool has(std::string_view key);

  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::chrono::milliseconds> duration(std::string_view key, DurationRange range = {});
  std::optional<std::int64_t> byte_size(std::string_view key, std::int64_t min = 0);
  std::optional<std::vector<std::string>> string_list(std::string_view key);
  std::optional<MappingReader> mapping(std::string_view key);
  std::optional<SequenceReader> sequence(std::string_view key);

  template <typename Int = std::int64_t>
  std::optional<Int> integer(std::string_view key, IntegerRange range = {}) {
    std::optional<ValueReader> found = value(key);
    return found ? found->as_integer<Int>(range) : std::nullopt;
  }

  template <typename Names>
  auto enumeration(std::string_view key, const Names& names)
      -> decltype(std::declval<ValueReader>().as_enumeration(names)) {
    std::optional<ValueReader> found = value(key);
    if (!found) return std::nullopt;
    return found->as_enumeration(names);
  }

  // Records an error when `key` is absent.
  void require(std::string_view key);
  // Marks `key` valid without reading it.
  void allow(std::string_view key);
  // When `key` is present together with any of `others`, records one error at `key`
  // naming them, followed by `advice`; returns true then.
  bool conflicts(std::string_view key, std::initializer_list<std::string_view> others,
                 std::string_view advice);

  // Records an error at the mapping itself, or at the value under a present `key`.
  void error(std::string message) const;
  void error_at(std::string_view key, std::string message);

  // Reports every key no getter asked for, suggesting the nearest valid one.
  void finish();

 private:
  struct Entry {
    std::string key;
    Position key_position;
    YAML::Node value;
  };

  void collect_entries(const YAML::Node& node);
  const Entry* find(std::string_view key) const;
  std::string child_path(std::string_view key) const;
  void note_valid(std::string_view key);
  std::string unknown_key_message(const std::string& key) const;

  std::vector<Entry> entries_;
  std::vector<std::string> valid_keys_;
  std::string path_;
  Position position_;
  ReadContext* context_;
};

// A list (`- item` lines or `[a, b]`). Items are addressed as `path[index]`.
class SequenceReader {
 public:
  // `node` must be a sequence: get one from ValueReader::as_sequence().
  SequenceReader(YAML::Node node, std::string path, Position position, ReadContext& context);

  const std::string& path() const { return path_; }
  Position position() const { return position_; }
  std::size_t size() const { return node_.size(); }
  bool empty() const { return size() == 0; }

  ValueReader item(std::size_t index) const;
  std::vector<ValueReader> items() const;
  void error(std::string message) const;

 private:
  YAML::Node node_;
  std::string path_;
  Position position_;
  ReadContext* context_;
};

// A part of the document kept for a module that reads it after loading.
class YamlSubtree {
 public:
  YamlSubtree(YAML::Node node, std::string path, Position position)
      : node_(std::move(node)), path_(std::move(path)), position_(position) {}

  // A reader over the subtree; its values are taken as written (already resolved).
  ValueReader reader(ReadContext& context) const { return {node_, path_, position_, context}; }

 private:
  YAML::Node node_;
  std::string path_;
  Position position_;
};

// How a later module reads its reserved section:
//   ConfigErrors errors;
//   ReadContext context(errors);
//   ValueReader tasks = open_reserved_section(*config.reserved_section("tasks"), context);
ValueReader open_reserved_section(const ReservedSection& section, ReadContext& context);

// 1-based position of a yaml-cpp mark; {0, 0} for a node that has none.
Position position_of(const YAML::Mark& mark);

}  // namespace courier::config
