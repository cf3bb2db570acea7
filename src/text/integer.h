// parse_integer: the one reader of decimal integers. Each caller states what it accepts
// (range, leading sign) and words its own message for a nullopt.
//
//   std::optional<int> db = text::parse_integer<int>("2", {.min = 0});
//   std::optional<std::int64_t> n = text::parse_integer("+7", {.signs = text::Signs::kPlusMinus});
//
// Never accepted: spaces, "0x", exponents, fractions, an empty text, a value the type
// cannot hold. Thread-safety: pure functions.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

namespace courier::text {

// The leading sign a number may have.
enum class Signs {
  kNone,       // digits only
  kMinus,      // an optional '-' (std::from_chars' rule)
  kPlusMinus,  // an optional '+' or '-'
};

template <std::integral T>
struct IntegerRules {
  T min = std::numeric_limits<T>::min();
  T max = std::numeric_limits<T>::max();
  Signs signs = Signs::kMinus;
};

// The whole of `text` as a T in [rules.min, rules.max], or nullopt.
template <std::integral T = std::int64_t>
std::optional<T> parse_integer(std::string_view text, IntegerRules<T> rules = {}) {
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    const bool plus = text.front() == '+';
    if (rules.signs == Signs::kNone || (plus && rules.signs == Signs::kMinus)) return std::nullopt;
    if (plus) {
      text.remove_prefix(1);  // from_chars reads '-' but not '+'
      if (!text.empty() && text.front() == '-') return std::nullopt;
    }
  }
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < rules.min || value > rules.max) return std::nullopt;
  return value;
}

}  // namespace courier::text
