#include "pg_to_redis/change_capture.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>

#include "courier/streaming_coordinator.h"
#include "pg/connection.h"
#include "pg/identifier.h"
#include "pg/replication_stream.h"
#include "pg_to_redis/change_applier.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/table_snapshot.h"
#include "pg_to_redis/task_lease.h"
#include "pg_to_redis/wal_change_source.h"
#include "redis/client.h"
#include "text/integer.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;

// Waits up to `duration`, returning early (true) when stop is requested.
bool wait_or_stop(std::stop_token stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  return woken.wait_for(lock, stop, duration, [] { return false; }) || stop.stop_requested();
}

}  // namespace

std::string snapshot_marks_key(const std::string& slot) {
  return "courier:changes:" + slot;
}

Result<std::optional<SlotLag>> read_slot_lag(pg::Connection& db, const std::string& slot) {
  auto row = db.execute(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
      "confirmed_flush_lsn::text, active, wal_status FROM pg_replication_slots "
      "WHERE slot_name = $1",
      {slot});
  if (!row.ok()) return row.status();
  if (row->row_count() == 0) return std::optional<SlotLag>();
  return std::optional<SlotLag>(
      SlotLag{.bytes = text::parse_integer<int64_t>(row->get(0, 0).value_or("0")).value_or(0),
              .confirmed_lsn = std::string(row->get(0, 1).value_or("")),
              .active = row->get(0, 2).value_or("f") == "t",
              .wal_status = std::string(row->get(0, 3).value_or(""))});
}

Result<std::string> publication_tables(const std::vector<TaskConfig>& tasks) {
  std::map<std::string, const TaskConfig*> by_table;
  std::string list;
  for (const TaskConfig& task : tasks) {
    auto [seen, inserted] = by_table.emplace(task.table.qualified(), &task);
    if (!inserted) {
      if (seen->second->where != task.where) {
        return Status(StatusCode::kInvalidArgument,
                      "tasks '" + seen->second->name + "' and '" + task.name + "' both capture " +
                          task.table.qualified() +
                          " with different 'where' filters; a table has one row filter in a "
                          "publication: give them the same 'where', or poll one of them");
      }
      continue;
    }
    auto table = quoted_table(task.table);
    if (!table.ok()) return table.status();
    if (!list.empty()) list += ", ";
    list += *table;
    if (!task.where.empty()) list += " WHERE (" + task.where + ")";
  }
  return list;
}

struct ChangeCapture::Metrics {
  Metrics(prometheus::Registry& registry, const std::vector<TaskConfig>& tasks,
          const std::string& slot)
      : active(gauge(registry, "courier_changes_active",
                     "1 while this process streams from the slot, 0 as a standby", slot)),
        lag_bytes(gauge(registry, "courier_changes_lag_bytes",
                        "WAL bytes the slot holds back: written but not confirmed", slot)),
        lag_seconds(gauge(registry, "courier_changes_lag_seconds",
                          "Seconds since the slot's confirmed LSN last moved while behind",
                          slot)),
        written(changes(registry, slot, "written")),
        skipped(changes(registry, slot, "skipped")),
        parked(changes(registry, slot, "parked")) {
    auto& family = prometheus::BuildGauge()
                       .Name("courier_changes_snapshot_rows")
                       .Help("Rows copied by the task's snapshot")
                       .Register(registry);
    for (const TaskConfig& task : tasks) snapshot_rows[task.name] = &family.Add({{"task", task.name}});
  }

  static prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                                  const std::string& help, const std::string& slot) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({{"slot", slot}});
  }
  static prometheus::Counter& changes(prometheus::Registry& registry, const std::string& slot,
                                      const std::string& result) {
    return prometheus::BuildCounter()
        .Name("courier_changes_total")
        .Help("Captured changes by what became of them")
        .Register(registry)
        .Add({{"slot", slot}, {"result", result}});
  }

  void record(const ChangeCounts& now) {
    written.Increment(static_cast<double>(now.written - seen.written));
    skipped.Increment(static_cast<double>(now.skipped - seen.skipped));
    parked.Increment(static_cast<double>(now.parked - seen.parked));
    seen = now;
  }

  prometheus::Gauge& active;
  prometheus::Gauge& lag_bytes;
  prometheus::Gauge& lag_seconds;
  prometheus::Counter& written;
  prometheus::Counter& skipped;
  prometheus::Counter& parked;
  std::map<std::string, prometheus::Gauge*> snapshot_rows;
  ChangeCounts seen;  // what the current applier had counted at the last record()
};

ChangeCapture::ChangeCapture(std::vector<TaskConfig> tasks, ChangeCaptureOptions options)
    : tasks_(std::move(tasks)), options_(std::move(options)) {}

ChangeCapture::~ChangeCapture() {
  stop();
}

void ChangeCapture::attach(http::HttpServer& server) {
  metrics_ = std::make_unique<Metrics>(server.metrics(), tasks_, options_.changes.slot);
  server.health().add("changes", [this] { return health(); });
}

Status ChangeCapture::start() {
  if (!metrics_) {
    return Status(StatusCode::kFailedPrecondition, "change capture: attach() it to a server first");
  }
  Result<std::string> tables = publication_tables(tasks_);
  if (!tables.ok()) return tables.status();
  table_list_ = *tables;
  for (const TaskConfig& task : tasks_) spdlog::info("task {}", task.describe());
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  return Status::Ok();
}

void ChangeCapture::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void ChangeCapture::set_state(std::string state, Status error) {
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
  last_error_ = std::move(error);
}

http::HealthReport ChangeCapture::health() const {
  std::lock_guard lock(mutex_);
  if (!last_error_.ok()) return {false, state_ + ": " + last_error_.to_string()};
  const int64_t lag = lag_bytes_.load();
  if (lag > options_.changes.max_lag_bytes) {
    return {false, state_ + "; the slot holds back " + std::to_string(lag) +
                       " bytes of WAL, more than max_lag (" +
                       std::to_string(options_.changes.max_lag_bytes) + ")"};
  }
  return {true, state_};
}

void ChangeCapture::run(std::stop_token stop) {
  unsigned failures = 0;
  while (!stop.stop_requested()) {
    Status outcome = run_once(stop);
    metrics_->active.Set(0);
    if (stop.stop_requested()) break;
    if (outcome.ok()) {
      failures = 0;
      continue;
    }
    ++failures;
    spdlog::error("change capture (slot {}): {}", options_.changes.slot, outcome.to_string());
    {
      std::lock_guard lock(mutex_);
      last_error_ = outcome;
    }
    const auto backoff = std::min<std::chrono::milliseconds>(1s * (1u << std::min(failures, 5u)),
                                                             30s);
    wait_or_stop(stop, backoff);
  }
}

// A change stream under way: its own Redis connection (the capture's thread keeps using
// the other), the applier and the coordinator that drives it.
struct ChangeCapture::ChangeStream {
  std::unique_ptr<redis::Client> client;
  std::shared_ptr<ChangeApplier> applier;
  std::unique_ptr<StreamingCoordinator<pg::RowChange>> coordinator;

  void stop(Metrics& metrics) {
    coordinator->stop();
    metrics.record(applier->counts());
  }
};

Result<std::unique_ptr<ChangeCapture::ChangeStream>> ChangeCapture::start_stream(
    const std::vector<const TaskConfig*>& tasks, const std::map<std::string, pg::Lsn>& copied,
    pg::Lsn confirm_limit) {
  const ChangesConfig& changes = options_.changes;
  auto stream = std::make_unique<ChangeStream>();
  auto client = redis::make_client(options_.redis);
  if (!client.ok()) return client.status();
  stream->client = std::move(*client);
  stream->applier = std::make_shared<ChangeApplier>(
      tasks, *stream->client,
      ChangeApplierOptions{.cluster = options_.cluster, .snapshot_lsns = copied});
  auto source = std::make_shared<WalChangeSource>(
      options_.postgres, WalChangeSourceOptions{.slot = changes.slot,
                                                .publications = {changes.publication},
                                                .status_interval = changes.status_interval,
                                                .heartbeat = changes.heartbeat,
                                                .confirm_limit = confirm_limit});
  // A batch closes at 2 000 changes or 2 ms after its first: under load batches fill by
  // size; a trickle is written within milliseconds of its commit.
  stream->coordinator = std::make_unique<StreamingCoordinator<pg::RowChange>>(
      source, stream->applier,
      StreamingOptions{.workers = 1, .batch_size = 2000, .max_wait = 2ms});
  metrics_->seen = {};
  if (Status started = stream->coordinator->start(); !started.ok()) return started;
  return stream;
}

Status ChangeCapture::watch(pg::Connection& db, ChangeStream& stream, std::stop_token stop) {
  const ChangesConfig& changes = options_.changes;
  std::string confirmed_before;
  auto moved_at = std::chrono::steady_clock::now();
  Status outcome = Status::Ok();
  while (!wait_or_stop(stop, changes.status_interval)) {
    metrics_->record(stream.applier->counts());
    if (!stream.coordinator->running()) {
      outcome = stream.coordinator->totals().status();
      if (outcome.ok()) outcome = Status(StatusCode::kUnavailable, "the change stream ended");
      break;
    }
    Result<std::optional<SlotLag>> lag = read_slot_lag(db, changes.slot);
    if (!lag.ok() || !*lag) {
      outcome = Status(StatusCode::kUnavailable,
                       "lost the session that holds the slot's lock; stopping the stream: " +
                           (lag.ok() ? std::string("the slot is gone") : lag.status().message()));
      break;
    }
    const int64_t bytes = (*lag)->bytes;
    const std::string& confirmed = (*lag)->confirmed_lsn;
    const auto now = std::chrono::steady_clock::now();
    if (confirmed != confirmed_before || bytes <= 0) moved_at = now;
    confirmed_before = confirmed;
    lag_bytes_ = bytes;
    metrics_->lag_bytes.Set(static_cast<double>(bytes));
    metrics_->lag_seconds.Set(std::chrono::duration<double>(now - moved_at).count());
  }
  return outcome;
}

Status ChangeCapture::prepare_publication_and_slot(pg::Connection& db, redis::Client& client) {
  const ChangesConfig& changes = options_.changes;
  // The publication covers exactly the tasks' tables, with their row filters.
  auto publication = pg::quote_identifier(changes.publication);
  if (!publication.ok()) return publication.status();
  auto existing = db.execute("SELECT 1 FROM pg_publication WHERE pubname = $1",
                             {changes.publication});
  if (!existing.ok()) return existing.status();
  const std::string publish =
      existing->row_count() > 0 ? "ALTER PUBLICATION " + *publication + " SET TABLE " + table_list_
                                : "CREATE PUBLICATION " + *publication + " FOR TABLE " + table_list_;
  if (Status published = db.execute_script(publish); !published.ok()) return published;

  auto slot = db.execute(
      "SELECT plugin FROM pg_replication_slots WHERE slot_name = $1 AND database = "
      "current_database()",
      {changes.slot});
  if (!slot.ok()) return slot.status();
  if (slot->row_count() == 0) {
    auto stream = pg::ReplicationStream::open(options_.postgres);
    if (!stream.ok()) return stream.status();
    auto created = (*stream)->create_slot(changes.slot, {.export_snapshot = false});
    if (!created.ok()) return created.status();
    // A new slot: whatever was copied for an earlier one is not continued by it.
    if (auto cleared = client.command({"DEL", snapshot_marks_key(changes.slot)}); !cleared.ok())
      return cleared.status();
    spdlog::info("change capture: created replication slot '{}' at {}", changes.slot,
                 pg::format_lsn(created->consistent_point));
  } else if (slot->get(0, 0).value_or("") != "pgoutput") {
    return Status(StatusCode::kFailedPrecondition,
                  "replication slot '" + changes.slot + "' exists with plugin '" +
                      std::string(slot->get(0, 0).value_or("")) +
                      "'; Courier needs pgoutput: name another slot in changes.slot");
  }

  return Status::Ok();
}

Status ChangeCapture::run_once(std::stop_token stop) {
  const ChangesConfig& changes = options_.changes;
  auto session = pg::Connection::open(options_.postgres);
  if (!session.ok()) return session.status();
  pg::Connection& db = **session;
  auto lease = TaskLease::try_acquire(db, "changes:" + changes.slot);
  if (!lease.ok()) return lease.status();
  if (!*lease) {
    set_state("standby: another courier process streams from slot '" + changes.slot + "'",
              Status::Ok());
    wait_or_stop(stop, 2s);
    return Status::Ok();
  }
  metrics_->active.Set(1);

  auto redis_client = redis::make_client(options_.redis);
  if (!redis_client.ok()) return redis_client.status();
  redis::Client& client = **redis_client;
  if (Status prepared = prepare_publication_and_slot(db, client); !prepared.ok()) return prepared;

  auto marks = read_snapshot_marks(client);
  if (!marks.ok()) return marks.status();
  std::map<std::string, pg::Lsn> copied;  // task → its snapshot's point
  std::vector<const TaskConfig*> copied_tasks, to_copy;
  for (const TaskConfig& task : tasks_) {
    auto mark = marks->find(task.name);
    if (mark != marks->end() && mark->second.state == SnapshotMark::State::kDone) {
      copied[task.name] = mark->second.lsn;
      copied_tasks.push_back(&task);
    } else {
      to_copy.push_back(&task);
    }
  }
  if (!to_copy.empty()) {
    // Tasks copied before stream on while the new ones are copied; the slot keeps the WAL
    // from before the first of the new copies, which the new tasks will read from.
    std::unique_ptr<ChangeStream> others;
    if (!copied_tasks.empty()) {
      auto limit = confirm_limit(db, to_copy, *marks);
      if (!limit.ok()) return limit.status();
      auto started = start_stream(copied_tasks, copied, *limit);
      if (!started.ok()) return started.status();
      others = std::move(*started);
    }
    Status copies = copy_tasks(client, to_copy, *marks, stop, copied);
    if (others) others->stop(*metrics_);
    if (!copies.ok()) return copies;
  }

  std::vector<const TaskConfig*> all_tasks;
  for (const TaskConfig& task : tasks_) all_tasks.push_back(&task);
  auto stream = start_stream(all_tasks, copied, 0);
  if (!stream.ok()) return stream.status();
  set_state("streaming from slot '" + changes.slot + "'", Status::Ok());
  spdlog::info("change capture: streaming from slot '{}' for {} task(s)", changes.slot,
               tasks_.size());

  Status outcome = watch(db, **stream, stop);
  (*stream)->stop(*metrics_);
  return outcome;
}


Result<std::map<std::string, SnapshotMark>> ChangeCapture::read_snapshot_marks(
    redis::Client& client) {
  const std::string key = snapshot_marks_key(options_.changes.slot);
  Result<redis::Reply> reply = client.command({"HGETALL", key});
  if (!reply.ok()) return reply.status();
  std::map<std::string, SnapshotMark> marks;
  const auto& items = reply->elements();
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const std::string name = items[i].str();
    const bool kept = std::any_of(tasks_.begin(), tasks_.end(),
                                  [&](const TaskConfig& t) { return t.name == name; });
    if (!kept) {  // a task gone from the file: copied afresh if it comes back
      if (auto removed = client.command({"HDEL", key, name}); !removed.ok())
        return removed.status();
      continue;
    }
    if (auto mark = SnapshotMark::parse(items[i + 1].str())) marks[name] = std::move(*mark);
  }
  return marks;
}

Result<pg::Lsn> ChangeCapture::confirm_limit(pg::Connection& db,
                                             const std::vector<const TaskConfig*>& to_copy,
                                             const std::map<std::string, SnapshotMark>& marks) {
  auto now = db.execute("SELECT pg_current_wal_lsn()::text");
  if (!now.ok()) return now.status();
  Result<pg::Lsn> limit = pg::parse_lsn(now->get(0, 0).value_or(""));
  if (!limit.ok()) return limit.status();
  for (const TaskConfig* task : to_copy) {  // a resumed copy replays from its first point
    auto mark = marks.find(task->name);
    if (mark != marks.end() && mark->second.state == SnapshotMark::State::kResumable)
      *limit = std::min(*limit, mark->second.lsn);
  }
  return limit;
}

Status ChangeCapture::copy_tasks(redis::Client& client, const std::vector<const TaskConfig*>& tasks,
                                 const std::map<std::string, SnapshotMark>& marks,
                                 std::stop_token stop, std::map<std::string, pg::Lsn>& copied) {
  const std::string key = snapshot_marks_key(options_.changes.slot);
  auto store = [&](const std::string& task, const SnapshotMark& mark) {
    return client.command({"HSET", key, task, mark.to_string()}).status();
  };
  for (const TaskConfig* task : tasks) {
    set_state("snapshot of task " + task->name, Status::Ok());
    auto earlier = marks.find(task->name);
    const SnapshotMark* mark = earlier == marks.end() ? nullptr : &earlier->second;
    std::optional<TrackingCursor> resume_after;
    pg::Lsn first_point = 0;  // of the copy's first attempt, when it is resumed
    if (resumable_snapshot(task->structure)) {
      if (mark && mark->state == SnapshotMark::State::kResumable) {
        resume_after = mark->after;
        first_point = mark->lsn;
        spdlog::info("snapshot of task {}: resuming after {} (copied so far in a snapshot at {})",
                     task->name, mark->after ? mark->after->encode() : "", pg::format_lsn(first_point));
      }
    } else if (mark && mark->state == SnapshotMark::State::kCopying) {
      // A list or stream must not keep what an unfinished copy appended: undo it.
      if (Status undone = undo_partial_snapshot(client, *task, mark->append_mark); !undone.ok())
        return undone;
      spdlog::warn("snapshot of task {}: removed what an unfinished copy appended", task->name);
    } else {
      auto end = append_mark(client, *task);
      if (!end.ok()) return end.status();
      SnapshotMark copying{.state = SnapshotMark::State::kCopying, .append_mark = *end};
      if (Status noted = store(task->name, copying); !noted.ok()) return noted;
    }
    auto log_progress = progress_logger(task->name);
    auto on_page = [&](const SnapshotProgress& progress) -> Status {
      log_progress(progress);
      if (!resumable_snapshot(task->structure)) return Status::Ok();
      return store(task->name, {.state = SnapshotMark::State::kResumable,
                                .lsn = first_point != 0 ? first_point : progress.consistent_point,
                                .after = progress.after});
    };
    auto done = snapshot_table(*task, {options_.postgres, options_.redis, options_.cluster},
                               resume_after, stop, on_page);
    if (!done.ok()) return done.status();
    const pg::Lsn point = first_point != 0 ? first_point : done->consistent_point;
    spdlog::info("snapshot of task {}: {} rows copied ({} parked), consistent at {}", task->name,
                 done->rows, done->rows_parked, pg::format_lsn(point));
    if (Status noted = store(task->name, {.state = SnapshotMark::State::kDone, .lsn = point});
        !noted.ok())
      return noted;
    copied[task->name] = point;
  }
  return Status::Ok();
}

std::function<void(const SnapshotProgress&)> ChangeCapture::progress_logger(
    const std::string& task) {
  return [this, task, last_log = std::chrono::steady_clock::now()](
             const SnapshotProgress& progress) mutable {
    metrics_->snapshot_rows.at(task)->Set(static_cast<double>(progress.rows));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log < 5s) return;
    last_log = now;
    const double seconds = std::chrono::duration<double>(progress.elapsed).count();
    const double rate = seconds > 0 ? progress.rows / seconds : 0;
    const double left = rate > 0 && progress.estimated_rows > progress.rows
                            ? (progress.estimated_rows - progress.rows) / rate
                            : 0;
    spdlog::info("snapshot of task {}: {} rows, {:.0f} rows/s, about {:.0f}s left", task,
                 progress.rows, rate, left);
  };
}

}  // namespace courier::pg_to_redis
