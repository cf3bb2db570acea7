// TaskMetrics: what operators watch per table-sync task — runs by result, rows by result,
// run duration, lag behind the table, last success, failures in a row — on /metrics, and
// the task's health on /health (unhealthy after `unhealthy_after` failed runs in a row).
//
//   TaskMetrics metrics(registry, task);
//   metrics.record(outcome, std::chrono::system_clock::now());
//   health.add("task:" + task.name, [&] { return metrics.health(); });
//
// Metric names (label `task`):
//   courier_table_sync_runs_total{result="ok|failed|locked_elsewhere"}
//   courier_table_sync_rows_total{result="written|skipped"}
//   courier_table_sync_skipped_runs_total        planned runs skipped: the previous one was late
//   courier_table_sync_run_duration_seconds      histogram
//   courier_table_sync_lag_seconds               now − newest tracking value synced (time columns)
//   courier_table_sync_last_success_timestamp_seconds
//   courier_table_sync_consecutive_failures
//
// Thread-safety: record() from the task's thread; health() and the metrics from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "http/health.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/run_report.h"

namespace courier::pg_to_redis {

class TaskMetrics {
 public:
  TaskMetrics(prometheus::Registry& registry, const TaskConfig& task);

  void record(const RunOutcome& outcome, std::chrono::system_clock::time_point finished);
  void record_skipped_runs(size_t count);
  // Updates the lag gauge between runs (it grows while nothing new is synced).
  void refresh_lag(std::chrono::system_clock::time_point now);
  http::HealthReport health() const;

 private:
  int unhealthy_after_;
  prometheus::Counter& runs_ok_;
  prometheus::Counter& runs_failed_;
  prometheus::Counter& runs_locked_elsewhere_;
  prometheus::Counter& rows_written_;
  prometheus::Counter& rows_skipped_;
  prometheus::Counter& skipped_runs_;
  prometheus::Histogram& run_seconds_;
  prometheus::Gauge& lag_seconds_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& consecutive_failures_gauge_;

  std::atomic<int> consecutive_failures_{0};
  std::atomic<double> newest_tracked_seconds_{-1};
  mutable std::mutex mutex_;
  std::string last_error_;  // guarded by mutex_
};

}  // namespace courier::pg_to_redis
