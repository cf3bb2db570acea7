#include "config/scalar_parsers.h"

#include <array>
#include <limits>

#include "config/edit_distance.h"
#include "text/integer.h"

namespace courier::config {
namespace {

using std::chrono::milliseconds;

struct DurationUnit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Largest first: the order format_duration writes them in.
constexpr std::array<DurationUnit, 4> kDurationUnits = {{
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

// Durations beyond a few centuries are typos; the cap keeps the arithmetic from overflowing.
constexpr std::int64_t kMaxDurationMs = std::int64_t{1} << 52;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<std::int64_t> parse_digits(std::string_view digits) {
  return text::parse_integer(digits, {.signs = text::Signs::kNone});
}

// The unit `text` starts with; the longest suffix wins, so "ms" is not read as "m".
const DurationUnit* match_unit(std::string_view text) {
  const DurationUnit* longest = nullptr;
  for (const DurationUnit& unit : kDurationUnits) {
    bool longer = longest == nullptr || unit.suffix.size() > longest->suffix.size();
    if (text.starts_with(unit.suffix) && longer) longest = &unit;
  }
  return longest;
}

std::optional<milliseconds> parse_duration_with_units(std::string_view text) {
  std::int64_t total = 0;
  while (!text.empty()) {
    std::size_t digits_end = 0;
    while (digits_end < text.size() && is_digit(text[digits_end])) ++digits_end;
    std::optional<std::int64_t> amount = parse_digits(text.substr(0, digits_end));
    const DurationUnit* unit = match_unit(text.substr(digits_end));
    if (!amount || unit == nullptr) return std::nullopt;
    if (*amount > kMaxDurationMs / unit->milliseconds) return std::nullopt;
    total += *amount * unit->milliseconds;
    if (total > kMaxDurationMs) return std::nullopt;
    text.remove_prefix(digits_end + unit->suffix.size());
  }
  return milliseconds(total);
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text) {
  return text::parse_integer(text, {.signs = text::Signs::kPlusMinus});
}

std::optional<bool> parse_boolean(std::string_view text) {
  for (std::string_view yes : {"true", "yes", "on"}) {
    if (equals_ignoring_case(text, yes)) return true;
  }
  for (std::string_view no : {"false", "no", "off"}) {
    if (equals_ignoring_case(text, no)) return false;
  }
  return std::nullopt;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool plain_number = text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!plain_number) return parse_duration_with_units(text);
  std::optional<std::int64_t> value = parse_digits(text);
  if (!value || *value > kMaxDurationMs) return std::nullopt;
  return milliseconds(*value);
}

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  struct SizeUnit {
    std::string_view suffix;
    std::int64_t bytes;
  };
  constexpr std::array<SizeUnit, 5> kUnits = {{{"TB", std::int64_t{1} << 40},
                                              {"GB", std::int64_t{1} << 30},
                                              {"MB", std::int64_t{1} << 20},
                                              {"kB", std::int64_t{1} << 10},
                                              {"B", 1}}};
  std::size_t digits_end = 0;
  while (digits_end < text.size() && is_digit(text[digits_end])) ++digits_end;
  std::optional<std::int64_t> amount = parse_digits(text.substr(0, digits_end));
  if (!amount) return std::nullopt;
  const std::string_view unit = text.substr(digits_end);
  if (unit.empty()) return amount;
  for (const SizeUnit& known : kUnits) {
    if (!equals_ignoring_case(unit, known.suffix)) continue;
    if (*amount > std::numeric_limits<std::int64_t>::max() / known.bytes) return std::nullopt;
    return *amount * known.bytes;
  }
  return std::nullopt;
}

std::string format_duration(milliseconds duration) {
  std::int64_t remaining = duration.count();
  if (remaining == 0) return "0s";
  std::string out;
  if (remaining < 0) {
    out = "-";
    remaining = -remaining;
  }
  for (const DurationUnit& unit : kDurationUnits) {
    std::int64_t amount = remaining / unit.milliseconds;
    if (amount == 0) continue;
    out += std::to_string(amount) + std::string(unit.suffix);
    remaining -= amount * unit.milliseconds;
  }
  return out;
}

}  // namespace courier::config
