#include "pg_to_redis/table_sync.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "courier/clock.h"
#include "pg_to_redis/schedule.h"
#include "pg_to_redis/task_metrics.h"
#include "supervised_thread.h"

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
  if (report.attempts > 1) line += fmt::format(", {} attempts", report.attempts);
  if (report.stopped) line += ", stopped by shutdown before the table was drained";
  if (!outcome.status.ok()) line += "; FAILED: " + outcome.status.to_string();
  return line;
}

// One task's thread: run, plan the next run, wait, repeat until stopped.
class TableSync::TaskThread {
 public:
  TaskThread(const TaskConfig& task, Schedule schedule, const TableSyncOptions& options,
             prometheus::Registry& registry)
      : task_(task),
        schedule_(std::move(schedule)),
        metrics_(registry, task),
        runner_(task, options.postgres, options.redis,
                {.cluster = options.cluster, .stop = stop_.token()}),
        thread_({.name = "task " + task.name, .stop = stop_}, [this] { loop(); }) {}

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  // The thread's health while it recovers from a throw, else the task's.
  http::HealthReport health() {
    http::HealthReport thread = thread_.health();
    return thread.healthy ? metrics_.health() : thread;
  }

 private:
  void loop() {
    spdlog::info("task {}", task_.describe());
    SystemTime planned = std::chrono::system_clock::now();  // the first run: at start-up
    while (!stop_.stop_requested()) {
      RunOutcome outcome = runner_.run();
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
      NextRun next = next_run(schedule_, planned, finished);
      if (next.skipped > 0) {
        metrics_.record_skipped_runs(next.skipped);
        spdlog::warn(
            "task {}: skipped {} planned run{}, the run planned at {} took {:.1f}s; "
            "next run at {}",
            task_.name, next.skipped, next.skipped == 1 ? "" : "s", format_utc(planned),
            std::chrono::duration<double>(outcome.report.duration).count(), format_utc(next.at));
      }
      if (!wait_until(next.at)) break;
      planned = next.at;
    }
  }

  // Waits on the system clock (schedules are wall-clock times); false when stopped.
  bool wait_until(SystemTime at) {
    const auto clock = system_clock();
    for (;;) {
      const auto now = std::chrono::system_clock::now();
      if (now >= at) return true;
      // Wake at least once a minute: keeps the lag gauge fresh and follows clock changes.
      const auto wait =
          std::min<std::chrono::system_clock::duration>(at - now, std::chrono::minutes(1));
      if (!clock->wait_for(std::chrono::duration_cast<Duration>(wait), stop_.token())) return false;
      metrics_.refresh_lag(std::chrono::system_clock::now());
    }
  }

  const TaskConfig& task_;
  Schedule schedule_;
  StopSignal stop_;
  TaskMetrics metrics_;
  TaskRunner runner_;
  SupervisedThread thread_;  // last: stopped and joined before the members it uses go
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
    threads_.push_back(std::make_unique<TaskThread>(tasks_[i], std::move(schedules[i]), options_,
                                                    server_->metrics()));
    TaskThread* thread = threads_.back().get();
    server_->health().add("task:" + tasks_[i].name, [thread] { return thread->health(); });
  }
  for (auto& thread : threads_) thread->start();
  return Status::Ok();
}

void TableSync::stop() {
  for (auto& thread : threads_) thread->stop();
}

}  // namespace courier::pg_to_redis
