#include "redis_to_pg/value_conversion.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <vector>

#include "text/hex.h"
#include "text/integer.h"

namespace courier::redis_to_pg {
namespace {

// Doubles represent every integer up to 2^53 exactly; beyond, digits may already be lost.
constexpr double kLargestExactDouble = 9007199254740992.0;
constexpr size_t kShownBytes = 40;

std::string shown(const nlohmann::json& value) {
  std::string text = value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump();
  if (text.size() > kShownBytes) text = text.substr(0, kShownBytes) + "…";
  return text;
}

Status refuse(std::string_view expected, const nlohmann::json& value) {
  return Status(StatusCode::kInvalidArgument,
                "expected " + std::string(expected) + ", got " + shown(value));
}

bool is_decimal_integer(std::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_decimal_number(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return is_decimal_integer(text);
  std::string_view fraction = text.substr(dot + 1);
  return is_decimal_integer(text.substr(0, dot)) && !fraction.empty() &&
         fraction.find_first_not_of("0123456789") == std::string_view::npos;
}

// The hex digits of "0x…" (or of bare digits when `hex_without_prefix`), else nullopt.
std::optional<std::string_view> hex_digits(std::string_view text, bool hex_without_prefix) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  } else if (!hex_without_prefix) {
    return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  for (char c : text)
    if (text::hex_digit_value(c) < 0) return std::nullopt;
  return text;
}

// A JSON number as integer text; refuses fractions and doubles too large to be exact.
Result<std::string> integer_number_text(const nlohmann::json& value, std::string_view expected) {
  if (value.is_number_integer()) return value.dump();
  double number = value.get<double>();
  if (std::trunc(number) != number) return refuse(expected, value);
  if (std::fabs(number) >= kLargestExactDouble)
    return Status(StatusCode::kInvalidArgument,
                  "the JSON number " + shown(value) +
                      " is too large to be exact; send it as a decimal or 0x string");
  return std::to_string(static_cast<int64_t>(number));
}

Result<std::string> numeric_text(const nlohmann::json& value, const ColumnMapping& column) {
  constexpr std::string_view kExpected = "a decimal or 0x hex number";
  if (value.is_number()) {
    if (value.is_number_float() && std::fabs(value.get<double>()) >= kLargestExactDouble)
      return integer_number_text(value, kExpected);
    return value.dump();
  }
  if (!value.is_string()) return refuse(kExpected, value);
  const std::string& text = value.get_ref<const std::string&>();
  if (auto hex = hex_digits(text, column.hex_without_prefix)) return *hex_to_decimal(*hex);
  if (is_decimal_number(text)) return text;
  return refuse(kExpected, value);
}

Result<int64_t> bigint_value(const nlohmann::json& value, const ColumnMapping& column) {
  constexpr std::string_view kExpected = "a 64-bit integer (decimal or 0x hex)";
  std::string text;
  if (value.is_number()) {
    auto integer = integer_number_text(value, kExpected);
    if (!integer.ok()) return integer.status();
    text = *integer;
  } else if (value.is_string()) {
    text = value.get<std::string>();
  } else {
    return refuse(kExpected, value);
  }
  // A JSON number is a number: only strings may be hex without the prefix.
  if (auto hex = hex_digits(text, column.hex_without_prefix && value.is_string())) {
    uint64_t parsed = 0;
    auto [end, error] = std::from_chars(hex->data(), hex->data() + hex->size(), parsed, 16);
    if (error != std::errc() || parsed > static_cast<uint64_t>(INT64_MAX))
      return Status(StatusCode::kInvalidArgument,
                    "the hex number " + shown(value) + " does not fit a 64-bit integer");
    return static_cast<int64_t>(parsed);
  }
  if (!is_decimal_integer(text)) return refuse(kExpected, value);
  // The syntax is checked above: a refusal here is a number too large.
  std::optional<int64_t> parsed =
      text::parse_integer(text, {.signs = text::Signs::kPlusMinus});
  if (!parsed)
    return Status(StatusCode::kInvalidArgument,
                  "the number " + shown(value) + " does not fit a 64-bit integer");
  return *parsed;
}

Result<std::string> timestamp_text(const nlohmann::json& value, const ColumnMapping& column) {
  bool looks_like_date =
      value.is_string() && value.get_ref<const std::string&>().find('-', 1) != std::string::npos;
  if (looks_like_date) return value.get<std::string>();  // ISO 8601; Postgres checks it
  auto seconds = bigint_value(value, column);
  if (!seconds.ok())
    return refuse("unix seconds (decimal or 0x hex) or an ISO 8601 timestamp", value);
  // 1970..9999: anything else is surely not a block time (or an event time).
  if (*seconds < 0 || *seconds > 253402300799)
    return refuse("unix seconds from 1970 to 9999", value);
  return format_unix_seconds(*seconds);
}

Result<std::string> boolean_text(const nlohmann::json& value) {
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number_integer() && (value.get<int64_t>() == 0 || value.get<int64_t>() == 1))
    return std::string(value.get<int64_t>() == 1 ? "true" : "false");
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "true" || text == "1") return std::string("true");
    if (text == "false" || text == "0") return std::string("false");
  }
  return refuse("a boolean (true/false, 1/0)", value);
}

Result<std::string> text_of(const nlohmann::json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.find('\0') != std::string::npos)
    return Status(StatusCode::kInvalidArgument, "text contains a NUL byte, which Postgres refuses");
  return text;
}

Result<std::string> convert_present(const nlohmann::json& value, const ColumnMapping& column) {
  switch (column.type) {
    case ValueType::kText:
      return text_of(value);
    case ValueType::kNumeric:
      return numeric_text(value, column);
    case ValueType::kBigint: {
      auto number = bigint_value(value, column);
      if (!number.ok()) return number.status();
      return std::to_string(*number);
    }
    case ValueType::kTimestamptz:
      return timestamp_text(value, column);
    case ValueType::kJsonb: {
      std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (text.find("\\u0000") != std::string::npos)
        return Status(StatusCode::kInvalidArgument, "JSON contains \\u0000, which jsonb refuses");
      return text;
    }
    case ValueType::kBoolean:
      return boolean_text(value);
  }
  return Status(StatusCode::kInternal, "unknown value type");
}

}  // namespace

std::optional<std::string> hex_to_decimal(std::string_view hex_digits_text) {
  // Little-endian limbs of 10^9: multiply by 16 and add each hex digit.
  std::vector<uint32_t> limbs{0};
  for (char c : hex_digits_text) {
    if (text::hex_digit_value(c) < 0) return std::nullopt;
    uint32_t digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    uint64_t carry = digit;
    for (uint32_t& limb : limbs) {
      uint64_t next = uint64_t{limb} * 16 + carry;
      limb = static_cast<uint32_t>(next % 1'000'000'000);
      carry = next / 1'000'000'000;
    }
    if (carry) limbs.push_back(static_cast<uint32_t>(carry));
  }
  std::string out = std::to_string(limbs.back());
  for (size_t i = limbs.size() - 1; i-- > 0;) {
    std::string part = std::to_string(limbs[i]);
    out += std::string(9 - part.size(), '0') + part;
  }
  return out;
}

std::string format_unix_seconds(int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S+00", &utc);
  return text;
}

Result<std::optional<std::string>> convert_value(const nlohmann::json& value,
                                                 const ColumnMapping& column) {
  if (value.is_null() || value.is_discarded()) {
    if (column.optional) return std::optional<std::string>();
    return Status(StatusCode::kInvalidArgument, "missing (absent or null) and not optional");
  }
  auto text = convert_present(value, column);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(*text));
}

}  // namespace courier::redis_to_pg
