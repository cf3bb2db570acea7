// Schedule: robfig/cron-compatible expressions, next-run computation, time zones and DST.
#include "pg_to_redis/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace courier::pg_to_redis {
namespace {

using std::chrono::system_clock;
using testing::HasSubstr;
using TimePoint = system_clock::time_point;

// "2024-03-31T01:30:00Z" (UTC only; the tests state instants in UTC).
TimePoint at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  EXPECT_EQ(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << iso;
  std::chrono::sys_days day = std::chrono::year{y} / mo / d;
  return TimePoint(day) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s);
}

std::string iso(TimePoint t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return out;
}

Schedule parse_ok(std::string_view expression, std::string_view zone = "UTC") {
  Result<Schedule> schedule = parse_schedule(expression, zone);
  EXPECT_TRUE(schedule.ok()) << expression << ": " << schedule.status().to_string();
  return schedule.ok() ? *schedule : *parse_schedule("@every 1h");
}

// The next `count` runs after `start`, as UTC strings.
std::vector<std::string> runs(std::string_view expression, const std::string& start, int count,
                              std::string_view zone = "UTC") {
  Schedule schedule = parse_ok(expression, zone);
  std::vector<std::string> out;
  TimePoint t = at(start);
  for (int i = 0; i < count; ++i) {
    t = schedule.next_after(t);
    out.push_back(iso(t));
  }
  return out;
}

std::string error_of(std::string_view expression, std::string_view zone = "UTC") {
  Result<Schedule> schedule = parse_schedule(expression, zone);
  EXPECT_FALSE(schedule.ok()) << expression << " should be rejected";
  if (schedule.ok()) return {};
  EXPECT_EQ(schedule.status().code(), StatusCode::kInvalidArgument);
  return schedule.status().message();
}

using V = std::vector<std::string>;

// --- syntax --------------------------------------------------------------------------

TEST(ScheduleSyntax, EveryQuarterHour) {
  EXPECT_EQ(runs("*/15 * * * *", "2024-05-01T10:07:00Z", 4),
            (V{"2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z", "2024-05-01T10:45:00Z",
               "2024-05-01T11:00:00Z"}));
}

TEST(ScheduleSyntax, NextRunIsStrictlyAfterTheGivenTime) {
  EXPECT_EQ(runs("*/15 * * * *", "2024-05-01T10:15:00Z", 1), (V{"2024-05-01T10:30:00Z"}));
  Schedule schedule = parse_ok("*/15 * * * *");
  TimePoint just_before = at("2024-05-01T10:14:59Z") + std::chrono::milliseconds(500);
  EXPECT_EQ(iso(schedule.next_after(just_before)), "2024-05-01T10:15:00Z");
}

TEST(ScheduleSyntax, ListsRangesAndSteps) {
  EXPECT_EQ(runs("5,10 * * * *", "2024-05-01T10:07:00Z", 3),
            (V{"2024-05-01T10:10:00Z", "2024-05-01T11:05:00Z", "2024-05-01T11:10:00Z"}));
  EXPECT_EQ(runs("0 22-23 * * *", "2024-05-01T00:00:00Z", 3),
            (V{"2024-05-01T22:00:00Z", "2024-05-01T23:00:00Z", "2024-05-02T22:00:00Z"}));
  EXPECT_EQ(runs("10-30/10 * * * *", "2024-05-01T10:00:00Z", 4),
            (V{"2024-05-01T10:10:00Z", "2024-05-01T10:20:00Z", "2024-05-01T10:30:00Z",
               "2024-05-01T11:10:00Z"}));
  // "a/n" means a-max/n.
  EXPECT_EQ(runs("50/5 * * * *", "2024-05-01T10:00:00Z", 3),
            (V{"2024-05-01T10:50:00Z", "2024-05-01T10:55:00Z", "2024-05-01T11:50:00Z"}));
  EXPECT_EQ(runs("0 0 1,15-16 * *", "2024-05-02T00:00:00Z", 3),
            (V{"2024-05-15T00:00:00Z", "2024-05-16T00:00:00Z", "2024-06-01T00:00:00Z"}));
}

TEST(ScheduleSyntax, QuestionMarkIsAStar) {
  EXPECT_EQ(runs("0 12 ? * ?", "2024-05-01T13:00:00Z", 1), (V{"2024-05-02T12:00:00Z"}));
}

TEST(ScheduleSyntax, MonthAndWeekdayNamesIgnoreCase) {
  // 2024-05-01 is a Wednesday.
  EXPECT_EQ(runs("0 8 * * mon,Fri", "2024-05-01T00:00:00Z", 2),
            (V{"2024-05-03T08:00:00Z", "2024-05-06T08:00:00Z"}));
  EXPECT_EQ(runs("0 0 1 jun-AUG *", "2024-05-01T00:00:00Z", 4),
            (V{"2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z", "2024-08-01T00:00:00Z",
               "2025-06-01T00:00:00Z"}));
}

TEST(ScheduleSyntax, WeekdaySevenIsSunday) {
  // 2024-05-05 is a Sunday.
  EXPECT_EQ(runs("0 0 * * 7", "2024-05-01T00:00:00Z", 2),
            (V{"2024-05-05T00:00:00Z", "2024-05-12T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 * * 0", "2024-05-01T00:00:00Z", 1), (V{"2024-05-05T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 * * 6-7", "2024-05-01T00:00:00Z", 3),
            (V{"2024-05-04T00:00:00Z", "2024-05-05T00:00:00Z", "2024-05-11T00:00:00Z"}));
  // An open-ended step stops at Saturday, as in robfig: 5/1 is Fri and Sat only.
  EXPECT_EQ(runs("0 0 * * 5/1", "2024-05-01T00:00:00Z", 3),
            (V{"2024-05-03T00:00:00Z", "2024-05-04T00:00:00Z", "2024-05-10T00:00:00Z"}));
}

TEST(ScheduleSyntax, WorkingHoursOnWeekdays) {
  // From Friday 17:30 the next run is Monday 09:00.
  EXPECT_EQ(runs("0 9-17 * * MON-FRI", "2024-05-03T16:30:00Z", 3),
            (V{"2024-05-03T17:00:00Z", "2024-05-06T09:00:00Z", "2024-05-06T10:00:00Z"}));
}

TEST(ScheduleSyntax, FirstOfTheMonthAcrossTheYear) {
  EXPECT_EQ(runs("0 0 1 * *", "2024-11-15T00:00:00Z", 3),
            (V{"2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"}));
}

TEST(ScheduleSyntax, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // 13th of the month OR any Friday. 2024-09-01 is a Sunday; Fridays 6, 13, 20.
  EXPECT_EQ(runs("0 0 13 * FRI", "2024-09-01T00:00:00Z", 4),
            (V{"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z",
               "2024-09-27T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 13 * FRI", "2024-10-05T00:00:00Z", 2),
            (V{"2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z"}));
}

TEST(ScheduleSyntax, DayOfMonthAloneWhenWeekdayIsStar) {
  EXPECT_EQ(runs("0 0 13 * *", "2024-09-01T00:00:00Z", 2),
            (V{"2024-09-13T00:00:00Z", "2024-10-13T00:00:00Z"}));
  EXPECT_EQ(runs("0 0 * * FRI", "2024-09-01T00:00:00Z", 2),
            (V{"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z"}));
}

TEST(ScheduleSyntax, SixFieldsHaveALeadingSecondsField) {
  EXPECT_EQ(runs("*/20 * * * * *", "2024-05-01T10:00:05Z", 4),
            (V{"2024-05-01T10:00:20Z", "2024-05-01T10:00:40Z", "2024-05-01T10:01:00Z",
               "2024-05-01T10:01:20Z"}));
  EXPECT_EQ(runs("30 0 12 * * *", "2024-05-01T12:00:30Z", 1), (V{"2024-05-02T12:00:30Z"}));
}

TEST(ScheduleSyntax, Descriptors) {
  const std::string start = "2024-05-15T10:20:30Z";
  EXPECT_EQ(runs("@yearly", start, 1), (V{"2025-01-01T00:00:00Z"}));
  EXPECT_EQ(runs("@annually", start, 1), (V{"2025-01-01T00:00:00Z"}));
  EXPECT_EQ(runs("@monthly", start, 1), (V{"2024-06-01T00:00:00Z"}));
  EXPECT_EQ(runs("@weekly", start, 1), (V{"2024-05-19T00:00:00Z"}));  // Sunday
  EXPECT_EQ(runs("@daily", start, 1), (V{"2024-05-16T00:00:00Z"}));
  EXPECT_EQ(runs("@midnight", start, 1), (V{"2024-05-16T00:00:00Z"}));
  EXPECT_EQ(runs("@hourly", start, 3),
            (V{"2024-05-15T11:00:00Z", "2024-05-15T12:00:00Z", "2024-05-15T13:00:00Z"}));
  EXPECT_EQ(runs("@HOURLY", start, 1), (V{"2024-05-15T11:00:00Z"}));
}

TEST(ScheduleSyntax, EveryAddsTheDurationToThePreviousPlannedRun) {
  EXPECT_EQ(runs("@every 1h30m", "2024-05-01T10:07:00Z", 3),
            (V{"2024-05-01T11:37:00Z", "2024-05-01T13:07:00Z", "2024-05-01T14:37:00Z"}));
}

TEST(ScheduleSyntax, EveryAcceptsGoDurations) {
  using namespace std::chrono_literals;
  EXPECT_EQ(parse_ok("@every 10s").every(), 10s);
  EXPECT_EQ(parse_ok("@every 5m").every(), 5min);
  EXPECT_EQ(parse_ok("@every 1h30m").every(), 90min);
  EXPECT_EQ(parse_ok("@every 1.5h").every(), 90min);
  EXPECT_EQ(parse_ok("@every 2h45m10s").every(), 2h + 45min + 10s);
  EXPECT_EQ(parse_ok("@every .5s").every(), 500ms);
  EXPECT_EQ(parse_ok("@every 500ms").every(), 500ms);  // sub-second: honoured exactly
  EXPECT_EQ(parse_ok("@every 250us").every(), 250us);
  EXPECT_EQ(parse_ok("@every 1m0.25s").every(), 60250ms);
  Schedule fast = parse_ok("@every 500ms");
  TimePoint t = at("2024-05-01T10:00:00Z");
  EXPECT_EQ(fast.next_after(t), t + 500ms);
}

TEST(ScheduleSyntax, DefaultScheduleIsEveryFiveMinutes) {
  EXPECT_EQ(kDefaultSchedule, "@every 5m");
  Schedule schedule = parse_ok(kDefaultSchedule);
  EXPECT_TRUE(schedule.is_every());
  EXPECT_EQ(schedule.every(), std::chrono::minutes(5));
  EXPECT_EQ(schedule.describe(), "every 5m");
  Schedule unset;  // a task without `schedule`
  EXPECT_EQ(unset.every(), std::chrono::minutes(5));
  EXPECT_EQ(unset.describe(), "every 5m");
  TimePoint t = at("2024-05-01T10:00:00Z");
  EXPECT_EQ(unset.next_after(t), t + std::chrono::minutes(5));
}

TEST(ScheduleSyntax, ExtraSpacesAndTabsAreIgnored) {
  EXPECT_EQ(runs("  0\t12  * * *  ", "2024-05-01T13:00:00Z", 1), (V{"2024-05-02T12:00:00Z"}));
}

TEST(ScheduleSyntax, DescribeNamesTheExpressionAndZone) {
  EXPECT_EQ(parse_ok("@every 1h30m").describe(), "every 1h30m");
  EXPECT_EQ(parse_ok("@every 1500ms").describe(), "every 1s500ms");
  EXPECT_EQ(parse_ok("0 9-17 * * MON-FRI", "Europe/Berlin").describe(),
            "cron '0 9-17 * * MON-FRI' in Europe/Berlin");
  EXPECT_EQ(parse_ok("CRON_TZ=America/New_York @daily").describe(),
            "cron '@daily' in America/New_York");
  EXPECT_EQ(parse_ok("@hourly").describe(), "cron '@hourly' in UTC");
}

// --- errors --------------------------------------------------------------------------

TEST(ScheduleErrors, WrongFieldCount) {
  EXPECT_EQ(error_of("* * * *"),
            "schedule '* * * *': expected 5 fields (minute hour day-of-month month "
            "day-of-week) or 6 with a leading seconds field, found 4");
  EXPECT_THAT(error_of("0 0 0 * * * *"), HasSubstr("found 7"));
}

TEST(ScheduleErrors, EmptyExpression) {
  EXPECT_THAT(error_of(""), HasSubstr("the schedule is empty"));
  EXPECT_THAT(error_of("   "), HasSubstr("the schedule is empty"));
}

TEST(ScheduleErrors, OutOfRangeNamesFieldValueAndColumn) {
  EXPECT_EQ(error_of("61 * * * *"),
            "schedule '61 * * * *': minute field '61' is out of range 0-59 (column 1)");
  EXPECT_THAT(error_of("0 24 * * *"), HasSubstr("hour field '24' is out of range 0-23 (column 3)"));
  EXPECT_THAT(error_of("0 0 0 * *"),
              HasSubstr("day-of-month field '0' is out of range 1-31 (column 5)"));
  EXPECT_THAT(error_of("0 0 * 13 *"), HasSubstr("month field '13' is out of range 1-12"));
  EXPECT_THAT(error_of("0 0 * * 8"), HasSubstr("day-of-week field '8' is out of range 0-7"));
  EXPECT_THAT(error_of("60 0 0 * * *"), HasSubstr("second field '60' is out of range 0-59"));
  EXPECT_THAT(error_of("0 1-99 * * *"),
              HasSubstr("hour field '99' is out of range 0-23 (column 5)"));
}

TEST(ScheduleErrors, StepZeroOrNotANumber) {
  EXPECT_EQ(error_of("*/0 * * * *"),
            "schedule '*/0 * * * *': minute field '*/0' has step 0; a step must be at least "
            "1 (column 3)");
  EXPECT_THAT(error_of("*/x * * * *"), HasSubstr("minute field has step 'x'"));
  EXPECT_THAT(error_of("*/ * * * *"), HasSubstr("minute field has step ''"));
}

TEST(ScheduleErrors, BadName) {
  EXPECT_THAT(error_of("0 0 * * FUN"),
              HasSubstr("day-of-week field has 'FUN', which is not a number or a name (SUN-SAT)"
                        " (column 9)"));
  EXPECT_THAT(error_of("0 0 1 JANUARY *"), HasSubstr("month field has 'JANUARY'"));
  EXPECT_THAT(error_of("MON * * * *"),
              HasSubstr("minute field has 'MON', which is not a number (column 1)"));
}

TEST(ScheduleErrors, EmptyListItem) {
  EXPECT_THAT(error_of("1,,2 * * * *"),
              HasSubstr("minute field '1,,2' has an empty list item (column 3)"));
  EXPECT_THAT(error_of("0 0 * * MON,"), HasSubstr("day-of-week field 'MON,' has an empty"));
}

TEST(ScheduleErrors, BackwardsRange) {
  EXPECT_THAT(error_of("0 17-9 * * *"), HasSubstr("hour field range '17-9' starts after it ends"));
}

TEST(ScheduleErrors, EveryNeedsAPositiveDuration) {
  EXPECT_THAT(error_of("@every 0s"), HasSubstr("@every needs a duration above zero"));
  EXPECT_THAT(error_of("@every 0"), HasSubstr("@every needs a duration above zero"));
  EXPECT_THAT(error_of("@every -5m"), HasSubstr("@every needs a positive duration, not '-5m'"));
  EXPECT_THAT(error_of("@every soon"), HasSubstr("'soon' is not a valid duration"));
  EXPECT_THAT(error_of("@every 5"), HasSubstr("a number needs a unit"));
  EXPECT_THAT(error_of("@every 1d"), HasSubstr("unknown unit 'd' (use h: 1 day is '24h')"));
  EXPECT_THAT(error_of("@every 99999999999h"), HasSubstr("it is too long"));
  EXPECT_THAT(error_of("@every"), HasSubstr("@every takes exactly one duration"));
  EXPECT_THAT(error_of("@every 5m 10s"), HasSubstr("@every takes exactly one duration"));
}

TEST(ScheduleErrors, UnknownDescriptorSuggestsTheNearestOne) {
  EXPECT_EQ(error_of("@evry 5m"),
            "schedule '@evry 5m': unknown descriptor '@evry'; did you mean '@every'? (column 1)");
  EXPECT_THAT(error_of("@hourley"), HasSubstr("did you mean '@hourly'?"));
  EXPECT_THAT(error_of("@sometimes"),
              HasSubstr("use @yearly, @monthly, @weekly, @daily, @hourly or @every"));
  EXPECT_THAT(error_of("@daily 5"), HasSubstr("@daily takes no arguments (column 8)"));
}

TEST(ScheduleErrors, ScheduleThatNeverRunsIsRejected) {
  EXPECT_THAT(error_of("0 0 30 2 *"),
              HasSubstr("day-of-month field '30' never occurs in month field '2'"));
  EXPECT_THAT(error_of("0 0 31 APR,JUN *"), HasSubstr("never occurs"));
  // With a weekday restriction the OR rule makes it run on Mondays in February.
  EXPECT_TRUE(parse_schedule("0 0 30 2 MON").ok());
}

TEST(ScheduleErrors, UnknownTimeZone) {
  EXPECT_THAT(error_of("@hourly", "Europe/Berln"), HasSubstr("unknown time zone 'Europe/Berln'"));
  EXPECT_THAT(error_of("@hourly", "../etc/passwd"), HasSubstr("is not a time zone name"));
  EXPECT_THAT(error_of("CRON_TZ=Mars/Olympus @hourly"),
              HasSubstr("in the CRON_TZ prefix, unknown time zone 'Mars/Olympus'"));
  EXPECT_THAT(error_of("CRON_TZ=UTC"), HasSubstr("nothing follows the time zone prefix"));
}

// --- next run: calendar --------------------------------------------------------------

TEST(ScheduleNextRun, LeapDayIsFoundWithoutScanningEverySecond) {
  EXPECT_EQ(runs("0 0 29 2 *", "2024-03-01T00:00:00Z", 3),
            (V{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"}));
  // 2100 is not a leap year: eight years between leap days.
  EXPECT_EQ(runs("0 0 29 2 *", "2096-03-01T00:00:00Z", 1), (V{"2104-02-29T00:00:00Z"}));
  // Many searches stay fast (this test would time out if each scanned seconds).
  Schedule schedule = parse_ok("59 23 29 2 *");
  TimePoint t = at("1970-01-01T00:00:00Z");
  for (int i = 0; i < 50; ++i) t = schedule.next_after(t);
  EXPECT_EQ(iso(t), "2172-02-29T23:59:00Z");  // 32 leap days to 2096, then 2104 + 4 * 17
}

TEST(ScheduleNextRun, ResultsBeyondTheClockRangeAreMax) {
  Schedule schedule = parse_ok("0 0 1 1 *");
  EXPECT_EQ(schedule.next_after(TimePoint::max() - std::chrono::hours(1)), TimePoint::max());
  EXPECT_EQ(parse_ok("@every 1h").next_after(TimePoint::max()), TimePoint::max());
}

// --- next run: time zones and DST ----------------------------------------------------

TEST(ScheduleTimeZone, CronTimesAreWallClockTimesInTheZone) {
  // Berlin is UTC+2 in summer, UTC+1 in winter.
  EXPECT_EQ(runs("0 9 * * *", "2024-07-01T00:00:00Z", 1, "Europe/Berlin"),
            (V{"2024-07-01T07:00:00Z"}));
  EXPECT_EQ(runs("0 9 * * *", "2024-12-01T00:00:00Z", 1, "Europe/Berlin"),
            (V{"2024-12-01T08:00:00Z"}));
  EXPECT_EQ(runs("0 9 * * *", "2024-07-01T00:00:00Z", 1, "America/New_York"),
            (V{"2024-07-01T13:00:00Z"}));
}

TEST(ScheduleTimeZone, BerlinSpringForwardSkipsTheMissingHour) {
  // 2024-03-31 02:00 CET becomes 03:00 CEST (01:00Z): 02:30 does not exist that day.
  EXPECT_EQ(runs("30 2 * * *", "2024-03-30T02:00:00Z", 2, "Europe/Berlin"),
            (V{"2024-04-01T00:30:00Z", "2024-04-02T00:30:00Z"}));
  EXPECT_EQ(runs("0 * * * *", "2024-03-30T23:30:00Z", 3, "Europe/Berlin"),
            (V{"2024-03-31T00:00:00Z",     // 01:00 CET
               "2024-03-31T01:00:00Z",     // 03:00 CEST
               "2024-03-31T02:00:00Z"}));  // 04:00 CEST
}

TEST(ScheduleTimeZone, BerlinFallBackRunsTheRepeatedHourOnce) {
  // 2024-10-27 03:00 CEST becomes 02:00 CET (01:00Z): 02:00-02:59 happens twice.
  EXPECT_EQ(runs("30 2 * * *", "2024-10-26T23:00:00Z", 2, "Europe/Berlin"),
            (V{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}));
  EXPECT_EQ(runs("*/30 * * * *", "2024-10-26T23:45:00Z", 4, "Europe/Berlin"),
            (V{"2024-10-27T00:00:00Z",  // 02:00 CEST
               "2024-10-27T00:30:00Z",  // 02:30 CEST
               "2024-10-27T02:00:00Z",  // 03:00 CET; the second 02:00 and 02:30 are skipped
               "2024-10-27T02:30:00Z"}));
  // Asked during the second pass of 02:xx, the next 02:30 is the next day's.
  EXPECT_EQ(runs("30 2 * * *", "2024-10-27T01:10:00Z", 1, "Europe/Berlin"),
            (V{"2024-10-28T01:30:00Z"}));
}

TEST(ScheduleTimeZone, NewYorkSpringForwardSkipsTheMissingHour) {
  // 2024-03-10 02:00 EST becomes 03:00 EDT (07:00Z).
  EXPECT_EQ(runs("30 2 * * *", "2024-03-09T08:00:00Z", 2, "America/New_York"),
            (V{"2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"}));
  EXPECT_EQ(runs("*/30 * * * *", "2024-03-10T06:15:00Z", 3, "America/New_York"),
            (V{"2024-03-10T06:30:00Z",  // 01:30 EST
               "2024-03-10T07:00:00Z",  // 03:00 EDT
               "2024-03-10T07:30:00Z"}));
}

TEST(ScheduleTimeZone, NewYorkFallBackRunsTheRepeatedHourOnce) {
  // 2024-11-03 02:00 EDT becomes 01:00 EST (06:00Z): 01:00-01:59 happens twice.
  EXPECT_EQ(runs("30 1 * * *", "2024-11-02T12:00:00Z", 2, "America/New_York"),
            (V{"2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"}));
  EXPECT_EQ(runs("0 * * * *", "2024-11-03T04:30:00Z", 3, "America/New_York"),
            (V{"2024-11-03T05:00:00Z",  // 01:00 EDT
               "2024-11-03T07:00:00Z",  // 02:00 EST; 01:00 EST is the repeat
               "2024-11-03T08:00:00Z"}));
}

TEST(ScheduleTimeZone, RulesAfterTheLastListedTransitionComeFromTheFooter) {
  // TZif files list transitions up to about 2037; later years use the POSIX rule.
  // 2050-03-27 is the last Sunday of March; 2050-11-06 the first Sunday of November.
  EXPECT_EQ(runs("0 * * * *", "2050-03-27T00:30:00Z", 2, "Europe/Berlin"),
            (V{"2050-03-27T01:00:00Z", "2050-03-27T02:00:00Z"}));
  EXPECT_EQ(runs("30 1 * * *", "2050-11-05T12:00:00Z", 2, "America/New_York"),
            (V{"2050-11-06T05:30:00Z", "2050-11-07T06:30:00Z"}));
}

TEST(ScheduleTimeZone, SouthernHemisphereDst) {
  // Sydney: DST from the first Sunday of October to the first Sunday of April (UTC+11/+10).
  EXPECT_EQ(runs("0 12 * * *", "2024-01-10T00:00:00Z", 1, "Australia/Sydney"),
            (V{"2024-01-10T01:00:00Z"}));
  EXPECT_EQ(runs("0 12 * * *", "2024-07-10T00:00:00Z", 1, "Australia/Sydney"),
            (V{"2024-07-10T02:00:00Z"}));
  EXPECT_EQ(runs("0 12 * * *", "2060-01-10T00:00:00Z", 1, "Australia/Sydney"),
            (V{"2060-01-10T01:00:00Z"}));
}

TEST(ScheduleTimeZone, CronTzPrefixOverridesTheZoneOption) {
  EXPECT_EQ(runs("CRON_TZ=America/New_York 0 9 * * *", "2024-07-01T00:00:00Z", 1),
            (V{"2024-07-01T13:00:00Z"}));
  EXPECT_EQ(runs("TZ=Europe/Berlin 0 9 * * *", "2024-07-01T00:00:00Z", 1, "America/New_York"),
            (V{"2024-07-01T07:00:00Z"}));
  Schedule schedule = parse_ok("CRON_TZ=Asia/Tokyo @daily");
  EXPECT_EQ(schedule.time_zone(), "Asia/Tokyo");
  EXPECT_EQ(iso(schedule.next_after(at("2024-07-01T00:00:00Z"))), "2024-07-01T15:00:00Z");
}

TEST(ScheduleTimeZone, UtcIsTheDefault) {
  EXPECT_EQ(parse_ok("@daily").time_zone(), "UTC");
  EXPECT_EQ(runs("0 9 * * *", "2024-07-01T00:00:00Z", 1, "Etc/UTC"), (V{"2024-07-01T09:00:00Z"}));
}

// Sets TZ for one test and puts back what was there.
class ScopedTz {
 public:
  explicit ScopedTz(const char* value) {
    if (const char* saved = std::getenv("TZ")) previous_ = saved;
    set(value);
  }
  ~ScopedTz() { set(previous_ ? previous_->c_str() : nullptr); }
  void set(const char* value) {
    if (value != nullptr) {
      setenv("TZ", value, 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> previous_;
};

TEST(ScheduleTimeZone, LocalFollowsTheProcessZone) {
  ScopedTz tz("America/New_York");
  EXPECT_EQ(runs("0 9 * * *", "2024-07-01T00:00:00Z", 1, "Local"), (V{"2024-07-01T13:00:00Z"}));
  EXPECT_EQ(runs("30 2 * * *", "2024-03-09T08:00:00Z", 1, "Local"), (V{"2024-03-11T06:30:00Z"}));
}

TEST(ScheduleTimeZone, LocalWithAPosixRuleInTzIsRefusedNotTakenForUtc) {
  ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_THAT(error_of("@hourly", "Local"), HasSubstr("'Local' is the zone in the TZ environment"));
  tz.set(":Europe/Berlin");
  EXPECT_EQ(runs("0 9 * * *", "2024-07-01T00:00:00Z", 1, "Local"), (V{"2024-07-01T07:00:00Z"}));
}

TEST(ScheduleValue, CopiesShareNothingMutable) {
  Schedule original = parse_ok("0 9 * * *", "Europe/Berlin");
  Schedule copy = original;
  original = parse_ok("@every 1m");
  EXPECT_EQ(iso(copy.next_after(at("2024-07-01T00:00:00Z"))), "2024-07-01T07:00:00Z");
}

// --- next_run: no overlap ----------------------------------------------------------

TEST(NextRun, AQuickRunIsFollowedByTheNextPlannedTime) {
  Schedule every = parse_ok("@every 5m");
  NextRun next = next_run(every, at("2024-05-01T10:00:00Z"), at("2024-05-01T10:00:03Z"));
  EXPECT_EQ(iso(next.at), "2024-05-01T10:05:00Z");
  EXPECT_EQ(next.skipped, 0u);
}

TEST(NextRun, PlannedTimesThatPassedDuringALongRunAreSkippedNotStacked) {
  Schedule every = parse_ok("@every 5m");
  NextRun next = next_run(every, at("2024-05-01T10:00:00Z"), at("2024-05-01T10:12:00Z"));
  EXPECT_EQ(iso(next.at), "2024-05-01T10:15:00Z");
  EXPECT_EQ(next.skipped, 2u);  // 10:05 and 10:10
}

TEST(NextRun, CronRunFinishingExactlyOnTheNextTimeSkipsIt) {
  Schedule hourly = parse_ok("0 * * * *");
  NextRun next = next_run(hourly, at("2024-05-01T10:00:00Z"), at("2024-05-01T11:00:00Z"));
  EXPECT_EQ(iso(next.at), "2024-05-01T12:00:00Z");
  EXPECT_EQ(next.skipped, 1u);
}

}  // namespace
}  // namespace courier::pg_to_redis
