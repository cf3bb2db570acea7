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

// The snapshot marks: task → its snapshot's consistent LSN, or "copying:<mark>" while a
// list or stream task's copy is under way (append_mark's text, to undo an unfinished one).
Result<std::map<std::string, std::string>> read_marks(redis::Client& client,
                                                     const std::string& key) {
  Result<redis::Reply> reply = client.command({"HGETALL", key});
  if (!reply.ok()) return reply.status();
  std::map<std::string, std::string> marks;
  const auto& items = reply->elements();
  for (size_t i = 0; i + 1 < items.size(); i += 2) marks[items[i].str()] = items[i + 1].str();
  return marks;
}

constexpr std::string_view kCopying = "copying:";

}  // namespace

std::string snapshot_marks_key(const std::string& slot) {
  return "courier:changes:" + slot;
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

  auto redis_client = redis::make_client(options_.redis);
  if (!redis_client.ok()) return redis_client.status();
  redis::Client& client = **redis_client;

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

  auto snapshot_lsns = snapshot_new_tasks(client, stop);
  if (!snapshot_lsns.ok()) return snapshot_lsns.status();

  std::vector<const TaskConfig*> task_pointers;
  for (const TaskConfig& task : tasks_) task_pointers.push_back(&task);
  auto applier = std::make_shared<ChangeApplier>(
      task_pointers, client, ChangeApplierOptions{.cluster = options_.cluster,
                                                  .snapshot_lsns = *snapshot_lsns});
  auto source = std::make_shared<WalChangeSource>(
      options_.postgres, WalChangeSourceOptions{.slot = changes.slot,
                                                .publications = {changes.publication},
                                                .status_interval = changes.status_interval,
                                                .heartbeat = changes.heartbeat});
  // A batch closes at 2 000 changes or 2 ms after its first: under load batches fill by
  // size; a trickle is written within milliseconds of its commit.
  StreamingCoordinator<pg::RowChange> coordinator(
      source, applier, {.workers = 1, .batch_size = 2000, .max_wait = 2ms});
  metrics_->seen = {};
  if (Status started = coordinator.start(); !started.ok()) return started;
  set_state("streaming from slot '" + changes.slot + "'", Status::Ok());
  spdlog::info("change capture: streaming from slot '{}' for {} task(s)", changes.slot,
               tasks_.size());

  std::string confirmed_before;
  auto moved_at = std::chrono::steady_clock::now();
  Status outcome = Status::Ok();
  while (!wait_or_stop(stop, changes.status_interval)) {
    metrics_->record(applier->counts());
    if (!coordinator.running()) {
      outcome = coordinator.totals().status();
      if (outcome.ok()) outcome = Status(StatusCode::kUnavailable, "the change stream ended");
      break;
    }
    auto lag = db.execute(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
        "confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
        {changes.slot});
    if (!lag.ok() || lag->row_count() == 0) {
      outcome = Status(StatusCode::kUnavailable,
                       "lost the session that holds the slot's lock; stopping the stream: " +
                           (lag.ok() ? std::string("the slot is gone") : lag.status().message()));
      break;
    }
    const int64_t bytes =
        text::parse_integer<int64_t>(lag->get(0, 0).value_or("0")).value_or(0);
    const std::string confirmed(lag->get(0, 1).value_or(""));
    const auto now = std::chrono::steady_clock::now();
    if (confirmed != confirmed_before || bytes <= 0) moved_at = now;
    confirmed_before = confirmed;
    lag_bytes_ = bytes;
    metrics_->lag_bytes.Set(static_cast<double>(bytes));
    metrics_->lag_seconds.Set(std::chrono::duration<double>(now - moved_at).count());
  }
  coordinator.stop();
  metrics_->record(applier->counts());
  return outcome;
}

Result<std::map<std::string, pg::Lsn>> ChangeCapture::snapshot_new_tasks(redis::Client& client,
                                                                        std::stop_token stop) {
  const std::string key = snapshot_marks_key(options_.changes.slot);
  auto marks = read_marks(client, key);
  if (!marks.ok()) return marks.status();
  std::map<std::string, pg::Lsn> done;
  for (const auto& [name, mark] : *marks) {
    const bool kept = std::any_of(tasks_.begin(), tasks_.end(),
                                  [&](const TaskConfig& t) { return t.name == name; });
    if (!kept) {  // a task gone from the file: copied afresh if it comes back
      if (auto removed = client.command({"HDEL", key, name}); !removed.ok())
        return removed.status();
      continue;
    }
    if (Result<pg::Lsn> lsn = pg::parse_lsn(mark); lsn.ok()) done[name] = *lsn;
  }
  for (const TaskConfig& task : tasks_) {
    if (done.contains(task.name)) continue;
    set_state("snapshot of task " + task.name, Status::Ok());
    // A list or stream must not keep what an unfinished copy appended before: undo it, and
    // remember where the structure ends before this copy begins.
    auto earlier = marks->find(task.name);
    if (earlier != marks->end() && earlier->second.starts_with(kCopying)) {
      const std::string_view mark = std::string_view(earlier->second).substr(kCopying.size());
      if (Status undone = undo_partial_snapshot(client, task, mark); !undone.ok()) return undone;
      spdlog::warn("snapshot of task {}: removed what an unfinished copy appended", task.name);
    } else {
      auto mark = append_mark(client, task);
      if (!mark.ok()) return mark.status();
      if (!mark->empty()) {
        auto noted = client.command({"HSET", key, task.name, std::string(kCopying) + *mark});
        if (!noted.ok()) return noted.status();
      }
    }
    auto copied = snapshot_table(task, {options_.postgres, options_.redis, options_.cluster},
                                 stop, progress_logger(task.name));
    if (!copied.ok()) return copied.status();
    spdlog::info("snapshot of task {}: {} rows copied ({} parked), consistent at {}", task.name,
                 copied->rows, copied->rows_parked, pg::format_lsn(copied->consistent_point));
    auto marked =
        client.command({"HSET", key, task.name, pg::format_lsn(copied->consistent_point)});
    if (!marked.ok()) return marked.status();
    done[task.name] = copied->consistent_point;
  }
  return done;
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
