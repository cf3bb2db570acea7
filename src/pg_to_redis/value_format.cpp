#include "pg_to_redis/value_format.h"

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
  constexpr int kMaxExponent = 1000;  // floats need 324; keeps a hostile input small
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
    int exponent = 0;
    const auto [end, error] = std::from_chars(text.data() + pos, text.data() + text.size(),
                                              exponent);
    if (error != std::errc() || end == text.data() + pos || exponent > kMaxExponent)
      return std::nullopt;
    pos = static_cast<size_t>(end - text.data());
    point += exponent_negative ? -exponent : exponent;
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

// ---- Dates and times ----------------------------------------------------------------

// A date or timestamp as Postgres prints it with DateStyle=ISO.
struct CivilTime {
  int64_t year = 0;  // astronomical: 1 BC is 0, 2 BC is -1
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string_view fraction;       // the digits after '.', as printed ("5", "123456")
  std::string_view offset;         // "+05:30", "+00", "-03:30:15"; empty without zone
  int64_t offset_seconds = 0;      // east of UTC
};

// Reads the fields of `text` front to back.
class CivilTimeReader {
 public:
  explicit CivilTimeReader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool take(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool take(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  // Between min_digits and max_digits decimal digits.
  std::optional<int64_t> number(size_t min_digits, size_t max_digits) {
    size_t end = pos_;
    while (end < text_.size() && end - pos_ < max_digits && is_digit(text_[end])) ++end;
    if (end - pos_ < min_digits) return std::nullopt;
    int64_t value = 0;
    for (; pos_ < end; ++pos_) value = value * 10 + (text_[pos_] - '0');
    return value;
  }
  std::string_view digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  size_t position() const { return pos_; }
  std::string_view since(size_t start) const { return text_.substr(start, pos_ - start); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool read_date(CivilTimeReader& in, CivilTime& out) {
  const auto year = in.number(4, 7);
  if (!year || !in.take('-')) return false;
  const auto month = in.number(2, 2);
  if (!month || !in.take('-')) return false;
  const auto day = in.number(2, 2);
  if (!day) return false;
  out.year = *year;
  out.month = static_cast<int>(*month);
  out.day = static_cast<int>(*day);
  return out.month >= 1 && out.month <= 12 && out.day >= 1 && out.day <= 31;
}

bool read_time_of_day(CivilTimeReader& in, CivilTime& out) {
  const auto hour = in.number(2, 2);
  if (!hour || !in.take(':')) return false;
  const auto minute = in.number(2, 2);
  if (!minute || !in.take(':')) return false;
  const auto second = in.number(2, 2);
  if (!second) return false;
  out.hour = static_cast<int>(*hour);
  out.minute = static_cast<int>(*minute);
  out.second = static_cast<int>(*second);
  if (in.take('.')) {
    out.fraction = in.digits();
    if (out.fraction.empty() || out.fraction.size() > 6) return false;
  }
  return out.hour <= 24 && out.minute <= 59 && out.second <= 60;
}

// "+05", "-03:30", "+05:53:28": Postgres prints minutes and seconds only when non-zero.
bool read_offset(CivilTimeReader& in, CivilTime& out) {
  const size_t start = in.position();
  int64_t sign = 1;
  if (in.take('-')) {
    sign = -1;
  } else if (!in.take('+')) {
    return false;
  }
  const auto hours = in.number(2, 2);
  if (!hours) return false;
  int64_t seconds = *hours * 3600;
  if (in.take(':')) {
    const auto minutes = in.number(2, 2);
    if (!minutes) return false;
    seconds += *minutes * 60;
    if (in.take(':')) {
      const auto secs = in.number(2, 2);
      if (!secs) return false;
      seconds += *secs;
    }
  }
  out.offset = in.since(start);
  out.offset_seconds = sign * seconds;
  return true;
}

// Postgres counts BC years from 1 ("0044 BC"); ISO 8601 counts 1 BC as year 0.
bool read_era(CivilTimeReader& in, CivilTime& out) {
  if (in.take(" BC")) out.year = 1 - out.year;
  return in.at_end();
}

std::optional<CivilTime> parse_civil_time(Rule rule, std::string_view text) {
  CivilTimeReader in(text);
  CivilTime out;
  if (!read_date(in, out)) return std::nullopt;
  if (rule != Rule::kDate) {
    if (!in.take(' ') || !read_time_of_day(in, out)) return std::nullopt;
    if (rule == Rule::kTimestamptz && !read_offset(in, out)) return std::nullopt;
  }
  if (!read_era(in, out)) return std::nullopt;
  return out;
}

void append_padded(std::string& out, int64_t value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width)
    out.append(static_cast<size_t>(width) - digits.size(), '0');
  out += digits;
}

// "+05" -> "+05:00"; "+05:30" and "+05:53:28" stay.
void append_iso_offset(std::string& out, std::string_view offset) {
  out += offset;
  if (offset.size() == 3) out += ":00";
}

std::string iso_8601(Rule rule, const CivilTime& t) {
  std::string out;
  if (t.year < 0) out += '-';
  append_padded(out, t.year < 0 ? -t.year : t.year, 4);
  out += '-';
  append_padded(out, t.month, 2);
  out += '-';
  append_padded(out, t.day, 2);
  if (rule == Rule::kDate) return out;
  out += 'T';
  append_padded(out, t.hour, 2);
  out += ':';
  append_padded(out, t.minute, 2);
  out += ':';
  append_padded(out, t.second, 2);
  if (!t.fraction.empty()) {
    out += '.';
    out += t.fraction;
  }
  if (rule == Rule::kTimestamptz) append_iso_offset(out, t.offset);
  return out;
}

bool is_infinity(std::string_view text) { return text == "infinity" || text == "-infinity"; }

Result<std::string> time_value(TypeOid type, Rule rule, std::string_view text) {
  if (is_infinity(text)) return std::string(text);
  std::optional<CivilTime> parsed = parse_civil_time(rule, text);
  if (!parsed) return malformed(type, text, "not an ISO date/time as DateStyle=ISO prints it");
  return iso_8601(rule, *parsed);
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// Unix epoch seconds as an exact decimal: "1732356000.123456", "-0.5". Whole seconds and
// microseconds are kept apart: in microseconds alone, years past 294 276 (Postgres dates
// reach 5 874 897) would not fit in 64 bits.
std::string epoch_decimal(const CivilTime& t) {
  int64_t seconds = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 +
                    t.minute * 60 + t.second - t.offset_seconds;
  int64_t micros = 0;  // after `seconds`, towards the future
  for (size_t i = 0; i < 6; ++i)
    micros = micros * 10 + (i < t.fraction.size() ? t.fraction[i] - '0' : 0);
  std::string out;
  if (seconds < 0) {  // -2 s + 0.25 s is -1.75 s
    out = "-";
    seconds = -seconds;
    if (micros > 0) {
      seconds -= 1;
      micros = 1'000'000 - micros;
    }
  }
  out += std::to_string(seconds);
  out += '.';
  append_padded(out, micros, 6);
  return out;
}

Result<std::string> score_from_time(TypeOid type, Rule rule, std::string_view text) {
  if (is_infinity(text)) return score_from_decimal(type, text);
  std::optional<CivilTime> parsed = parse_civil_time(rule, text);
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

Result<RedisValue> as_redis_value(Result<std::string> bytes) {
  if (!bytes.ok()) return bytes.status();
  return RedisValue{std::move(bytes).value(), false};
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
  return as_redis_value(scalar_value(type, *text));
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
