#include "pg_to_redis/value_format.h"

#include "pg_to_redis/pg_time_text.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "text/hex.h"
#include "text/json_string.h"

namespace courier::pg_to_redis {
namespace {

// The rule a type's values follow (docs/types.md has one line per rule).
enum class Rule {
  kAsIs,         // text, varchar, uuid, json, time, interval, numeric, integers, unknown
  kBool,         // t/f -> 1/0
  kFloat,        // float4/float8 -> plain notation
  kBytea,        // \x hex -> raw bytes
  kDate,         // ISO date, BC as a negative year
  kTimestamp,    // ISO 8601 without offset
  kTimestamptz,  // ISO 8601 with the offset kept
};

// What a score can be computed from (kNone: not a score type).
enum class ScoreSource { kNone, kNumber, kDate, kTimestamp, kTimestamptz };

struct TypeInfo {
  TypeOid oid;
  TypeOid array_oid;
  std::string_view name;
  Rule rule;
  ScoreSource score;
  char array_delimiter = ',';  // only box uses ';'
};

// Built-in types. Everything not listed follows Rule::kAsIs and is no score.
constexpr std::array kTypes{
    TypeInfo{16, 1000, "bool", Rule::kBool, ScoreSource::kNone},
    TypeInfo{17, 1001, "bytea", Rule::kBytea, ScoreSource::kNone},
    TypeInfo{18, 1002, "char", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{19, 1003, "name", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{20, 1016, "int8", Rule::kAsIs, ScoreSource::kNumber},
    TypeInfo{21, 1005, "int2", Rule::kAsIs, ScoreSource::kNumber},
    TypeInfo{23, 1007, "int4", Rule::kAsIs, ScoreSource::kNumber},
    TypeInfo{25, 1009, "text", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{26, 1028, "oid", Rule::kAsIs, ScoreSource::kNumber},
    TypeInfo{114, 199, "json", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{142, 143, "xml", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{603, 1020, "box", Rule::kAsIs, ScoreSource::kNone, ';'},
    TypeInfo{650, 651, "cidr", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{700, 1021, "float4", Rule::kFloat, ScoreSource::kNumber},
    TypeInfo{701, 1022, "float8", Rule::kFloat, ScoreSource::kNumber},
    TypeInfo{790, 791, "money", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{829, 1040, "macaddr", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{869, 1041, "inet", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1042, 1014, "bpchar", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1043, 1015, "varchar", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1082, 1182, "date", Rule::kDate, ScoreSource::kDate},
    TypeInfo{1083, 1183, "time", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1114, 1115, "timestamp", Rule::kTimestamp, ScoreSource::kTimestamp},
    TypeInfo{1184, 1185, "timestamptz", Rule::kTimestamptz, ScoreSource::kTimestamptz},
    TypeInfo{1186, 1187, "interval", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1266, 1270, "timetz", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{1700, 1231, "numeric", Rule::kAsIs, ScoreSource::kNumber},
    TypeInfo{2950, 2951, "uuid", Rule::kAsIs, ScoreSource::kNone},
    TypeInfo{3802, 3807, "jsonb", Rule::kAsIs, ScoreSource::kNone},
};

const TypeInfo* find_type(TypeOid oid) {
  for (const TypeInfo& info : kTypes)
    if (info.oid == oid) return &info;
  return nullptr;
}

const TypeInfo* find_array_type(TypeOid array_oid) {
  for (const TypeInfo& info : kTypes)
    if (info.array_oid == array_oid) return &info;
  return nullptr;
}

Rule rule_of(TypeOid oid) {
  const TypeInfo* info = find_type(oid);
  return info ? info->rule : Rule::kAsIs;
}

// ---- Errors -------------------------------------------------------------------------

// Enough of the value to recognise it in a log, not a whole document.
std::string preview(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

Status malformed(TypeOid type, std::string_view text, std::string_view what) {
  return Status(StatusCode::kInvalidArgument,
                "cannot convert " + type_name(type) + " value \"" + preview(text) +
                    "\": " + std::string(what) +
                    "; the reader must run session_settings_sql() on its connection");
}

// ---- Numbers ------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Rewrites a decimal number, with or without exponent ("1.5e-07", "-1e+20", "42"), in
// plain notation with the same significant digits: "0.00000015", "-100000000000000000000".
// Leading and trailing zeros that carry no value are dropped; a negative zero is "0".
// std::nullopt when `text` is not such a number.
std::optional<std::string> plain_notation(std::string_view text) {
  constexpr unsigned kMaxExponent = 1000;  // floats need 324; keeps a hostile input small
  size_t pos = 0;
  const bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;

  std::string digits;
  long point = -1;  // digits before the decimal point; -1 until a '.' is seen
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (is_digit(c)) {
      digits += c;
    } else if (c == '.' && point < 0) {
      point = static_cast<long>(digits.size());
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (point < 0) point = static_cast<long>(digits.size());

  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
      exponent_negative = text[pos++] == '-';
    // Unsigned: the sign was read above, and a second one ("e--9") must not parse, or a
    // negative exponent would pass the bound and be subtracted.
    unsigned exponent = 0;
    const auto [end, error] = std::from_chars(text.data() + pos, text.data() + text.size(),
                                              exponent);
    if (error != std::errc() || end == text.data() + pos || exponent > kMaxExponent)
      return std::nullopt;
    pos = static_cast<size_t>(end - text.data());
    point += exponent_negative ? -static_cast<long>(exponent) : static_cast<long>(exponent);
  }
  if (pos != text.size()) return std::nullopt;

  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  digits.erase(0, first);
  point -= static_cast<long>(first);
  digits.erase(digits.find_last_not_of('0') + 1);

  const long count = static_cast<long>(digits.size());
  std::string out = negative ? "-" : "";
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else if (point >= count) {
    out += digits;
    out.append(static_cast<size_t>(point - count), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(point));
    out += '.';
    out.append(digits, static_cast<size_t>(point));
  }
  return out;
}

bool is_float_special(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

Result<std::string> float_value(TypeOid type, std::string_view text) {
  if (is_float_special(text)) return std::string(text);
  std::optional<std::string> plain = plain_notation(text);
  if (!plain) return malformed(type, text, "not a decimal number");
  return std::move(*plain);
}

// The score Redis will store for a decimal: the shortest plain digits that parse back to
// the same double. Infinities become Redis' "inf"/"-inf".
Result<std::string> score_from_decimal(TypeOid type, std::string_view text) {
  if (text == "Infinity" || text == "infinity") return std::string("inf");
  if (text == "-Infinity" || text == "-infinity") return std::string("-inf");
  if (text == "NaN")
    return Status(StatusCode::kInvalidArgument,
                  "a " + type_name(type) +
                      " NaN cannot be a sorted-set score; filter it out with `where`");
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range)
    return Status(StatusCode::kInvalidArgument,
                  "the " + type_name(type) + " value \"" + preview(text) +
                      "\" is beyond the range of a sorted-set score (a double)");
  if (error != std::errc() || end != text.data() + text.size())
    return malformed(type, text, "not a decimal number");

  // Scientific, so that large values keep the shortest digits too (1e23, not the double's
  // exact 99999999999999991611392); "-1.7976931348623157e+308" fits easily.
  std::array<char, 64> shortest{};
  const auto written = std::to_chars(shortest.data(), shortest.data() + shortest.size(), value,
                                     std::chars_format::scientific);
  std::optional<std::string> plain =
      plain_notation(std::string_view(shortest.data(), written.ptr - shortest.data()));
  if (!plain) return malformed(type, text, "not a decimal number");
  return std::move(*plain);
}

// ---- bytea --------------------------------------------------------------------------

Result<std::string> decode_bytea_hex(TypeOid type, std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x')
    return malformed(type, text, "bytea is expected in hex output (\\x...)");
  const std::string_view hex = text.substr(2);
  if (hex.size() % 2 != 0) return malformed(type, text, "odd number of hex digits");
  std::optional<std::string> bytes = text::decode_hex(hex);
  if (!bytes) return malformed(type, text, "not a hex digit");
  return std::move(*bytes);
}

// ---- Dates and times (read and printed by pg_time_text.h) ----------------------------

bool is_infinity(std::string_view text) { return text == "infinity" || text == "-infinity"; }

TimeShape shape_of(Rule rule) {
  if (rule == Rule::kDate) return TimeShape::kDate;
  return rule == Rule::kTimestamp ? TimeShape::kTimestamp : TimeShape::kTimestamptz;
}

Result<std::string> time_value(TypeOid type, Rule rule, std::string_view text) {
  if (is_infinity(text)) return std::string(text);
  std::optional<CivilTime> parsed = parse_pg_time(shape_of(rule), text);
  if (!parsed) return malformed(type, text, "not an ISO date/time as DateStyle=ISO prints it");
  return iso_8601(shape_of(rule), *parsed);
}

Result<std::string> score_from_time(TypeOid type, Rule rule, std::string_view text) {
  if (is_infinity(text)) return score_from_decimal(type, text);
  std::optional<CivilTime> parsed = parse_pg_time(shape_of(rule), text);
  if (!parsed) return malformed(type, text, "not an ISO date/time as DateStyle=ISO prints it");
  return score_from_decimal(type, epoch_decimal(*parsed));
}

// ---- Scalars ------------------------------------------------------------------------

Result<std::string> scalar_value(TypeOid type, std::string_view text) {
  const Rule rule = rule_of(type);
  switch (rule) {
    case Rule::kAsIs: return std::string(text);
    case Rule::kBool:
      if (text == "t") return std::string("1");
      if (text == "f") return std::string("0");
      return malformed(type, text, "a bool is printed as t or f");
    case Rule::kFloat: return float_value(type, text);
    case Rule::kBytea: return decode_bytea_hex(type, text);
    case Rule::kDate:
    case Rule::kTimestamp:
    case Rule::kTimestamptz: return time_value(type, rule, text);
  }
  return std::string(text);
}

// ---- Arrays -------------------------------------------------------------------------

// Turns Postgres' array output ("{1,NULL,\"a \\\"b\\\"\"}", "[0:1]={x,y}", nested braces)
// into a JSON array: each element converted by its type's rule into a JSON string, NULL
// into null. bytea elements stay in hex: JSON strings cannot carry raw bytes.
class ArrayToJson {
 public:
  ArrayToJson(TypeOid element_type, char delimiter, std::string_view text)
      : element_type_(element_type), delimiter_(delimiter), text_(text) {}

  Result<std::string> convert() {
    skip_dimensions();
    if (!parse_array(0)) return failure();
    skip_space();
    if (pos_ != text_.size()) {
      error_ = "unexpected text after the closing brace";
      return failure();
    }
    return std::move(json_);
  }

 private:
  static constexpr int kMaxDepth = 32;  // Postgres allows 6 dimensions

  Status failure() const {
    if (!element_status_.ok()) return element_status_;
    return malformed(array_type(), text_, error_ + " at offset " + std::to_string(pos_));
  }
  TypeOid array_type() const {
    const TypeInfo* info = find_type(element_type_);
    return info ? info->array_oid : element_type_;
  }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  // "[1:3]={...}": explicit bounds, printed when a lower bound is not 1. JSON keeps order only.
  void skip_dimensions() {
    if (!at('[')) return;
    const size_t equals = text_.find('=', pos_);
    if (equals != std::string_view::npos) pos_ = equals + 1;
  }

  bool parse_array(int depth) {
    if (depth > kMaxDepth) return fail("arrays nested too deeply");
    skip_space();
    if (!at('{')) return fail("expected '{'");
    ++pos_;
    json_ += '[';
    skip_space();
    if (at('}')) {
      ++pos_;
      json_ += ']';
      return true;
    }
    for (bool first = true;; first = false) {
      if (!first) json_ += ',';
      skip_space();
      if (!(at('{') ? parse_array(depth + 1) : parse_element())) return false;
      skip_space();
      if (at(delimiter_)) {
        ++pos_;
        continue;
      }
      if (at('}')) {
        ++pos_;
        json_ += ']';
        return true;
      }
      return fail("expected a delimiter or '}'");
    }
  }

  bool parse_element() {
    std::string element;
    bool quoted = false;
    bool escaped = false;
    if (at('"')) {
      quoted = true;
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size()) return fail("unterminated quoted element");
        const char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
          if (pos_ >= text_.size()) return fail("unterminated quoted element");
          element += text_[pos_++];
        } else {
          element += c;
        }
      }
    } else {
      size_t last_significant = 0;  // element size up to its last non-blank or escaped char
      while (pos_ < text_.size() && !at(delimiter_) && !at('}')) {
        const char c = text_[pos_++];
        if (c == '{' || c == '"') return fail("unexpected character in an unquoted element");
        if (c == '\\') {
          if (pos_ >= text_.size()) return fail("dangling backslash");
          element += text_[pos_++];
          escaped = true;
          last_significant = element.size();
        } else {
          element += c;
          if (c != ' ' && c != '\t' && c != '\n' && c != '\r') last_significant = element.size();
        }
      }
      element.resize(last_significant);
      if (element.empty()) return fail("empty unquoted element");
    }
    if (!quoted && !escaped && is_null_literal(element)) {
      json_ += "null";
      return true;
    }
    return append_element(element);
  }

  // Postgres reads an unquoted NULL in any letter case as SQL NULL.
  static bool is_null_literal(std::string_view element) {
    constexpr std::string_view kNull = "NULL";
    if (element.size() != kNull.size()) return false;
    for (size_t i = 0; i < kNull.size(); ++i)
      if ((element[i] & ~0x20) != kNull[i]) return false;
    return true;
  }

  bool append_element(const std::string& element) {
    if (rule_of(element_type_) == Rule::kBytea) {
      text::append_json_string(json_, element);
      return true;
    }
    Result<std::string> converted = scalar_value(element_type_, element);
    if (!converted.ok()) {
      element_status_ = Status(StatusCode::kInvalidArgument,
                               "in an array: " + converted.status().message());
      return false;
    }
    text::append_json_string(json_, *converted);
    return true;
  }

  bool fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

  TypeOid element_type_;
  char delimiter_;
  std::string_view text_;
  size_t pos_ = 0;
  std::string json_;
  std::string error_;
  Status element_status_;
};

RedisValue null_value() { return RedisValue{"", true}; }

Result<RedisValue> as_redis_value(Result<std::string> bytes, JsonKind json = JsonKind::kString) {
  if (!bytes.ok()) return bytes.status();
  return RedisValue{std::move(bytes).value(), false, json};
}

// A number JSON can carry: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? — which excludes
// NaN and the infinities (JSON has no such numbers; they stay strings).
bool is_json_number(std::string_view text) {
  size_t pos = 0;
  auto digits = [&] {
    const size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    return pos - start;
  };
  if (pos < text.size() && text[pos] == '-') ++pos;
  const size_t start = pos;
  const size_t integer_digits = digits();
  if (integer_digits == 0 || (integer_digits > 1 && text[start] == '0')) return false;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (digits() == 0) return false;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (digits() == 0) return false;
  }
  return pos == text.size();
}

// What a converted scalar is in a JSON document (docs/types.md, "JSON values").
JsonKind json_kind(TypeOid type, std::string_view bytes) {
  switch (type) {
    case type_oid::kInt2:
    case type_oid::kInt4:
    case type_oid::kInt8:
    case type_oid::kNumeric:
    case type_oid::kFloat4:
    case type_oid::kFloat8:
      return is_json_number(bytes) ? JsonKind::kNumber : JsonKind::kString;
    case type_oid::kBool: return JsonKind::kBoolean;
    case type_oid::kJson:
    case type_oid::kJsonb: return JsonKind::kDocument;
    default: return JsonKind::kString;
  }
}

}  // namespace

std::string_view session_settings_sql() {
  return "SET TimeZone = 'UTC'; "
         "SET DateStyle = 'ISO, YMD'; "
         "SET IntervalStyle = 'iso_8601'; "
         "SET extra_float_digits = 1; "
         "SET bytea_output = 'hex'; "
         "SET client_encoding = 'UTF8'";
}

std::optional<TypeOid> array_element_type(TypeOid type) {
  const TypeInfo* element = find_array_type(type);
  if (element == nullptr) return std::nullopt;
  return element->oid;
}

Result<RedisValue> array_to_redis_value(TypeOid element_type,
                                        std::optional<std::string_view> text) {
  if (!text) return null_value();
  const TypeInfo* info = find_type(element_type);
  ArrayToJson converter(element_type, info ? info->array_delimiter : ',', *text);
  return as_redis_value(converter.convert());
}

Result<RedisValue> to_redis_value(TypeOid type, std::optional<std::string_view> text) {
  if (!text) return null_value();
  if (std::optional<TypeOid> element = array_element_type(type))
    return array_to_redis_value(*element, text);
  Result<std::string> bytes = scalar_value(type, *text);
  if (!bytes.ok()) return bytes.status();
  const JsonKind json = json_kind(type, *bytes);
  return as_redis_value(std::move(bytes), json);
}

void append_json_value(std::string& out, const RedisValue& value) {
  if (value.is_null) {
    out += "null";
    return;
  }
  switch (value.json) {
    case JsonKind::kNumber:
    case JsonKind::kDocument: out += value.bytes; return;
    case JsonKind::kBoolean: out += value.bytes == "1" ? "true" : "false"; return;
    case JsonKind::kString: break;
  }
  text::append_json_string(out, value.bytes);
}

bool can_be_sorted_set_score(TypeOid type) {
  const TypeInfo* info = find_type(type);
  return info != nullptr && info->score != ScoreSource::kNone;
}

bool is_time_type(TypeOid type) {
  return type == type_oid::kTimestamptz || type == type_oid::kTimestamp || type == type_oid::kDate;
}

Result<std::string> to_sorted_set_score(TypeOid type, std::optional<std::string_view> text) {
  const TypeInfo* info = find_type(type);
  if (info == nullptr || info->score == ScoreSource::kNone)
    return Status(StatusCode::kInvalidArgument,
                  "a " + type_name(type) +
                      " column cannot be a sorted-set score; use an integer, numeric, "
                      "float, date, timestamp or timestamptz column");
  if (!text)
    return Status(StatusCode::kInvalidArgument,
                  "the " + type_name(type) +
                      " score is NULL; a row needs a score to be written to a sorted set "
                      "(filter NULLs out with `where`, or COALESCE them in a view)");
  switch (info->score) {
    case ScoreSource::kNumber: return score_from_decimal(type, *text);
    case ScoreSource::kDate: return score_from_time(type, Rule::kDate, *text);
    case ScoreSource::kTimestamp: return score_from_time(type, Rule::kTimestamp, *text);
    case ScoreSource::kTimestamptz: return score_from_time(type, Rule::kTimestamptz, *text);
    case ScoreSource::kNone: break;
  }
  return Status(StatusCode::kInternal, "unhandled score source for " + type_name(type));
}

std::string type_name(TypeOid type) {
  if (const TypeInfo* info = find_type(type)) return std::string(info->name);
  if (const TypeInfo* element = find_array_type(type))
    return std::string(element->name) + "[]";
  return "oid " + std::to_string(type);
}

}  // namespace courier::pg_to_redis
