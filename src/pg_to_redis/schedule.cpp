// Schedule parsing and next-run computation: the expression (a zone prefix, @descriptors,
// @every, cron fields — parsed by cron_fields.h), time zones from the tz database through
// cctz, and the search for the next matching wall time.
#include "pg_to_redis/schedule.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "config/edit_distance.h"
#include "pg_to_redis/cron_fields.h"

namespace courier::pg_to_redis {

// The zone a schedule's wall times are in.
class ZoneRules {
 public:
  explicit ZoneRules(cctz::time_zone zone) : zone_(zone) {}
  const cctz::time_zone& zone() const { return zone_; }

 private:
  cctz::time_zone zone_;
};

namespace {

using cron::FieldSpec;
using cron::ParsedField;
using cron::ScheduleError;
using cron::Token;

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

// The zone, or why it cannot be used. "Local" is the process's zone (TZ, /etc/localtime)
// when the schedule is parsed.
std::variant<std::shared_ptr<const ZoneRules>, std::string> load_zone(std::string_view name) {
  if (config::equals_ignoring_case(name, "UTC") || name.empty()) {
    return std::make_shared<const ZoneRules>(cctz::utc_time_zone());
  }
  if (config::equals_ignoring_case(name, "Local")) {
    // cctz reads TZ as a zone name and quietly falls back to UTC when it cannot (a POSIX
    // rule such as "CET-1CEST,M3.5.0,M10.5.0/3"): refuse that instead.
    const char* tz = std::getenv("TZ");
    if (tz == nullptr || *tz == '\0') return std::make_shared<const ZoneRules>(cctz::local_time_zone());
    const std::string tz_name = tz[0] == ':' ? tz + 1 : tz;
    cctz::time_zone zone;
    if (cctz::load_time_zone(tz_name, &zone)) return std::make_shared<const ZoneRules>(zone);
    return "'Local' is the zone in the TZ environment variable, '" + tz_name +
           "', which is not a time zone name; set TZ to an IANA name like 'Europe/Berlin', or "
           "name the zone in the schedule";
  }
  if (!valid_zone_name(name)) {
    return "'" + std::string(name) +
           "' is not a time zone name; use 'UTC', 'Local' or an IANA name like "
           "'Europe/Berlin'";
  }
  cctz::time_zone zone;
  if (cctz::load_time_zone(std::string(name), &zone)) return std::make_shared<const ZoneRules>(zone);
  // cctz reads $TZDIR or /usr/share/zoneinfo; say which file was missing or unreadable.
  const char* tzdir = std::getenv("TZDIR");
  std::string path =
      std::string(tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo") + "/" +
      std::string(name);
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) {
    return "unknown time zone '" + std::string(name) + "' (no file " + path +
           "); use 'UTC', 'Local' or an IANA name like 'Europe/Berlin' (is tzdata installed?)";
  }
  return "cannot read time zone '" + std::string(name) + "' from " + path +
         ": not a time zone (TZif) file";
}

// Days in `month` of a leap year: whether a day of the month can ever occur in it.
int longest_month_length(int month) {
  return static_cast<int>(cctz::civil_day(2000, month + 1, 0).day());
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
  std::vector<Token> tokens = cron::split_on_spaces(expression, 1);
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
      Result<std::chrono::nanoseconds> every = cron::parse_go_duration(tokens[1], error);
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
    fields = cron::split_on_spaces(descriptor->fields, 1);
  } else if (fields.size() != 5 && fields.size() != 6) {
    return error(
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a "
        "leading seconds field, found " +
        std::to_string(fields.size()));
  }

  if (fields.size() == 5) fields.insert(fields.begin(), Token{"0", 0});
  static constexpr std::array<const FieldSpec*, 6> kSpecs = {
      &cron::kSecondField, &cron::kMinuteField, &cron::kHourField, &cron::kDomField, &cron::kMonthField, &cron::kDowField};
  std::array<ParsedField, 6> parsed;
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    Result<ParsedField> field = cron::parse_field(fields[i], *kSpecs[i], error);
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
          possible || ((cron.months >> month & 1) && lowest_day <= longest_month_length(month));
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

// Sunday = 0, as cron counts.
int cron_weekday(const cctz::civil_day& day) {
  return (static_cast<int>(cctz::get_weekday(day)) + 1) % 7;  // cctz: Monday = 0
}

// The first wall time at or after `c` matching `cron`, searching up to `last_year`.
template <typename Cron>
std::optional<cctz::civil_second> next_matching_wall_time(const Cron& cron, cctz::civil_second c,
                                                          cctz::year_t last_year) {
  auto day_matches = [&] {
    bool dom = cron.days_of_month >> c.day() & 1;
    bool dow = cron.days_of_week >> cron_weekday(cctz::civil_day(c)) & 1;
    return cron.dom_unrestricted || cron.dow_unrestricted ? dom && dow : dom || dow;
  };
  while (c.year() <= last_year) {
    if (!(cron.months >> c.month() & 1)) {
      c = cctz::civil_second(cctz::civil_month(c) + 1);
    } else if (!day_matches()) {
      c = cctz::civil_second(cctz::civil_day(c) + 1);
    } else if (!(cron.hours >> c.hour() & 1)) {
      c = cctz::civil_second(cctz::civil_hour(c) + 1);
    } else if (!(cron.minutes >> c.minute() & 1)) {
      c = cctz::civil_second(cctz::civil_minute(c) + 1);
    } else if (!(cron.seconds >> c.second() & 1)) {
      c += 1;
    } else {
      return c;
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
  const cctz::time_zone& zone = zone_->zone();
  cctz::civil_second wall = cctz::convert(cctz::time_point<cctz::seconds>(seconds(now)), zone) + 1;
  // Any satisfiable expression matches within one 400-year Gregorian cycle.
  const cctz::year_t last_year = wall.year() + 400;
  while (auto match = next_matching_wall_time(cron_, wall, last_year)) {
    // A wall time in a DST gap has no instant and is skipped; a repeated wall time counts
    // only at its first occurrence, so a run already due before `t` is not run again.
    const cctz::time_zone::civil_lookup lookup = zone.lookup(*match);
    if (lookup.kind != cctz::time_zone::civil_lookup::SKIPPED) {
      const std::int64_t instant = lookup.pre.time_since_epoch().count();
      if (instant > now) return instant > latest ? TimePoint::max() : TimePoint(seconds(instant));
    }
    wall = *match + 1;
  }
  return TimePoint::max();
}

std::string Schedule::describe() const {
  if (is_every()) return "every " + cron::format_duration(every_);
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
