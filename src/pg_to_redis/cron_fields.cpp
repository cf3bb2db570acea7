#include "pg_to_redis/cron_fields.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "config/edit_distance.h"
#include "text/integer.h"

namespace courier::pg_to_redis::cron {
namespace {

// Digits only: cron has no signs.
std::optional<int> parse_number(std::string_view text) {
  return text::parse_integer<int>(text, {.min = 0, .signs = text::Signs::kNone});
}

// A value of the field: a number, or a name for months and weekdays.
Result<int> parse_value(const Token& token, const FieldSpec& spec, const ScheduleError& error) {
  if (auto number = parse_number(token.text)) {
    if (*number < spec.min || *number > spec.value_max) {
      return error.at(token, std::string(spec.name) + " field '" + std::string(token.text) +
                                 "' is out of range " + std::to_string(spec.min) + "-" +
                                 std::to_string(spec.value_max));
    }
    return *number;
  }
  for (std::size_t i = 0; i < spec.name_count; ++i) {
    if (config::equals_ignoring_case(token.text, spec.names[i])) {
      return spec.min + static_cast<int>(i);
    }
  }
  std::string what = std::string(spec.name) + " field has '" + std::string(token.text) +
                     "', which is not a number";
  if (spec.name_count > 0) {
    what += " or a name (" + std::string(spec.names[0]) + "-" +
            std::string(spec.names[spec.name_count - 1]) + ")";
  }
  return error.at(token, what);
}

// One list item: `*`, `?`, `a`, `a-b`, each optionally followed by `/step`.
Result<ParsedField> parse_item(const Token& item, const FieldSpec& spec,
                               const ScheduleError& error) {
  std::string_view text = item.text;
  std::size_t slash = text.find('/');
  std::string_view range = text.substr(0, slash);
  int step = 1;
  if (slash != std::string_view::npos) {
    Token step_token{text.substr(slash + 1), item.column + slash + 1};
    std::optional<int> parsed = parse_number(step_token.text);
    if (!parsed) {
      return error.at(step_token, std::string(spec.name) + " field has step '" +
                                      std::string(step_token.text) +
                                      "', which is not a positive whole number");
    }
    if (*parsed == 0) {
      return error.at(step_token, std::string(spec.name) + " field '" + std::string(text) +
                                      "' has step 0; a step must be at least 1");
    }
    step = *parsed;
  }
  ParsedField field;
  int first = spec.min, last = spec.max;
  if (range == "*" || range == "?") {
    field.unrestricted = step == 1;
  } else {
    std::size_t dash = range.find('-');
    Token low{range.substr(0, dash), item.column};
    Result<int> low_value = parse_value(low, spec, error);
    if (!low_value.ok()) return low_value.status();
    first = *low_value;
    if (dash != std::string_view::npos) {
      Token high{range.substr(dash + 1), item.column + dash + 1};
      Result<int> high_value = parse_value(high, spec, error);
      if (!high_value.ok()) return high_value.status();
      last = *high_value;
      if (first > last) {
        return error.at(item, std::string(spec.name) + " field range '" + std::string(range) +
                                  "' starts after it ends; write the smaller value first");
      }
    } else if (slash == std::string_view::npos) {
      last = first;  // "a" alone; "a/n" means a-max/n
    }
  }
  for (int value = first; value <= last; value += step) field.bits |= 1ULL << value;
  return field;
}

}  // namespace

Result<ParsedField> parse_field(const Token& token, const FieldSpec& spec,
                                const ScheduleError& error) {
  ParsedField field;
  std::size_t begin = 0;
  while (true) {
    std::size_t comma = token.text.find(',', begin);
    Token item{token.text.substr(begin, comma == std::string_view::npos ? comma : comma - begin),
               token.column + begin};
    if (item.text.empty()) {
      return error.at(item, std::string(spec.name) + " field '" + std::string(token.text) +
                                "' has an empty list item");
    }
    Result<ParsedField> parsed = parse_item(item, spec, error);
    if (!parsed.ok()) return parsed.status();
    field.bits |= parsed->bits;
    field.unrestricted = field.unrestricted || parsed->unrestricted;
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return field;
}

std::vector<Token> split_on_spaces(std::string_view text, std::size_t column) {
  std::vector<Token> tokens;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == '\t') {
      ++pos;
      continue;
    }
    std::size_t end = text.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = text.size();
    tokens.push_back({text.substr(pos, end - pos), column + pos});
    pos = end;
  }
  return tokens;
}

// Go durations: "300ms", "-1.5h", "2h45m". The sign is parsed so it can be rejected clearly.

Result<std::chrono::nanoseconds> parse_go_duration(const Token& token, const ScheduleError& error) {
  std::string_view text = token.text;
  const std::string example =
      "; write a duration such as '30s', '5m' or '1h30m' (units ns, "
      "us, ms, s, m, h)";
  auto invalid = [&](const std::string& why) {
    return error.at(token, "'" + std::string(text) + "' is not a valid duration: " + why + example);
  };
  std::size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) negative = text[pos++] == '-';
  if (pos == text.size()) return invalid("it is empty");
  if (text.substr(pos) == "0") return error.at(token, "@every needs a duration above zero");
  struct Unit {
    std::string_view name;
    std::int64_t nanos;
  };
  static constexpr std::array<Unit, 8> kUnits = {{{"ns", 1},
                                                  {"us", 1'000},
                                                  {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
                                                  {"\xCE\xBCs", 1'000},  // U+03BC mu
                                                  {"ms", 1'000'000},
                                                  {"s", 1'000'000'000},
                                                  {"m", 60'000'000'000},
                                                  {"h", 3'600'000'000'000}}};
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  while (pos < text.size()) {
    std::int64_t whole = 0;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (whole > (kMax - 9) / 10) return invalid("it is too long");
      whole = whole * 10 + (text[pos++] - '0');
      ++digits;
    }
    double fraction = 0, scale = 1;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        scale /= 10;
        fraction += (text[pos++] - '0') * scale;
        ++digits;
      }
    }
    if (digits == 0) return invalid("expected a number at '" + std::string(text.substr(pos)) + "'");
    std::size_t unit_end = pos;
    while (unit_end < text.size() && text[unit_end] != '.' &&
           (text[unit_end] < '0' || text[unit_end] > '9')) {
      ++unit_end;
    }
    std::string_view unit_name = text.substr(pos, unit_end - pos);
    if (unit_name.empty()) return invalid("a number needs a unit");
    auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                             [&](const Unit& u) { return u.name == unit_name; });
    if (unit == kUnits.end()) {
      return invalid("unknown unit '" + std::string(unit_name) + "'" +
                     (unit_name == "d" ? " (use h: 1 day is '24h')" : ""));
    }
    pos = unit_end;
    if (whole > kMax / unit->nanos) return invalid("it is too long");
    std::int64_t part = whole * unit->nanos +
                        static_cast<std::int64_t>(fraction * static_cast<double>(unit->nanos));
    if (part > kMax - total) return invalid("it is too long");
    total += part;
  }
  if (negative)
    return error.at(token, "@every needs a positive duration, not '" + std::string(text) + "'");
  if (total <= 0)
    return error.at(token, "@every needs a duration above zero, not '" + std::string(text) + "'");
  return std::chrono::nanoseconds(total);
}

std::string format_duration(std::chrono::nanoseconds duration) {
  struct Part {
    std::int64_t nanos;
    const char* unit;
  };
  static constexpr std::array<Part, 6> kParts = {{{3'600'000'000'000, "h"},
                                                  {60'000'000'000, "m"},
                                                  {1'000'000'000, "s"},
                                                  {1'000'000, "ms"},
                                                  {1'000, "us"},
                                                  {1, "ns"}}};
  std::string out;
  std::int64_t left = duration.count();
  for (const Part& part : kParts) {
    if (left >= part.nanos) {
      out += std::to_string(left / part.nanos) + part.unit;
      left %= part.nanos;
    }
  }
  return out.empty() ? "0s" : out;
}

}  // namespace courier::pg_to_redis::cron
