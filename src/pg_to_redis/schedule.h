// Schedule: when a table-sync task runs. Parses Red Courier's schedule expressions
// (robfig/cron v3 syntax: 5- or 6-field cron, @descriptors, "@every <duration>", a
// CRON_TZ=/TZ= prefix) and computes the next run time in a time zone, DST included.
//
//   courier::Result<Schedule> s = parse_schedule("0 9-17 * * MON-FRI", "Europe/Berlin");
//   if (!s.ok()) return s.status();  // "hour field '25' is out of range 0-23 (column 3)"
//   auto next = s->next_after(previous_planned_run);
//
// Thread-safety: a Schedule is an immutable value; copy it freely and call next_after from
// any number of threads. Zone rules are shared read-only between copies. A "Local"
// schedule is in the process's zone (TZ, else /etc/localtime) as it was when parsed.
//
// Semantics, where they are not obvious:
// - Cron fields: minute hour day-of-month month day-of-week, optionally preceded by a
//   seconds field. Weekday 0 and 7 are Sunday (robfig accepts only 0-6; 7 is an addition).
//   When both day fields are restricted, a day matches if EITHER matches; a day field
//   counts as unrestricted when it contains `*` or `?` without a step greater than 1
//   (robfig's rule: `*/2` is a restriction).
// - Cron times are wall-clock times in the schedule's zone. A wall time that does not
//   exist (spring forward) is skipped: the next run is the next matching wall time that
//   exists, as in robfig. A wall time that occurs twice (fall back) runs once, at its first
//   occurrence; the repeated hour does not run again, even for `*` fields.
// - "@every d" runs at t + d where t is the argument of next_after. The scheduler passes
//   the previous *planned* run time (not the time the run finished), so runs do not drift.
//   Durations are Go's (`10s`, `1h30m`, `1.5h`, `500ms`) and must be positive. Sub-second
//   durations are honoured exactly; robfig rounds them up to 1s, so a config relying on
//   that runs more often here.
// - Time zones: "UTC" (default), "Local", or an IANA name, read by cctz (libcctz) from
//   the tz database under $TZDIR or /usr/share/zoneinfo. A CRON_TZ= or TZ= prefix in the
//   expression overrides the time_zone argument. Cron fields are parsed by cron_fields.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "courier/status.h"

namespace courier::pg_to_redis {

// Red Courier's schedule when a task has none.
inline constexpr std::string_view kDefaultSchedule = "@every 5m";

// The time zone of a schedule (a cctz zone); defined in schedule.cpp.
class ZoneRules;

class Schedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Red Courier's default schedule, kDefaultSchedule: every 5 minutes.
  Schedule() = default;

  // The first run strictly after `t`. For a cron schedule that is the next matching wall
  // time in the zone; for "@every d" it is t + d. Returns TimePoint::max() when no run
  // exists within the next 400 years (parse_schedule rejects the expressions for which
  // that is knowable, such as "0 0 30 2 *").
  TimePoint next_after(TimePoint t) const;

  // One line for logs and `courier validate`: "cron '0 9-17 * * MON-FRI' in Europe/Berlin",
  // "every 1h30m".
  std::string describe() const;

  // The interval of an "@every" schedule; zero for cron schedules.
  std::chrono::nanoseconds every() const { return every_; }
  bool is_every() const { return every_.count() > 0; }
  // The zone name as given ("UTC", "Local", "America/New_York").
  const std::string& time_zone() const { return zone_name_; }

 private:
  friend Result<Schedule> parse_schedule(std::string_view, std::string_view);

  // The cron fields as bit sets: bit n set means value n matches.
  struct CronFields {
    std::uint64_t seconds = 0;        // 0-59
    std::uint64_t minutes = 0;        // 0-59
    std::uint32_t hours = 0;          // 0-23
    std::uint32_t days_of_month = 0;  // 1-31
    std::uint16_t months = 0;         // 1-12
    std::uint8_t days_of_week = 0;    // 0-6, Sunday = 0
    bool dom_unrestricted = false;
    bool dow_unrestricted = false;
  };

  std::string expression_{kDefaultSchedule};  // as given, without a zone prefix
  std::string zone_name_ = "UTC";
  std::chrono::nanoseconds every_ = std::chrono::minutes(5);  // zero for cron schedules
  CronFields cron_;
  std::shared_ptr<const ZoneRules> zone_;
};

// When a task runs next, given when its last run was planned and when it finished. A run
// never overlaps the one before: planned times that passed while it was still going are
// skipped (and counted, to be logged), and the next one still ahead is returned.
struct NextRun {
  Schedule::TimePoint at;
  size_t skipped = 0;  // planned runs that passed while the previous run was going
};
NextRun next_run(const Schedule& schedule, Schedule::TimePoint last_planned,
                 Schedule::TimePoint finished);

// Ok when `time_zone` is "UTC" (or empty), "Local" or an IANA name with a zone file;
// otherwise kInvalidArgument saying why ("unknown time zone 'Europe/Berln' …").
Status check_time_zone(std::string_view time_zone);

// Parses a schedule expression. Errors are kInvalidArgument and name the field, the
// offending text and its column in the expression, e.g.
//   "schedule '0 61 * * *': minute field '61' is out of range 0-59 (column 3)"
//   "schedule '@evry 5m': unknown descriptor '@evry'; did you mean '@every'?"
// `time_zone` is "UTC" (also when empty), "Local" or an IANA name; unknown zones are an
// error too.
Result<Schedule> parse_schedule(std::string_view expression, std::string_view time_zone = "UTC");

}  // namespace courier::pg_to_redis
