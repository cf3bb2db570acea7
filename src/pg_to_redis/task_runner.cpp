#include "pg_to_redis/task_runner.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/clock.h"
#include "pg_to_redis/task_lease.h"
#include "pg_to_redis/tracking_cursor.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {
namespace {

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// A row's values by name; nullopt for NULL.
using NamedValues = std::vector<std::pair<std::string, std::optional<std::string_view>>>;

// A JSON object of the row's values (null for NULL); invalid UTF-8 is replaced.
std::string row_json(const NamedValues& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : values)
    object[name] = value ? nlohmann::json(*value) : nlohmann::json();
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The row as Postgres returned it (a row that could not be converted).
std::string source_row_json(const pg::QueryResult& rows, int row) {
  NamedValues values;
  for (int c = 0; c < rows.column_count(); ++c)
    values.emplace_back(std::string(rows.column_name(c)), rows.get(row, c));
  return row_json(values);
}

// The row as it was to be written to Redis (field names as the task names them).
std::string sync_row_json(const SyncRow& row) {
  NamedValues values;
  for (const auto& [name, value] : row.fields)
    values.emplace_back(
        name, value.is_null ? std::nullopt : std::optional<std::string_view>(value.bytes));
  return row_json(values);
}

}  // namespace

TaskRunner::TaskRunner(const TaskConfig& task, pg::ConnectionOptions postgres,
                       redis::ClientOptions redis, TaskRunnerOptions options)
    : task_(task),
      postgres_options_(std::move(postgres)),
      redis_options_(std::move(redis)),
      options_(std::move(options)) {}

TaskRunner::~TaskRunner() = default;

RunOutcome TaskRunner::run() {
  const auto started = std::chrono::steady_clock::now();
  RunOutcome outcome;
  RetryOptions retry{.policy = options_.retry, .stop = options_.stop};
  retry.on_retry = [this](unsigned attempt, Duration delay, const Status& error, size_t) {
    spdlog::warn("task {}: attempt {} failed ({}); trying again from the checkpoint in {}",
                 task_.name, attempt, error.to_string(), describe_duration(delay));
  };
  for (unsigned attempt = 1;; ++attempt) {
    outcome.report.attempts = attempt;
    outcome.status = this->attempt(outcome.report);
    if (outcome.status.ok() || !outcome.status.retryable()) break;
    reset_after_failure();
    RetryStep step = backoff_before_retry(retry, attempt, outcome.status, 1);
    if (step != RetryStep::kRetry) {
      outcome.status = final_retry_error(step, outcome.status, attempt);
      break;
    }
  }
  outcome.report.duration = since(started);
  return outcome;
}

Status TaskRunner::connect() {
  if (!postgres_) {
    auto opened = pg::Connection::open(postgres_options_);
    if (!opened.ok()) return opened.status();
    postgres_ = std::move(*opened);
  } else if (!postgres_->is_open()) {
    if (Status reconnected = postgres_->reconnect(); !reconnected.ok()) return reconnected;
  }
  if (!redis_) {
    auto client = redis::make_client(redis_options_);
    if (!client.ok()) return client.status();
    redis_ = std::move(*client);
    writer_ = std::make_unique<StructureWriter>(
        *redis_, task_, StructureWriterOptions{.cluster = options_.cluster});
    dead_letters_ = std::make_unique<RedisStreamDeadLetterStore>(*redis_, task_.dead_letter_key());
  }
  if (!reader_) {
    auto reader = TableReader::open(*postgres_, task_);
    if (!reader.ok()) return reader.status();
    reader_.emplace(std::move(*reader));
    if (task_.log_sql) {
      spdlog::info("task {}: reads with: {}", task_.name,
                   reader_->query().sql(ReadQuery::Start::kAfterCursor));
    }
  }
  return Status::Ok();
}

void TaskRunner::reset_after_failure() {
  // A session that looks open may still be broken (the server restarted between calls):
  // start the next attempt on a new one. The writer keeps its own state: it knows
  // whether it must read the checkpoint back before writing again.
  if (postgres_) (void)postgres_->reconnect();
  reader_.reset();
  converter_.reset();
}

Result<std::optional<TaskLease>> TaskRunner::acquire_lease() {
  const auto give_up = std::chrono::steady_clock::now() + options_.lease_wait;
  for (;;) {
    auto lease = TaskLease::try_acquire(*postgres_, task_.name);
    if (!lease.ok() || *lease || std::chrono::steady_clock::now() >= give_up) return lease;
    if (!system_clock()->wait_for(std::chrono::milliseconds(100), options_.stop)) return lease;
  }
}

Status TaskRunner::attempt(RunReport& report) {
  if (Status connected = connect(); !connected.ok()) return connected;
  auto lease = acquire_lease();
  if (!lease.ok()) return lease.status();
  if (!*lease) {
    report.locked_elsewhere = true;
    return Status::Ok();
  }

  auto stored = writer_->read_checkpoint();
  if (!stored.ok()) return stored.status();
  if (report.attempts == 1) report.checkpoint_before = *stored;
  report.checkpoint_after = *stored;
  std::optional<TrackingCursor> checkpoint;
  if (task_.tracking && stored->has_value()) {
    auto decoded = TrackingCursor::decode(**stored, writer_->checkpoint_key());
    if (!decoded.ok()) return decoded.status();
    checkpoint = std::move(*decoded);
  }

  // The next batch is read while the current one is written: Postgres and Redis work at
  // the same time, and memory holds at most two batches. The Postgres session is used by
  // the read in flight only; it is waited for before anything else touches the session.
  Result<Batch> batch = reader_->first_batch(checkpoint);
  std::future<Result<Batch>> next;
  auto read_ahead = [this](std::optional<TrackingCursor> after) {
    return std::async(std::launch::async,
                      [this, after = std::move(after)] { return reader_->next_batch(after); });
  };
  for (;;) {
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    const bool drained = batch->rows.row_count() < task_.batch_size;  // a short batch
    const bool stopping = options_.stop.stop_requested();
    if (!drained && !stopping) next = read_ahead(batch->after);
    Status written = write_batch(*batch, report);
    if (!written.ok()) {
      if (next.valid()) next.wait();
      return written;
    }
    if (options_.on_batch) options_.on_batch(report);
    if (drained) break;
    if (stopping) {
      report.stopped = true;
      break;
    }
    batch = next.get();
  }
  return (*lease)->release();
}

Status TaskRunner::write_batch(const Batch& batch, RunReport& report) {
  if (!converter_) {
    auto converter = RowConverter::make(task_, batch.rows, reader_->primary_key());
    if (!converter.ok()) return converter.status();
    converter_.emplace(std::move(*converter));
    tracking_column_.reset();
    if (task_.tracking && task_.tracking->op == TrackingOperator::kGreater) {
      auto index = batch.rows.column_index(reader_->query().cursor_columns().front());
      if (index && is_time_type(batch.rows.column_type(*index))) tracking_column_ = index;
    }
  }
  ConvertedRows converted = converter_->convert(batch.rows);
  // Rows that cannot be converted are parked before anything of the batch is written.
  const auto now = std::chrono::system_clock::now();
  auto letter = [&](int row, std::string reason, StatusCode code, std::string detail,
                    std::string payload) {
    return DeadLetter{.payload = std::move(payload),
                      .error = std::move(reason),
                      .error_code = std::string(status_code_name(code)),
                      .error_detail = std::move(detail),
                      .first_failure = now,
                      .last_failure = now,
                      .metadata = {{"task", task_.name},
                                   {"table", task_.table.qualified()},
                                   {"primary_key", converter_->row_identity(batch.rows, row)}}};
  };
  std::vector<DeadLetter> unconvertible;
  for (const RowProblem& problem : converted.problems) {
    const int row = static_cast<int>(problem.row);
    unconvertible.push_back(letter(row, problem.reason, StatusCode::kInvalidArgument, "",
                                   source_row_json(batch.rows, row)));
  }
  if (Status parked = park(std::move(unconvertible)); !parked.ok()) return parked;
  // Without tracking every run reads the whole table, so no checkpoint is kept.
  WriteBatch write{std::move(converted.rows),
                   task_.tracking && batch.after ? batch.after->encode() : std::string()};
  Result<WriteReport> written = writer_->write(write, [&](const std::vector<RowError>& errors) {
    std::vector<DeadLetter> refused;
    for (const RowError& error : errors) {
      refused.push_back(letter(static_cast<int>(converted.source_rows.at(error.row)), error.reason,
                               error.code, error.detail, sync_row_json(write.rows.at(error.row))));
    }
    return park(std::move(refused));
  });
  if (!written.ok()) return written.status();

  const size_t fetched = static_cast<size_t>(batch.rows.row_count());
  const size_t skipped = converted.problems.size() + written->skipped.size();
  report.batches += 1;
  report.rows_fetched += fetched;
  report.rows_skipped += skipped;
  report.rows_written += written->already_applied ? 0 : fetched - skipped;
  if (!write.checkpoint.empty()) report.checkpoint_after = write.checkpoint;
  if (tracking_column_) {
    auto seconds = to_sorted_set_score(batch.rows.column_type(*tracking_column_),
                                       batch.rows.get(fetched - 1, *tracking_column_));
    if (seconds.ok()) report.newest_tracked_seconds = std::strtod(seconds->c_str(), nullptr);
  }
  return Status::Ok();
}

Status TaskRunner::park(std::vector<DeadLetter> letters) {
  if (letters.empty()) return Status::Ok();
  Result<std::vector<std::string>> sent = dead_letters_->send(letters);
  if (!sent.ok()) {
    return Status(sent.status().code(),
                  "task '" + task_.name + "': " + std::to_string(letters.size()) +
                      " row(s) could not be parked, so the checkpoint stays before them: " +
                      sent.status().message(),
                  sent.status().detail());
  }
  for (const DeadLetter& letter : letters) {
    spdlog::warn("task {}: row {} of {} not written, dead-lettered to {}: {}", task_.name,
                 letter.metadata.at("primary_key"), task_.table.qualified(),
                 task_.dead_letter_key(), letter.error);
  }
  return Status::Ok();
}

}  // namespace courier::pg_to_redis
