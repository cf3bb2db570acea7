#include "redis_to_pg/value_conversion.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <vector>

#include "text/hex.h"
#include "text/json_string.h"
#include "text/integer.h"

namespace courier::redis_to_pg {
namespace {

// Doubles represent every integer up to 2^53 exactly; beyond, digits may already be lost.
constexpr double kLargestExactDouble = 9007199254740992.0;
constexpr size_t kShownBytes = 40;

using simdjson::dom::element;
using simdjson::dom::element_type;

// One column's input seen as a JSON value: an entry field's text is a JSON string.
class Value {
 public:
  explicit Value(const ColumnInput& input) : input_(input) {}

  bool absent() const {
    const element* json = std::get_if<element>(&input_);
    return std::holds_alternative<std::monostate>(input_) || (json && json->is_null());
  }
  std::optional<std::string_view> string() const {
    if (const auto* text = std::get_if<std::string_view>(&input_)) return *text;
    if (is(element_type::STRING)) return std::string_view(std::get<element>(input_));
    return std::nullopt;
  }
  bool is_integer() const { return is(element_type::INT64) || is(element_type::UINT64); }
  bool is_double() const { return is(element_type::DOUBLE); }
  bool is_number() const { return is_integer() || is_double(); }
  bool is_boolean() const { return is(element_type::BOOL); }
  bool boolean() const { return bool(std::get<element>(input_)); }
  // Only for is_number(): the value as a double (integers too).
  double number() const {
    const element& json = std::get<element>(input_);
    if (json.is_int64()) return static_cast<double>(int64_t(json));
    if (json.is_uint64()) return static_cast<double>(uint64_t(json));
    return double(json);
  }
  std::optional<int64_t> int64() const {
    return is(element_type::INT64) ? std::optional<int64_t>(int64_t(std::get<element>(input_)))
                                   : std::nullopt;
  }
  // The value as minified JSON text.
  std::string dump() const {
    if (const element* json = std::get_if<element>(&input_)) return simdjson::minify(*json);
    return text::json_string(std::get<std::string_view>(input_));
  }

 private:
  bool is(element_type type) const {
    const element* json = std::get_if<element>(&input_);
    return json && json->type() == type;
  }

  const ColumnInput& input_;
};

std::string shown(const Value& value) {
  auto string = value.string();
  std::string text = string ? "'" + std::string(*string) + "'" : value.dump();
  if (text.size() > kShownBytes) text = text.substr(0, kShownBytes) + "…";
  return text;
}

Status refuse(std::string_view expected, const Value& value) {
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
Result<std::string> integer_number_text(const Value& value, std::string_view expected) {
  if (value.is_integer()) return value.dump();
  double number = value.number();
  if (std::trunc(number) != number) return refuse(expected, value);
  if (std::fabs(number) >= kLargestExactDouble)
    return Status(StatusCode::kInvalidArgument,
                  "the JSON number " + shown(value) +
                      " is too large to be exact; send it as a decimal or 0x string");
  return std::to_string(static_cast<int64_t>(number));
}

Result<std::string> numeric_text(const Value& value, const ColumnMapping& column) {
  constexpr std::string_view kExpected = "a decimal or 0x hex number";
  if (value.is_number()) {
    if (value.is_double() && std::fabs(value.number()) >= kLargestExactDouble)
      return integer_number_text(value, kExpected);
    return value.dump();
  }
  auto text = value.string();
  if (!text) return refuse(kExpected, value);
  if (auto hex = hex_digits(*text, column.hex_without_prefix)) return *hex_to_decimal(*hex);
  if (is_decimal_number(*text)) return std::string(*text);
  return refuse(kExpected, value);
}

Result<int64_t> bigint_value(const Value& value, const ColumnMapping& column) {
  constexpr std::string_view kExpected = "a 64-bit integer (decimal or 0x hex)";
  std::string text;
  auto string = value.string();
  if (value.is_number()) {
    auto integer = integer_number_text(value, kExpected);
    if (!integer.ok()) return integer.status();
    text = *integer;
  } else if (string) {
    text = *string;
  } else {
    return refuse(kExpected, value);
  }
  // A JSON number is a number: only strings may be hex without the prefix.
  if (auto hex = hex_digits(text, column.hex_without_prefix && string)) {
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

Result<std::string> timestamp_text(const Value& value, const ColumnMapping& column) {
  auto string = value.string();
  if (string && string->find('-', 1) != std::string_view::npos)
    return std::string(*string);  // ISO 8601; Postgres checks it
  auto seconds = bigint_value(value, column);
  if (!seconds.ok())
    return refuse("unix seconds (decimal or 0x hex) or an ISO 8601 timestamp", value);
  // 1970..9999: anything else is surely not a block time (or an event time).
  if (*seconds < 0 || *seconds > 253402300799)
    return refuse("unix seconds from 1970 to 9999", value);
  return format_unix_seconds(*seconds);
}

Result<std::string> boolean_text(const Value& value) {
  if (value.is_boolean()) return std::string(value.boolean() ? "true" : "false");
  if (auto integer = value.int64(); integer && (*integer == 0 || *integer == 1))
    return std::string(*integer == 1 ? "true" : "false");
  if (auto text = value.string()) {
    if (*text == "true" || *text == "1") return std::string("true");
    if (*text == "false" || *text == "0") return std::string("false");
  }
  return refuse("a boolean (true/false, 1/0)", value);
}

Result<std::string> text_of(const Value& value) {
  auto string = value.string();
  std::string text = string ? std::string(*string) : value.dump();
  if (text.find('\0') != std::string::npos)
    return Status(StatusCode::kInvalidArgument, "text contains a NUL byte, which Postgres refuses");
  return text;
}

Result<std::string> convert_present(const Value& value, const ColumnMapping& column) {
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
      std::string text = value.dump();
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

Result<std::optional<std::string>> convert_value(const ColumnInput& input,
                                                 const ColumnMapping& column) {
  const Value value(input);
  if (value.absent()) {
    if (column.optional) return std::optional<std::string>();
    return Status(StatusCode::kInvalidArgument, "missing (absent or null) and not optional");
  }
  auto text = convert_present(value, column);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(*text));
}

}  // namespace courier::redis_to_pg
