// The pieces of a schedule expression (schedule.h): cron fields — numbers, names, ranges,
// steps and lists, parsed into bit sets — and Go durations for "@every", with errors that
// name the field, the text and its column. Internal to the schedule.
//
//   ScheduleError error("0 61 * * *");
//   auto minute = parse_field({"61", 3}, kMinuteField, error);  // "minute field '61' is out of range 0-59 (column 3)"
//
// Thread-safety: pure functions and constants.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"

namespace courier::pg_to_redis::cron {

inline constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
inline constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min, max;   // what `*` and the open end of `a/n` cover
  int value_max;  // the largest value that may be written: 7 for day-of-week (Sunday)
  const std::string_view* names = nullptr;  // names[i] means min + i
  std::size_t name_count = 0;
};

inline constexpr FieldSpec kSecondField{"second", 0, 59, 59};
inline constexpr FieldSpec kMinuteField{"minute", 0, 59, 59};
inline constexpr FieldSpec kHourField{"hour", 0, 23, 23};
inline constexpr FieldSpec kDomField{"day-of-month", 1, 31, 31};
inline constexpr FieldSpec kMonthField{"month", 1, 12, 12, kMonthNames.data(), kMonthNames.size()};
inline constexpr FieldSpec kDowField{"day-of-week", 0, 6, 7, kWeekdayNames.data(), kWeekdayNames.size()};

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

// The bits of one cron field ("1-5,10/15"); `*` and `?` without a step > 1 are unrestricted.
Result<ParsedField> parse_field(const Token& token, const FieldSpec& spec, const ScheduleError& error);

// The expression's words with their columns (counted from `column`).
std::vector<Token> split_on_spaces(std::string_view text, std::size_t column);

// Go durations: "300ms", "1.5h", "2h45m"; positive only, errors at `token`.
Result<std::chrono::nanoseconds> parse_go_duration(const Token& token, const ScheduleError& error);
// "1h30m", "500ms"; "0s" for zero.
std::string format_duration(std::chrono::nanoseconds duration);

}  // namespace courier::pg_to_redis::cron
