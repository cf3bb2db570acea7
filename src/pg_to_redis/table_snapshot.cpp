#include "pg_to_redis/table_snapshot.h"

#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>

#include "pg/connection.h"
#include "pg/replication_stream.h"
#include "pg_to_redis/run_report.h"
#include "pg_to_redis/table_page_applier.h"
#include "pg_to_redis/task_session.h"
#include "text/integer.h"

namespace courier::pg_to_redis {
namespace {

// A name no other process or snapshot uses at the same time (the slot lives only while
// its connection does).
std::string temporary_slot_name() {
  static std::atomic<unsigned> next{0};
  return "courier_snapshot_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
}

// A session in a read-only REPEATABLE READ transaction on the exported snapshot; it can be
// opened once (a snapshot is importable only while its slot's connection stays idle).
TaskConnectors snapshot_connectors(const SnapshotConnections& to, std::string snapshot) {
  TaskConnectors connectors = TaskConnectors::to(to.postgres, to.redis);
  connectors.postgres = [postgres = to.postgres, snapshot = std::move(snapshot),
                         used = false]() mutable -> Result<std::unique_ptr<pg::Session>> {
    if (used) {
      return Status(StatusCode::kUnavailable,
                    "the snapshot's session was lost; the snapshot starts again");
    }
    used = true;
    auto opened = pg::Connection::open(postgres);
    if (!opened.ok()) return opened.status();
    Status began = (*opened)->execute_script(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '" + snapshot +
        "'");
    if (!began.ok()) return began;
    return std::unique_ptr<pg::Session>(std::move(*opened));
  };
  return connectors;
}

uint64_t estimated_rows(pg::Session& session, const TaskConfig& task) {
  auto rows = session.execute(
      "SELECT GREATEST(c.reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON "
      "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      {task.table.schema, task.table.name});
  if (!rows.ok() || rows->row_count() == 0) return 0;
  return text::parse_integer<uint64_t>(rows->get(0, 0).value_or("0")).value_or(0);
}

constexpr std::string_view kCopying = "copying:";
constexpr std::string_view kResume = "resume:";

}  // namespace

std::string SnapshotMark::to_string() const {
  switch (state) {
    case State::kCopying:
      return std::string(kCopying) + append_mark;
    case State::kResumable:
      return std::string(kResume) + pg::format_lsn(lsn) + ":" + (after ? after->encode() : "");
    case State::kDone:
      break;
  }
  return pg::format_lsn(lsn);
}

std::optional<SnapshotMark> SnapshotMark::parse(std::string_view text) {
  if (text.starts_with(kCopying)) {
    return SnapshotMark{.state = State::kCopying,
                        .append_mark = std::string(text.substr(kCopying.size()))};
  }
  if (text.starts_with(kResume)) {
    text.remove_prefix(kResume.size());
    const size_t colon = text.find(':');  // an LSN has none; the cursor follows it
    if (colon == std::string_view::npos) return std::nullopt;
    Result<pg::Lsn> lsn = pg::parse_lsn(text.substr(0, colon));
    Result<TrackingCursor> after = TrackingCursor::decode(text.substr(colon + 1), "snapshot mark");
    if (!lsn.ok() || !after.ok()) return std::nullopt;
    return SnapshotMark{.state = State::kResumable, .lsn = *lsn, .after = std::move(*after)};
  }
  Result<pg::Lsn> lsn = pg::parse_lsn(text);
  if (!lsn.ok()) return std::nullopt;
  return SnapshotMark{.state = State::kDone, .lsn = *lsn};
}

bool resumable_snapshot(Structure structure) {
  return structure != Structure::kList && structure != Structure::kStream;
}

Result<std::string> append_mark(redis::Client& client, const TaskConfig& task) {
  const std::string key = task.redis_key();
  if (task.structure == Structure::kStream) {
    auto last = client.command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
    if (!last.ok()) return last.status();
    if (last->elements().empty()) return std::string("0-0");
    return last->elements()[0].elements()[0].str();
  }
  if (task.structure == Structure::kList) {
    auto length = client.command({"LLEN", key});
    if (!length.ok()) return length.status();
    return std::to_string(length->integer());
  }
  return std::string();
}

Status undo_partial_snapshot(redis::Client& client, const TaskConfig& task, std::string_view mark) {
  const std::string key = task.redis_key();
  if (task.structure == Structure::kList) {
    auto length = client.command({"LLEN", key});
    if (!length.ok()) return length.status();
    const long long before = text::parse_integer<long long>(mark).value_or(length->integer());
    if (length->integer() <= before) return Status::Ok();
    auto popped = client.command({"LPOP", key, std::to_string(length->integer() - before)});
    return popped.status();
  }
  if (task.structure != Structure::kStream) return Status::Ok();
  while (true) {  // the entries after the mark, a thousand at a time
    auto after = client.command({"XRANGE", key, "(" + std::string(mark), "+", "COUNT", "1000"});
    if (!after.ok()) return after.status();
    if (after->elements().empty()) return Status::Ok();
    redis::Command remove = {"XDEL", key};
    for (const redis::Reply& entry : after->elements()) remove.push_back(entry.elements()[0].str());
    if (auto removed = client.command(remove); !removed.ok()) return removed.status();
  }
}

Result<SnapshotOutcome> snapshot_table(const TaskConfig& task, const SnapshotConnections& to,
                                       const std::optional<TrackingCursor>& resume_after,
                                       std::stop_token stop,
                                       const SnapshotProgressHandler& on_progress) {
  auto stream = pg::ReplicationStream::open(to.postgres);
  if (!stream.ok()) return stream.status();
  auto slot =
      (*stream)->create_slot(temporary_slot_name(), {.export_snapshot = true, .temporary = true});
  if (!slot.ok()) return slot.status();

  TaskSession session(task, snapshot_connectors(to, slot->snapshot), to.cluster);
  if (Status connected = session.connect(); !connected.ok()) return connected;
  // The snapshot is imported: the slot is no longer needed (a temporary slot goes with it).
  stream->reset();

  RunReport report;
  TablePageApplier applier(task, session, report, {});
  SnapshotProgress progress{.estimated_rows = estimated_rows(session.postgres(), task),
                            .consistent_point = slot->consistent_point};
  const auto started = std::chrono::steady_clock::now();
  PageConverter converter(task, session);
  auto read_page = [&](Result<Batch> batch) -> Result<TablePage> {
    if (!batch.ok()) return batch.status();
    return converter.convert(std::move(*batch));
  };
  Result<TablePage> page = read_page(session.reader().first_batch(resume_after));
  while (true) {
    if (!page.ok()) return page.status();
    if ((*page)->batch.empty()) break;
    if (stop.stop_requested()) return Status(StatusCode::kCancelled, "stopped during the snapshot");
    const TablePage shared = *page;
    // The next page is read and converted while this one is written (the session's reader
    // and writer may work on two threads), as polling's read-ahead does.
    auto next = std::async(std::launch::async, [&, after = shared->batch.after] {
      return read_page(session.reader().next_batch(after));
    });
    const TablePage pages[] = {shared};
    ApplyResult written = applier.apply(pages);
    page = next.get();
    if (!written.all_ok()) return written.failed().front().error;
    progress.rows = report.rows_fetched;
    progress.elapsed = std::chrono::steady_clock::now() - started;
    progress.after = shared->batch.after;
    if (on_progress) {
      if (Status told = on_progress(progress); !told.ok()) return told;
    }
  }
  if (Status committed = session.postgres().execute_script("COMMIT"); !committed.ok())
    return committed;
  return SnapshotOutcome{.consistent_point = slot->consistent_point,
                         .rows = report.rows_fetched,
                         .rows_parked = report.rows_skipped};
}

}  // namespace courier::pg_to_redis
