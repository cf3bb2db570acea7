#include "pg_to_redis/table_sync.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "courier/clock.h"
#include "pg_to_redis/schedule.h"
#include "pg_to_redis/task_metrics.h"

namespace courier::pg_to_redis {
namespace {

using SystemTime = std::chrono::system_clock::time_point;

std::string format_utc(SystemTime t) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace

std::string describe_run(const std::string& task, const RunOutcome& outcome) {
  const RunReport& report = outcome.report;
  if (report.locked_elsewhere) {
    return fmt::format(
        "task {}: running in another courier process (advisory lock held); "
        "skipped",
        task);
  }
  std::string line = fmt::format(
      "task {}: {} rows read, {} written, {} skipped in {} batch{}, checkpoint {} -> {}, {:.3f}s",
      task, report.rows_fetched, report.rows_written, report.rows_skipped, report.batches,
      report.batches == 1 ? "" : "es", report.checkpoint_before.value_or("(none)"),
      report.checkpoint_after.value_or("(none)"),
      std::chrono::duration<double>(report.duration).count());
  if (report.members_removed > 0)
    line += fmt::format(", {} removed that left the query", report.members_removed);
  if (report.attempts > 1) line += fmt::format(", {} attempts", report.attempts);
  if (report.stopped) line += ", stopped by shutdown before the table was drained";
  if (!outcome.status.ok()) line += "; FAILED: " + outcome.status.to_string();
  return line;
}

// One task on its schedule: the runner runs it at start-up and then whenever the schedule
// says (on the coordinator's thread); this class logs each run, records its metrics and
// plans the next one.
class TableSync::ScheduledTask {
 public:
  ScheduledTask(const TaskConfig& task, Schedule schedule, const TableSyncOptions& options,
                prometheus::Registry& registry)
      : task_(task),
        schedule_(std::move(schedule)),
        metrics_(registry, task),
        runner_(task, options.postgres, options.redis,
                {.cluster = options.cluster,
                 .until_next_run = [this] { return until_next_run(); },
                 .on_run = [this](const RunOutcome& outcome) { after_run(outcome); }}) {}

  Status start() {
    spdlog::info("task {}", task_.describe());
    return runner_.start();
  }
  void stop() { runner_.stop(); }
  http::HealthReport health() const { return metrics_.health(); }

 private:
  void after_run(const RunOutcome& outcome) {
    const SystemTime finished = std::chrono::system_clock::now();
    metrics_.record(outcome, finished);
    if (outcome.status.ok()) {
      // Runs that found nothing new are routine; keep them out of the info log.
      const bool idle = outcome.report.rows_fetched == 0 && !outcome.report.locked_elsewhere;
      spdlog::log(idle ? spdlog::level::debug : spdlog::level::info, "{}",
                  describe_run(task_.name, outcome));
    } else if (outcome.status.code() != StatusCode::kCancelled) {
      spdlog::error("{}", describe_run(task_.name, outcome));
    }
    const NextRun next = next_run(schedule_, planned_, finished);
    if (next.skipped > 0) {
      metrics_.record_skipped_runs(next.skipped);
      spdlog::warn(
          "task {}: skipped {} planned run{}, the run planned at {} took {:.1f}s; "
          "next run at {}",
          task_.name, next.skipped, next.skipped == 1 ? "" : "s", format_utc(planned_),
          std::chrono::duration<double>(outcome.report.duration).count(), format_utc(next.at));
    }
    next_at_ = next.at;
  }

  // Schedules are wall-clock times: asked again after every wait, at least once a minute,
  // which keeps the lag gauge fresh and follows changes of the system clock.
  Duration until_next_run() {
    const SystemTime now = std::chrono::system_clock::now();
    if (now >= next_at_) {
      planned_ = next_at_;
      return Duration::zero();
    }
    metrics_.refresh_lag(now);
    return std::chrono::duration_cast<Duration>(
        std::min<std::chrono::system_clock::duration>(next_at_ - now, std::chrono::minutes(1)));
  }

  const TaskConfig& task_;
  Schedule schedule_;
  TaskMetrics metrics_;
  SystemTime planned_ = std::chrono::system_clock::now();  // the first run: at start-up
  SystemTime next_at_ = planned_;
  TaskRunner runner_;  // last: its thread uses the members above
};

TableSync::TableSync(std::vector<TaskConfig> tasks, TableSyncOptions options)
    : tasks_(std::move(tasks)), options_(std::move(options)) {}

TableSync::~TableSync() {
  stop();
}

Status TableSync::start() {
  if (server_ == nullptr) {
    return Status(StatusCode::kFailedPrecondition, "table sync: attach() it to a server first");
  }
  std::vector<Schedule> schedules;
  for (const TaskConfig& task : tasks_) {
    auto schedule = parse_schedule(task.schedule, task.time_zone);
    if (!schedule.ok()) {
      return Status(StatusCode::kInvalidArgument,
                    "task '" + task.name + "': " + schedule.status().message());
    }
    schedules.push_back(std::move(*schedule));
  }
  for (size_t i = 0; i < tasks_.size(); ++i) {
    tasks_running_.push_back(std::make_unique<ScheduledTask>(tasks_[i], std::move(schedules[i]),
                                                             options_, server_->metrics()));
    ScheduledTask* task = tasks_running_.back().get();
    server_->health().add("task:" + tasks_[i].name, [task] { return task->health(); });
  }
  for (auto& task : tasks_running_) {
    if (Status started = task->start(); !started.ok()) return started;
  }
  return Status::Ok();
}

void TableSync::stop() {
  for (auto& task : tasks_running_) task->stop();
}

}  // namespace courier::pg_to_redis
