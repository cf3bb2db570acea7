#include "app/once_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "app/cli.h"
#include "app/connection_settings.h"
#include "courier/clock.h"
#include "pg_to_redis/table_sync.h"
#include "pg_to_redis/task_runner.h"

namespace courier::app {
namespace {

using pg_to_redis::RunReport;

// How long `once` waits for a task another courier process is running: long enough for the
// session of a process that just died to end, short enough for a cron job.
constexpr std::chrono::seconds kLeaseWait{30};
using pg_to_redis::TaskConfig;

// "\r  orders: 120000 rows written (35210 rows/s)" on stderr, at most four times a second.
class TerminalProgress {
 public:
  explicit TerminalProgress(std::string task)
      : task_(std::move(task)), enabled_(isatty(STDERR_FILENO) == 1) {}
  ~TerminalProgress() {
    if (shown_) fmt::print(stderr, "\n");
  }

  void update(const RunReport& report) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_shown_ < std::chrono::milliseconds(250)) return;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    fmt::print(stderr, "\r  {}: {} rows written ({:.0f} rows/s)   ", task_, report.rows_written,
               seconds > 0 ? static_cast<double>(report.rows_written) / seconds : 0.0);
    std::fflush(stderr);
    shown_ = true;
    last_shown_ = now;
  }

 private:
  std::string task_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_shown_;
};

// The tasks named by --task, in the file's order; all of them when none is named.
std::vector<const TaskConfig*> select_tasks(const std::vector<TaskConfig>& tasks,
                                            const std::vector<std::string>& only) {
  std::vector<const TaskConfig*> selected;
  for (const TaskConfig& task : tasks) {
    if (only.empty() || std::find(only.begin(), only.end(), task.name) != only.end()) {
      selected.push_back(&task);
    }
  }
  return selected;
}

// Runs the tasks one after the other; returns how many failed.
int run_each(const config::CourierConfig& config, const std::vector<const TaskConfig*>& tasks,
             const StopSignal& stop) {
  int failed = 0;
  for (const TaskConfig* task : tasks) {
    if (stop.stop_requested()) break;
    TerminalProgress progress(task->name);
    pg_to_redis::TaskRunner runner(
        *task, postgres_options(config.postgres), redis_options(config.redis),
        {.cluster = config.redis.cluster(),
         .stop = stop.token(),
         .lease_wait = kLeaseWait,
         .on_batch = [&progress](const RunReport& report) { progress.update(report); }});
    pg_to_redis::RunOutcome outcome = runner.run();
    if (outcome.status.ok()) {
      spdlog::info("{}", pg_to_redis::describe_run(task->name, outcome));
    } else {
      ++failed;
      spdlog::error("{}", pg_to_redis::describe_run(task->name, outcome));
    }
  }
  return failed;
}

}  // namespace

int run_tasks_once(const config::CourierConfig& config, const std::vector<TaskConfig>& tasks,
                   const std::vector<std::string>& only, ShutdownSignal& shutdown) {
  for (const std::string& name : only) {
    auto named = [&](const TaskConfig& task) { return task.name == name; };
    if (std::none_of(tasks.begin(), tasks.end(), named)) {
      std::string known;
      for (const TaskConfig& task : tasks) known += (known.empty() ? "" : ", ") + task.name;
      fmt::print(stderr, "--task {}: no such task in the file (tasks: {})\n", name,
                 known.empty() ? "none" : known);
      return kExitInvalid;
    }
  }
  std::vector<const TaskConfig*> selected = select_tasks(tasks, only);
  // A wal task has no runs: its changes are followed by `courier run`.
  std::vector<const TaskConfig*> followed;
  std::erase_if(selected, [&](const TaskConfig* task) {
    if (task->capture != pg_to_redis::Capture::kWal) return false;
    followed.push_back(task);
    return true;
  });
  for (const TaskConfig* task : followed) {
    if (!only.empty()) {
      fmt::print(stderr, "--task {}: it has 'capture: wal'; `courier run` follows its changes\n",
                 task->name);
      return kExitInvalid;
    }
  }
  if (selected.empty()) {
    fmt::print(stderr, "the file has no polled tasks: nothing to run{}\n",
               followed.empty() ? "" : " (`courier run` follows the 'capture: wal' ones)");
    return kExitInvalid;
  }

  // The tasks run on a worker thread so that the main thread can wait for SIGINT/SIGTERM.
  StopSignal stop;
  std::atomic<int> failed{0};
  std::atomic<bool> finished{false};
  std::thread worker([&] {
    failed = run_each(config, selected, stop);
    finished = true;
    shutdown.request();
  });
  shutdown.wait();
  const bool interrupted = !finished;
  if (interrupted) {
    spdlog::info("shutting down: stopping after the batch in flight");
    stop.request_stop();
  }
  worker.join();
  return interrupted || failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace courier::app
