// Schedule parsing and next-run computation. Layout: civil-time arithmetic, time-zone
// rules (fixed, Local, TZif files with their POSIX TZ footer), the cron field parser, Go
// durations, and the search for the next matching wall time.
#include "pg_to_redis/schedule.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>
#include <vector>

#include "config/edit_distance.h"

namespace courier::pg_to_redis {

namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

// ---------------------------------------------------------------------------------------
// Civil time: "wall seconds" count seconds since 1970-01-01T00:00 on a zone's wall clock,
// the same way Unix time counts them in UTC.

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct CivilTime {
  int year, month, day, hour, minute, second;
};

std::int64_t days_from_civil(int year, int month, int day) {
  using namespace std::chrono;
  return sys_days{std::chrono::year{year} / static_cast<unsigned>(month) /
                  static_cast<unsigned>(day)}
      .time_since_epoch()
      .count();
}

CivilTime civil_from_wall(std::int64_t wall) {
  using namespace std::chrono;
  std::int64_t days = floor_div(wall, kSecondsPerDay);
  std::int64_t secs = wall - days * kSecondsPerDay;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(secs / 3600),
          static_cast<int>(secs / 60 % 60),
          static_cast<int>(secs % 60)};
}

std::int64_t wall_from_civil(const CivilTime& c) {
  return days_from_civil(c.year, c.month, c.day) * kSecondsPerDay + c.hour * 3600 + c.minute * 60 +
         c.second;
}

bool is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// 0 = Sunday.
int weekday_of(std::int64_t days_since_epoch) {
  return static_cast<int>(((days_since_epoch + 4) % 7 + 7) % 7);  // 1970-01-01: Thursday
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Time zones. A zone answers one question: the UTC offset in effect at a UTC instant.
// Everything else (wall time to UTC, gaps, repeats) is derived from that.

class ZoneRules {
 public:
  virtual ~ZoneRules() = default;
  // Seconds east of UTC in effect at `utc_seconds`.
  virtual std::int64_t utc_offset(std::int64_t utc_seconds) const = 0;
};

namespace {

class FixedZone final : public ZoneRules {
 public:
  explicit FixedZone(std::int64_t offset) : offset_(offset) {}
  std::int64_t utc_offset(std::int64_t) const override { return offset_; }

 private:
  std::int64_t offset_;
};

// The process's local zone, as the C library sees it (TZ, /etc/localtime).
class LocalZone final : public ZoneRules {
 public:
  std::int64_t utc_offset(std::int64_t utc_seconds) const override {
    time_t t = static_cast<time_t>(utc_seconds);
    struct tm parts {};
    if (localtime_r(&t, &parts) == nullptr) return 0;
    return parts.tm_gmtoff;
  }
};

// A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3": the footer of a TZif file, which
// covers every instant after the file's last listed transition.
struct PosixTz {
  struct Date {
    char kind = 'M';  // 'J': Julian day 1-365 without Feb 29; 'D': day 0-365; 'M': m.w.d
    int month = 0, week = 0, weekday = 0, day = 0;
    std::int64_t time = 7200;  // seconds after local midnight, may be negative or > 24h
  };
  std::int64_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  std::int64_t dst_offset = 0;
  Date start, end;

  std::int64_t utc_offset(std::int64_t utc_seconds) const {
    if (!has_dst) return std_offset;
    int year = civil_from_wall(utc_seconds + std_offset).year;
    std::int64_t dst_begins = day_of(start, year) * kSecondsPerDay + start.time - std_offset;
    std::int64_t dst_ends = day_of(end, year) * kSecondsPerDay + end.time - dst_offset;
    bool in_dst = dst_begins < dst_ends ? dst_begins <= utc_seconds && utc_seconds < dst_ends
                                        : !(dst_ends <= utc_seconds && utc_seconds < dst_begins);
    return in_dst ? dst_offset : std_offset;
  }

  static std::int64_t day_of(const Date& date, int year) {
    std::int64_t jan1 = days_from_civil(year, 1, 1);
    switch (date.kind) {
      case 'J':
        return jan1 + date.day - 1 + (is_leap(year) && date.day >= 60 ? 1 : 0);
      case 'D':
        return jan1 + date.day;
      default:
        break;
    }
    std::int64_t first = days_from_civil(year, date.month, 1);
    std::int64_t day = first + (date.weekday - weekday_of(first) + 7) % 7 + (date.week - 1) * 7;
    while (day >= first + days_in_month(year, date.month)) day -= 7;
    return day;
  }
};

// A small cursor over the TZ string; every parse_* returns false on malformed input.
class PosixTzParser {
 public:
  explicit PosixTzParser(std::string_view text) : text_(text) {}

  std::optional<PosixTz> parse() {
    PosixTz tz;
    std::int64_t offset = 0;
    if (!parse_name() || !parse_hms(offset)) return std::nullopt;
    tz.std_offset = -offset;  // POSIX offsets count west of UTC
    if (done()) return tz;
    if (!parse_name()) return std::nullopt;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (!done() && text_[pos_] != ',') {
      if (!parse_hms(offset)) return std::nullopt;
      tz.dst_offset = -offset;
    }
    if (done()) {  // no rule given: the POSIX default is the US rule
      tz.start = {'M', 3, 2, 0, 0, 7200};
      tz.end = {'M', 11, 1, 0, 0, 7200};
      return tz;
    }
    if (!consume(',') || !parse_date(tz.start) || !consume(',') || !parse_date(tz.end) || !done()) {
      return std::nullopt;
    }
    return tz;
  }

 private:
  bool done() const { return pos_ >= text_.size(); }
  bool consume(char c) {
    if (done() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool parse_int(int& value) {
    std::size_t begin = pos_;
    value = 0;
    while (!done() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - begin < 6) {
      value = value * 10 + (text_[pos_++] - '0');
    }
    return pos_ > begin;
  }
  bool parse_name() {
    if (consume('<')) {
      std::size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    std::size_t begin = pos_;
    while (!done() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') ||
                       (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) {
      ++pos_;
    }
    return pos_ - begin >= 3;
  }
  // [+-]hh[:mm[:ss]]
  bool parse_hms(std::int64_t& seconds) {
    int sign = 1;
    if (consume('-')) {
      sign = -1;
    } else {
      consume('+');
    }
    int hours = 0, minutes = 0, secs = 0;
    if (!parse_int(hours)) return false;
    if (consume(':') && (!parse_int(minutes) || (consume(':') && !parse_int(secs)))) {
      return false;
    }
    seconds = sign * (hours * 3600LL + minutes * 60LL + secs);
    return true;
  }
  bool parse_date(PosixTz::Date& date) {
    if (consume('M')) {
      date.kind = 'M';
      if (!parse_int(date.month) || !consume('.') || !parse_int(date.week) || !consume('.') ||
          !parse_int(date.weekday)) {
        return false;
      }
      if (date.month < 1 || date.month > 12 || date.week < 1 || date.week > 5 || date.weekday > 6) {
        return false;
      }
    } else {
      date.kind = consume('J') ? 'J' : 'D';
      if (!parse_int(date.day) || date.day > 365 || (date.kind == 'J' && date.day < 1)) {
        return false;
      }
    }
    date.time = 7200;
    return !consume('/') || parse_hms(date.time);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// A zone read from a TZif file (RFC 8536): its transitions, then its POSIX footer.
class TzifZone final : public ZoneRules {
 public:
  std::int64_t utc_offset(std::int64_t utc_seconds) const override {
    auto after = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
    if (after == transitions_.end() && footer_) return footer_->utc_offset(utc_seconds);
    if (after == transitions_.begin()) return type_offsets_.front();
    return type_offsets_[transition_types_[static_cast<std::size_t>(after - transitions_.begin() -
                                                                    1)]];
  }

  // The zone, or an explanation of what is wrong with the file.
  static std::optional<TzifZone> parse(std::string_view data, std::string& error) {
    TzifZone zone;
    if (data.size() < 44 || data.substr(0, 4) != "TZif") {
      error = "not a TZif file";
      return std::nullopt;
    }
    bool v2 = data[4] >= '2';
    std::size_t pos = 0;
    if (v2) {  // skip the 32-bit section; the 64-bit one follows with its own header
      Counts v1 = read_counts(data, 0);
      pos = 44 + v1.section_size(4);
      if (data.size() < pos + 44 || data.substr(pos, 4) != "TZif") {
        error = "truncated TZif file";
        return std::nullopt;
      }
    }
    Counts counts = read_counts(data, pos);
    std::size_t time_size = v2 ? 8 : 4;
    pos += 44;
    if (counts.type_count == 0 || data.size() < pos + counts.section_size(time_size)) {
      error = "truncated TZif file";
      return std::nullopt;
    }
    for (std::size_t i = 0; i < counts.time_count; ++i, pos += time_size) {
      zone.transitions_.push_back(v2 ? static_cast<std::int64_t>(read_be(data, pos, 8))
                                     : static_cast<std::int32_t>(read_be(data, pos, 4)));
    }
    for (std::size_t i = 0; i < counts.time_count; ++i, ++pos) {
      auto type = static_cast<std::uint8_t>(data[pos]);
      if (type >= counts.type_count) {
        error = "transition refers to a missing local time type";
        return std::nullopt;
      }
      zone.transition_types_.push_back(type);
    }
    for (std::size_t i = 0; i < counts.type_count; ++i, pos += 6) {
      zone.type_offsets_.push_back(static_cast<std::int32_t>(read_be(data, pos, 4)));
    }
    pos += counts.char_count + counts.leap_count * (time_size + 4) + counts.std_count +
           counts.ut_count;
    if (v2 && pos < data.size() && data[pos] == '\n') {
      std::size_t end = data.find('\n', pos + 1);
      std::string_view footer = data.substr(
          pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1);
      if (!footer.empty()) {
        zone.footer_ = PosixTzParser(footer).parse();
        if (!zone.footer_) {
          error = "unsupported POSIX TZ footer '" + std::string(footer) + "'";
          return std::nullopt;
        }
      }
    }
    return zone;
  }

 private:
  struct Counts {
    std::size_t ut_count, std_count, leap_count, time_count, type_count, char_count;
    std::size_t section_size(std::size_t time_size) const {
      return time_count * (time_size + 1) + type_count * 6 + char_count +
             leap_count * (time_size + 4) + std_count + ut_count;
    }
  };

  static std::uint64_t read_be(std::string_view data, std::size_t pos, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) {
      value = (value << 8) | static_cast<std::uint8_t>(data[pos + i]);
    }
    return value;
  }

  static Counts read_counts(std::string_view data, std::size_t header) {
    auto at = [&](std::size_t i) {
      return static_cast<std::size_t>(read_be(data, header + 20 + i * 4, 4));
    };
    return {at(0), at(1), at(2), at(3), at(4), at(5)};
  }

  std::vector<std::int64_t> transitions_;
  std::vector<std::uint8_t> transition_types_;
  std::vector<std::int64_t> type_offsets_;
  std::optional<PosixTz> footer_;
};

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

// The zone, or why it cannot be used.
std::variant<std::shared_ptr<const ZoneRules>, std::string> load_zone(std::string_view name) {
  if (config::equals_ignoring_case(name, "UTC") || name.empty()) {
    return std::shared_ptr<const ZoneRules>(std::make_shared<FixedZone>(0));
  }
  if (config::equals_ignoring_case(name, "Local")) {
    return std::shared_ptr<const ZoneRules>(std::make_shared<LocalZone>());
  }
  if (!valid_zone_name(name)) {
    return "'" + std::string(name) +
           "' is not a time zone name; use 'UTC', 'Local' or an IANA name like "
           "'Europe/Berlin'";
  }
  const char* tzdir = std::getenv("TZDIR");
  std::string path =
      std::string(tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo") + "/" +
      std::string(name);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return "unknown time zone '" + std::string(name) + "' (no file " + path +
           "); use 'UTC', 'Local' or an IANA name like 'Europe/Berlin' (is tzdata installed?)";
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string error;
  std::optional<TzifZone> zone = TzifZone::parse(contents.str(), error);
  if (!zone) return "cannot read time zone '" + std::string(name) + "' from " + path + ": " + error;
  return std::shared_ptr<const ZoneRules>(std::make_shared<TzifZone>(std::move(*zone)));
}

// The earliest UTC instant whose wall clock in `zone` reads `wall`; none when the wall
// time falls into a gap. Assumes at most one offset change within two days of it.
std::optional<std::int64_t> first_instant_at(const ZoneRules& zone, std::int64_t wall) {
  std::int64_t before = zone.utc_offset(wall - 2 * kSecondsPerDay);
  std::int64_t after = zone.utc_offset(wall + 2 * kSecondsPerDay);
  std::optional<std::int64_t> best;
  for (std::int64_t offset :
       {before, after, zone.utc_offset(wall - before), zone.utc_offset(wall - after)}) {
    std::int64_t instant = wall - offset;
    if (zone.utc_offset(instant) == offset && (!best || instant < *best)) best = instant;
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// Cron fields.

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min, max;   // what `*` and the open end of `a/n` cover
  int value_max;  // the largest value that may be written: 7 for day-of-week (Sunday)
  const std::string_view* names = nullptr;  // names[i] means min + i
  std::size_t name_count = 0;
};

constexpr FieldSpec kSecondField{"second", 0, 59, 59};
constexpr FieldSpec kMinuteField{"minute", 0, 59, 59};
constexpr FieldSpec kHourField{"hour", 0, 23, 23};
constexpr FieldSpec kDomField{"day-of-month", 1, 31, 31};
constexpr FieldSpec kMonthField{"month", 1, 12, 12, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kDowField{"day-of-week", 0, 6, 7, kWeekdayNames.data(), kWeekdayNames.size()};

struct ParsedField {
  std::uint64_t bits = 0;
  bool unrestricted = false;  // contains `*` or `?` without a step > 1 (robfig's rule)
};

// A piece of the expression and its 1-based column, for error messages.
struct Token {
  std::string_view text;
  std::size_t column;
};

class ScheduleError {
 public:
  explicit ScheduleError(std::string_view expression) : expression_(expression) {}
  Status operator()(const std::string& what) const {
    return Status(StatusCode::kInvalidArgument,
                  "schedule '" + std::string(expression_) + "': " + what);
  }
  Status at(const Token& token, const std::string& what) const {
    return (*this)(what + " (column " + std::to_string(token.column) + ")");
  }

 private:
  std::string_view expression_;
};

std::optional<int> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
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

// ---------------------------------------------------------------------------------------
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

// The descriptors robfig accepts, as the 6-field expressions they stand for.
struct Descriptor {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Descriptor, 7> kDescriptors = {{{"@yearly", "0 0 0 1 1 *"},
                                                     {"@annually", "0 0 0 1 1 *"},
                                                     {"@monthly", "0 0 0 1 * *"},
                                                     {"@weekly", "0 0 0 * * 0"},
                                                     {"@daily", "0 0 0 * * *"},
                                                     {"@midnight", "0 0 0 * * *"},
                                                     {"@hourly", "0 0 * * * *"}}};

}  // namespace

Status check_time_zone(std::string_view time_zone) {
  auto zone = load_zone(time_zone.empty() ? "UTC" : time_zone);
  if (auto* why = std::get_if<std::string>(&zone)) {
    return Status(StatusCode::kInvalidArgument, *why);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Parsing.

Result<Schedule> parse_schedule(std::string_view expression, std::string_view time_zone) {
  ScheduleError error(expression);
  std::vector<Token> tokens = split_on_spaces(expression, 1);
  if (tokens.empty()) {
    return error(
        "the schedule is empty; write e.g. '@every 5m' or a cron expression such as "
        "'*/15 * * * *'");
  }

  Schedule schedule;
  schedule.every_ = std::chrono::nanoseconds(0);
  schedule.zone_name_ = time_zone.empty() ? "UTC" : std::string(time_zone);
  std::string zone_origin;  // where a bad zone name came from, for the message
  for (std::string_view prefix : {"CRON_TZ=", "TZ="}) {
    if (tokens.front().text.substr(0, prefix.size()) == prefix) {
      schedule.zone_name_ = std::string(tokens.front().text.substr(prefix.size()));
      zone_origin = "in the " + std::string(prefix.substr(0, prefix.size() - 1)) + " prefix, ";
      tokens.erase(tokens.begin());
      if (tokens.empty()) return error("nothing follows the time zone prefix");
      break;
    }
  }
  std::size_t body_start = tokens.front().column - 1;
  schedule.expression_ = std::string(expression.substr(body_start));
  while (!schedule.expression_.empty() &&
         (schedule.expression_.back() == ' ' || schedule.expression_.back() == '\t')) {
    schedule.expression_.pop_back();
  }

  auto zone = load_zone(schedule.zone_name_);
  if (auto* why = std::get_if<std::string>(&zone)) return error(zone_origin + *why);
  schedule.zone_ = std::get<std::shared_ptr<const ZoneRules>>(std::move(zone));

  std::vector<Token> fields = tokens;
  const Token& head = tokens.front();
  if (head.text.front() == '@') {
    if (config::equals_ignoring_case(head.text, "@every")) {
      if (tokens.size() != 2) {
        return error.at(head, "@every takes exactly one duration, e.g. '@every 5m'");
      }
      Result<std::chrono::nanoseconds> every = parse_go_duration(tokens[1], error);
      if (!every.ok()) return every.status();
      schedule.every_ = *every;
      return schedule;
    }
    auto descriptor = std::find_if(kDescriptors.begin(), kDescriptors.end(), [&](auto& d) {
      return config::equals_ignoring_case(d.name, head.text);
    });
    if (descriptor == kDescriptors.end()) {
      std::vector<std::string> names = {"@every"};
      for (const Descriptor& d : kDescriptors) names.emplace_back(d.name);
      std::string what = "unknown descriptor '" + std::string(head.text) + "'";
      if (auto hint = config::nearest_name(head.text, names)) {
        what += "; did you mean '" + *hint + "'?";
      } else {
        what += "; use @yearly, @monthly, @weekly, @daily, @hourly or @every <duration>";
      }
      return error.at(head, what);
    }
    if (tokens.size() != 1) {
      return error.at(tokens[1], std::string(descriptor->name) + " takes no arguments");
    }
    fields = split_on_spaces(descriptor->fields, 1);
  } else if (fields.size() != 5 && fields.size() != 6) {
    return error(
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a "
        "leading seconds field, found " +
        std::to_string(fields.size()));
  }

  if (fields.size() == 5) fields.insert(fields.begin(), Token{"0", 0});
  static constexpr std::array<const FieldSpec*, 6> kSpecs = {
      &kSecondField, &kMinuteField, &kHourField, &kDomField, &kMonthField, &kDowField};
  std::array<ParsedField, 6> parsed;
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    Result<ParsedField> field = parse_field(fields[i], *kSpecs[i], error);
    if (!field.ok()) return field.status();
    parsed[i] = *field;
  }
  Schedule::CronFields& cron = schedule.cron_;
  cron.seconds = parsed[0].bits;
  cron.minutes = parsed[1].bits;
  cron.hours = static_cast<std::uint32_t>(parsed[2].bits);
  cron.days_of_month = static_cast<std::uint32_t>(parsed[3].bits);
  cron.months = static_cast<std::uint16_t>(parsed[4].bits);
  std::uint64_t dow = parsed[5].bits;
  cron.days_of_week = static_cast<std::uint8_t>((dow | (dow >> 7)) & 0x7F);  // 7 is Sunday
  cron.dom_unrestricted = parsed[3].unrestricted;
  cron.dow_unrestricted = parsed[5].unrestricted;

  // With the weekday unrestricted, the day of the month alone decides; catch days that no
  // chosen month has ("0 0 30 2 *"), which would otherwise never run.
  if (!cron.dom_unrestricted && cron.dow_unrestricted) {
    int lowest_day = std::countr_zero(cron.days_of_month);
    bool possible = false;
    for (int month = 1; month <= 12; ++month) {
      possible =
          possible || ((cron.months >> month & 1) && lowest_day <= days_in_month(2000, month));
    }
    if (!possible) {
      const Token& dom = fields[3];
      return error.at(dom, "day-of-month field '" + std::string(dom.text) +
                               "' never occurs in month field '" + std::string(fields[4].text) +
                               "', so the schedule would never run");
    }
  }
  return schedule;
}

// ---------------------------------------------------------------------------------------
// Next run.

namespace {

// The first wall time at or after `wall` matching `cron`, searching up to `last_year`.
template <typename Cron>
std::optional<std::int64_t> next_matching_wall_time(const Cron& cron, std::int64_t wall,
                                                    int last_year) {
  CivilTime c = civil_from_wall(wall);
  auto next_month = [&] {
    c.day = 1;
    c.hour = c.minute = c.second = 0;
    if (++c.month > 12) {
      c.month = 1;
      ++c.year;
    }
  };
  auto next_day = [&] {
    c.hour = c.minute = c.second = 0;
    if (++c.day > days_in_month(c.year, c.month)) next_month();
  };
  auto next_hour = [&] {
    c.minute = c.second = 0;
    if (++c.hour == 24) next_day();
  };
  auto next_minute = [&] {
    c.second = 0;
    if (++c.minute == 60) next_hour();
  };
  auto day_matches = [&] {
    bool dom = cron.days_of_month >> c.day & 1;
    bool dow = cron.days_of_week >> weekday_of(days_from_civil(c.year, c.month, c.day)) & 1;
    return cron.dom_unrestricted || cron.dow_unrestricted ? dom && dow : dom || dow;
  };
  while (c.year <= last_year) {
    if (!(cron.months >> c.month & 1)) {
      next_month();
    } else if (!day_matches()) {
      next_day();
    } else if (!(cron.hours >> c.hour & 1)) {
      next_hour();
    } else if (!(cron.minutes >> c.minute & 1)) {
      next_minute();
    } else if (!(cron.seconds >> c.second & 1)) {
      if (++c.second == 60) next_minute();
    } else {
      return wall_from_civil(c);
    }
  }
  return std::nullopt;
}

}  // namespace

Schedule::TimePoint Schedule::next_after(TimePoint t) const {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (is_every()) {
    auto step = duration_cast<TimePoint::duration>(every_);
    return t > TimePoint::max() - step ? TimePoint::max() : t + step;
  }
  // Whole seconds: the first candidate is the next whole second strictly after t.
  std::int64_t now = duration_cast<seconds>(t.time_since_epoch()).count();
  if (TimePoint(seconds(now)) > t) --now;  // floor for times before 1970
  const std::int64_t latest = duration_cast<seconds>(TimePoint::max().time_since_epoch()).count();
  std::int64_t wall = now + zone_->utc_offset(now) + 1;
  // Any satisfiable expression matches within one 400-year Gregorian cycle.
  int last_year = civil_from_wall(wall).year + 400;
  while (auto match = next_matching_wall_time(cron_, wall, last_year)) {
    // A wall time in a DST gap has no instant and is skipped; a repeated wall time counts
    // only at its first occurrence, so a run already due before `t` is not run again.
    std::optional<std::int64_t> instant = first_instant_at(*zone_, *match);
    if (instant && *instant > now) {
      return *instant > latest ? TimePoint::max() : TimePoint(seconds(*instant));
    }
    wall = *match + 1;
  }
  return TimePoint::max();
}

std::string Schedule::describe() const {
  if (is_every()) return "every " + format_duration(every_);
  return "cron '" + expression_ + "' in " + zone_name_;
}

NextRun next_run(const Schedule& schedule, Schedule::TimePoint last_planned,
                 Schedule::TimePoint finished) {
  NextRun next{schedule.next_after(last_planned)};
  while (next.at <= finished) {
    ++next.skipped;
    next.at = schedule.next_after(next.at);
  }
  return next;
}

}  // namespace courier::pg_to_redis
