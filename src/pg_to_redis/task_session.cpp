#include "pg_to_redis/task_session.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "pg/connection.h"

namespace courier::pg_to_redis {

TaskConnectors TaskConnectors::to(pg::ConnectionOptions postgres, redis::ClientOptions redis) {
  return TaskConnectors{
      .postgres = [postgres = std::move(postgres)]() -> Result<std::unique_ptr<pg::Session>> {
        auto opened = pg::Connection::open(postgres);
        if (!opened.ok()) return opened.status();
        return std::unique_ptr<pg::Session>(std::move(*opened));
      },
      .redis = [redis = std::move(redis)] { return redis::make_client(redis); }};
}

TaskSession::TaskSession(const TaskConfig& task, TaskConnectors connectors, bool cluster)
    : task_(task), connectors_(std::move(connectors)), cluster_(cluster) {}

TaskSession::~TaskSession() = default;

Status TaskSession::connect() {
  if (!postgres_) {
    auto opened = connectors_.postgres();
    if (!opened.ok()) return opened.status();
    postgres_ = std::move(*opened);
  } else if (!postgres_->is_open()) {
    if (Status reconnected = postgres_->reconnect(); !reconnected.ok()) return reconnected;
  }
  if (!redis_) {
    auto client = connectors_.redis();
    if (!client.ok()) return client.status();
    redis_ = std::move(*client);
    writer_ =
        std::make_unique<StructureWriter>(*redis_, task_, StructureWriterOptions{.cluster = cluster_});
    dead_letters_ = std::make_unique<RedisStreamDeadLetterStore>(*redis_, task_.dead_letter_key());
    refresh_ = KeyRefresh::for_task(*redis_, task_, *writer_, cluster_);
  }
  if (!reader_) {
    auto reader = TableReader::open(*postgres_, task_);
    if (!reader.ok()) return reader.status();
    reader_.emplace(std::move(*reader));
    if (task_.log_sql) {
      spdlog::info("task {}: reads with: {}", task_.name,
                   reader_->query().sql(ReadQuery::Start::kAfterCursor));
    }
    if (!null_tracking_checked_) warn_of_null_tracking_values();
  }
  return Status::Ok();
}

void TaskSession::warn_of_null_tracking_values() {
  null_tracking_checked_ = true;
  if (!reader_->tracking_nullable()) return;
  auto exists = postgres_->execute(reader_->query().null_tracking_sql());
  if (!exists.ok()) {
    // Only a hint: the run itself reports what is wrong with the session.
    spdlog::debug("task {}: could not look for NULL tracking values: {}", task_.name,
                  exists.status().to_string());
    return;
  }
  if (exists->get(0, 0) != "t") return;
  const std::string& column = task_.column_for(task_.tracking->column);
  spdlog::warn(
      "task {}: some rows of {}{} have a NULL '{}' (the tracking column); they are never "
      "synced, because a NULL has no place in the tracking order. Fill them and add NOT NULL "
      "to the column, or sync a view that selects COALESCE({}, <a value>) AS {}",
      task_.name, task_.table.qualified(), task_.where.empty() ? "" : " matching 'where'", column,
      column, column);
}

void TaskSession::reset_after_failure() {
  // A session that looks open may still be broken (the server restarted between calls):
  // start the next attempt on a new one.
  if (postgres_) (void)postgres_->reconnect();
  reader_.reset();
  ++generation_;
}

}  // namespace courier::pg_to_redis
