#include "core/dead_letter/letter_fields.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "text/integer.h"

namespace courier {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The number written as exactly `digits` decimal digits at `text[position]`, if any.
std::optional<int> read_digits(std::string_view text, size_t position, size_t digits) {
  if (position + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = position; i < position + digits; ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// The milliseconds of an optional ".fff…" fraction followed by the final 'Z'.
std::optional<int> read_fraction_and_zone(std::string_view rest) {
  int millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits])) ++digits;
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = 0; i < 3; ++i) millis = millis * 10 + (i < digits ? rest[i] - '0' : 0);
    rest.remove_prefix(digits);
  }
  if (rest != "Z") return std::nullopt;
  return millis;
}

}  // namespace

std::string format_timestamp(WallTime time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> time_of_day(millis - day);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time_of_day.hours().count()),
                static_cast<int>(time_of_day.minutes().count()),
                static_cast<int>(time_of_day.seconds().count()),
                static_cast<int>(time_of_day.subseconds().count()));
  return text;
}

std::optional<WallTime> parse_timestamp(std::string_view text) {
  using namespace std::chrono;
  // "YYYY-MM-DDTHH:MM:SS": the separators sit at fixed positions.
  constexpr std::string_view kSeparators = "--T::";
  constexpr size_t kSeparatorPositions[] = {4, 7, 10, 13, 16};
  if (text.size() < 20) return std::nullopt;
  for (size_t i = 0; i < kSeparators.size(); ++i)
    if (text[kSeparatorPositions[i]] != kSeparators[i]) return std::nullopt;
  const auto year_number = read_digits(text, 0, 4), month_number = read_digits(text, 5, 2),
             day_number = read_digits(text, 8, 2), hour = read_digits(text, 11, 2),
             minute = read_digits(text, 14, 2), second = read_digits(text, 17, 2);
  const auto millis = read_fraction_and_zone(text.substr(19));
  if (!year_number || !month_number || !day_number || !hour || !minute || !second || !millis)
    return std::nullopt;
  const year_month_day date{year{*year_number}, month{static_cast<unsigned>(*month_number)},
                            day{static_cast<unsigned>(*day_number)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return WallTime(sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) +
                  milliseconds(*millis));
}

std::vector<std::pair<std::string_view, std::string>> letter_fields(const DeadLetter& letter) {
  namespace field = letter_field;
  return {{field::kPayload, letter.payload},
          {field::kError, letter.error},
          {field::kErrorCode, letter.error_code},
          {field::kErrorDetail, letter.error_detail},
          {field::kAttempts, std::to_string(letter.attempts)},
          {field::kFirstFailure, format_timestamp(letter.first_failure)},
          {field::kLastFailure, format_timestamp(letter.last_failure)}};
}

bool is_decimal_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

bool assign_letter_field(DeadLetter& letter, std::string_view name, std::string_view text) {
  namespace field = letter_field;
  if (name == field::kPayload) {
    letter.payload = text;
  } else if (name == field::kError) {
    letter.error = text;
  } else if (name == field::kErrorCode) {
    letter.error_code = text;
  } else if (name == field::kErrorDetail) {
    letter.error_detail = text;
  } else if (name == field::kAttempts) {
    letter.attempts = text::parse_integer<int>(text).value_or(letter.attempts);
  } else if (name == field::kFirstFailure) {
    letter.first_failure = parse_timestamp(text).value_or(letter.first_failure);
  } else if (name == field::kLastFailure) {
    letter.last_failure = parse_timestamp(text).value_or(letter.last_failure);
  } else {
    return false;
  }
  return true;
}

}  // namespace courier
