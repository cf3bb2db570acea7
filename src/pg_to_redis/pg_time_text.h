// Dates and timestamps as Postgres prints them under DateStyle=ISO ("2024-02-29",
// "2024-02-29 23:59:59.5", "0044-03-15 12:00:00+05:30 BC"): read into their fields,
// printed as ISO 8601, and turned into Unix epoch seconds as an exact decimal — for the
// table-sync value formatter (value_format.h), which owns the rules of when to use them.
//
//   auto t = parse_pg_time(TimeShape::kTimestamptz, "2024-05-01 10:00:00.25+02");
//   iso_8601(TimeShape::kTimestamptz, *t);  // "2024-05-01T10:00:00.25+02:00"
//   epoch_decimal(*t);                       // "1714550400.250000"
//
// Thread-safety: pure functions and plain values. A CivilTime views the text it was read from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace courier::pg_to_redis {

enum class TimeShape { kDate, kTimestamp, kTimestamptz };

// A date or timestamp's fields as printed.
struct CivilTime {
  int64_t year = 0;  // astronomical: 1 BC is 0, 2 BC is -1
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string_view fraction;   // the digits after '.', as printed ("5", "123456")
  std::string_view offset;     // "+05:30", "+00", "-03:30:15"; empty without zone
  int64_t offset_seconds = 0;  // east of UTC
};

// std::nullopt when `text` is not of that shape ("infinity" is not: callers keep it).
std::optional<CivilTime> parse_pg_time(TimeShape shape, std::string_view text);
// "2024-02-29T23:59:59.5+05:30"; a BC year as a negative astronomical year.
std::string iso_8601(TimeShape shape, const CivilTime& time);
// Unix epoch seconds with six decimals: "1732356000.123456", "-0.500000".
std::string epoch_decimal(const CivilTime& time);
// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t year, int month, int day);

}  // namespace courier::pg_to_redis
