#include "pg_to_redis/task_runner.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {

TaskRunner::TaskRunner(const TaskConfig& task, pg::ConnectionOptions postgres,
                       redis::ClientOptions redis, TaskRunnerOptions options)
    : TaskRunner(task, TaskConnectors::to(std::move(postgres), std::move(redis)),
                 std::move(options)) {}

TaskRunner::TaskRunner(const TaskConfig& task, TaskConnectors connectors, TaskRunnerOptions options)
    : task_(task),
      options_(std::move(options)),
      session_(task, std::move(connectors), options_.cluster),
      source_(std::make_shared<TablePageSource>(
          task, session_, report_,
          TablePageSourceOptions{.lease_wait = options_.lease_wait, .stop = stop_.token()})),
      applier_(std::make_shared<TablePageApplier>(task, session_, report_, options_.on_batch)) {
  PollingOptions polling;
  polling.batch_size = 1;     // a record is a page of batch_size rows
  polling.read_ahead = true;  // Postgres reads page n+1 while Redis writes page n
  polling.until_next_pass = options_.until_next_run;
  polling.pass_retry = options_.retry;
  polling.on_pass_retry = [this](unsigned attempt, Duration delay, const Status& error, size_t) {
    spdlog::warn("task {}: attempt {} failed ({}); trying again from the checkpoint in {}",
                 task_.name, attempt, error.to_string(), describe_duration(delay));
  };
  polling.hooks.on_pass = [this](const PassReport& pass) { on_pass(pass); };
  coordinator_ = std::make_unique<PollingCoordinator<TablePage>>(source_, applier_, polling);
  stop_when_asked_.emplace(options_.stop, [this] {
    stop_.request_stop();
    coordinator_->request_stop();
  });
}

TaskRunner::~TaskRunner() {
  stop();
}

RunOutcome TaskRunner::run() {
  Result<RunResult> ran = coordinator_->run_once();
  if (!ran.ok()) return RunOutcome{.status = ran.status(), .report = {}};
  return last_outcome_;
}

Status TaskRunner::start() {
  return coordinator_->start();
}

void TaskRunner::stop() {
  stop_.request_stop();
  coordinator_->stop();
}

Status TaskRunner::run_status(const PassReport& pass) {
  if (pass.status.ok()) return pass.status;
  // The coordinator counts pages ("1 of 1 records failed"); say what failed in the
  // writer's words instead.
  const Status cause = pass.counts.cause();
  return pass.gave_up ? final_retry_error(*pass.gave_up, cause, pass.attempts) : cause;
}

void TaskRunner::on_pass(const PassReport& pass) {
  report_.attempts = pass.attempts;
  report_.locked_elsewhere = pass.skipped;
  report_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(pass.duration);
  last_outcome_.status = run_status(pass);
  // Stopped between pages: the pass ended well but its last page was not written.
  report_.stopped = last_outcome_.status.ok() && !pass.skipped && !report_.drained;
  if (last_outcome_.status.ok() && !pass.skipped && !report_.stopped) {
    // For `courier status`; the run itself went well whether or not this is stored.
    if (Status recorded = session_.writer().record_run_finished(std::chrono::system_clock::now());
        !recorded.ok())
      spdlog::warn("task {}: could not record the end of the run: {}", task_.name,
                   recorded.to_string());
  }
  last_outcome_.report = std::exchange(report_, RunReport{});
  if (options_.on_run) options_.on_run(last_outcome_);
}

}  // namespace courier::pg_to_redis
