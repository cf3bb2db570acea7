#include "pg_to_redis/task_metrics.h"

#include <fmt/format.h>

#include <limits>

namespace courier::pg_to_redis {
namespace {

template <typename Builder>
auto& family(Builder builder, prometheus::Registry& registry, const std::string& name,
             const std::string& help) {
  return builder.Name(name).Help(help).Register(registry);
}

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help, const prometheus::Labels& labels) {
  return family(prometheus::BuildCounter(), registry, name, help).Add(labels);
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help, const std::string& task) {
  return family(prometheus::BuildGauge(), registry, name, help).Add({{"task", task}});
}

// courier_table_sync_runs_total and _rows_total: one counter per task and result.
prometheus::Counter& runs_counter(prometheus::Registry& registry, const std::string& task,
                                  const std::string& result) {
  return counter(registry, "courier_table_sync_runs_total", "Table-sync runs by result",
                 {{"task", task}, {"result", result}});
}

prometheus::Counter& rows_counter(prometheus::Registry& registry, const std::string& task,
                                  const std::string& result) {
  return counter(registry, "courier_table_sync_rows_total",
                 "Rows read by table sync, by what became of them",
                 {{"task", task}, {"result", result}});
}

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

TaskMetrics::TaskMetrics(prometheus::Registry& registry, const TaskConfig& task)
    : unhealthy_after_(task.unhealthy_after),
      runs_ok_(runs_counter(registry, task.name, "ok")),
      runs_failed_(runs_counter(registry, task.name, "failed")),
      runs_locked_elsewhere_(runs_counter(registry, task.name, "locked_elsewhere")),
      rows_written_(rows_counter(registry, task.name, "written")),
      rows_skipped_(rows_counter(registry, task.name, "skipped")),
      skipped_runs_(counter(registry, "courier_table_sync_skipped_runs_total",
                            "Planned runs skipped because the previous run was still going",
                            {{"task", task.name}})),
      run_seconds_(family(prometheus::BuildHistogram(), registry,
                          "courier_table_sync_run_duration_seconds", "Duration of table-sync runs")
                       .Add({{"task", task.name}},
                            prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 10,
                                                                    30, 60, 300, 1800})),
      lag_seconds_(gauge(registry, "courier_table_sync_lag_seconds",
                         "Now minus the newest tracking value synced (time tracking columns)",
                         task.name)),
      last_success_(gauge(registry, "courier_table_sync_last_success_timestamp_seconds",
                          "When the last successful run of the task finished", task.name)),
      consecutive_failures_gauge_(gauge(registry, "courier_table_sync_consecutive_failures",
                                        "Failed runs of the task in a row", task.name)) {
  lag_seconds_.Set(std::numeric_limits<double>::quiet_NaN());  // unknown until rows are synced
}

void TaskMetrics::record(const RunOutcome& outcome,
                         std::chrono::system_clock::time_point finished) {
  const RunReport& report = outcome.report;
  rows_written_.Increment(static_cast<double>(report.rows_written));
  rows_skipped_.Increment(static_cast<double>(report.rows_skipped));
  run_seconds_.Observe(std::chrono::duration<double>(report.duration).count());
  if (report.newest_tracked_seconds) newest_tracked_seconds_ = *report.newest_tracked_seconds;
  if (!outcome.status.ok()) {
    runs_failed_.Increment();
    consecutive_failures_gauge_.Set(++consecutive_failures_);
    std::lock_guard lock(mutex_);
    // Only the kind of failure: /health is public and messages may carry hosts, users or
    // SQL. The whole message is in the log (describe_run).
    last_error_ = std::string(status_code_name(outcome.status.code()));
    if (!outcome.status.detail().empty()) last_error_ += " (" + outcome.status.detail() + ")";
    return;
  }
  (report.locked_elsewhere ? runs_locked_elsewhere_ : runs_ok_).Increment();
  consecutive_failures_ = 0;
  consecutive_failures_gauge_.Set(0);
  if (report.locked_elsewhere) return;  // another process ran it: its lag is not ours to say
  last_success_.Set(seconds_since_epoch(finished));
  refresh_lag(finished);
}

void TaskMetrics::record_skipped_runs(size_t count) {
  skipped_runs_.Increment(static_cast<double>(count));
}

void TaskMetrics::refresh_lag(std::chrono::system_clock::time_point now) {
  const double newest = newest_tracked_seconds_;
  if (newest >= 0) lag_seconds_.Set(seconds_since_epoch(now) - newest);
}

http::HealthReport TaskMetrics::health() const {
  const int failures = consecutive_failures_;
  if (failures < unhealthy_after_) {
    return {true, failures == 0 ? "last run ok"
                                : fmt::format("{} failed run{} in a row", failures,
                                              failures == 1 ? "" : "s")};
  }
  std::lock_guard lock(mutex_);
  return {false, fmt::format("{} runs failed in a row; last error: {}; details in the log",
                             failures, last_error_)};
}

}  // namespace courier::pg_to_redis
