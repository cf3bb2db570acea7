#include "pg_to_redis/table_page_applier.h"

#include <utility>

#include "pg_to_redis/row_parking.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {

TablePageApplier::TablePageApplier(const TaskConfig& task, TaskSession& session, RunReport& report,
                                   std::function<void(const RunReport&)> on_page)
    : task_(task), session_(session), report_(report), on_page_(std::move(on_page)) {}

ApplyResult TablePageApplier::apply(std::span<const TablePage> pages) {
  ApplyResult result;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (Status written = write_page(*pages[i]); !written.ok()) {
      // The pages after a failed one wait too: their checkpoints would skip it.
      for (size_t rest = i; rest < pages.size(); ++rest) result.add_failed(rest, written);
      break;
    }
    result.add_synced(i);
    if (on_page_ && !pages[i]->batch.empty()) on_page_(report_);
  }
  return result;
}

DeadLetter TablePageApplier::letter(const TablePageData& page, int row, std::string reason,
                                    StatusCode code, std::string detail,
                                    std::string payload) const {
  return RowParking(task_, session_.dead_letters())
      .letter(page.converter->row_identity(page.batch.rows, row), std::move(reason), code,
              std::move(detail), std::move(payload));
}

Status TablePageApplier::write_page(const TablePageData& page) {
  if (!page.batch.empty()) {
    if (Status written = write_rows(page); !written.ok()) return written;
  }
  return page.batch.last ? finish_run() : Status::Ok();
}

Status TablePageApplier::finish_run() {
  if (KeyRefresh* refresh = session_.refresh()) {
    Result<size_t> removed = refresh->finish();
    if (!removed.ok()) return removed.status();
    report_.members_removed += *removed;
  }
  report_.drained = true;
  return Status::Ok();
}

Status TablePageApplier::write_rows(const TablePageData& page) {
  // Rows that cannot be converted are parked before anything of the page is written.
  std::vector<DeadLetter> unconvertible;
  for (const RowProblem& problem : page.problems) {
    const int row = static_cast<int>(problem.row);
    unconvertible.push_back(letter(page, row, problem.reason, StatusCode::kInvalidArgument, "",
                                   source_row_json(page.batch.rows, row)));
  }
  if (Status parked = park(std::move(unconvertible)); !parked.ok()) return parked;
  const WriteBatch& write = page.write;
  KeyRefresh* refresh = session_.refresh();
  StructureWriter& writer = refresh ? refresh->writer() : session_.writer();
  Result<WriteReport> written = writer.write(write, [&](const std::vector<RowError>& errors) {
    std::vector<DeadLetter> refused;
    for (const RowError& error : errors) {
      refused.push_back(letter(page, static_cast<int>(page.source_rows.at(error.row)), error.reason,
                               error.code, error.detail, sync_row_json(write.rows.at(error.row))));
    }
    return park(std::move(refused));
  });
  if (!written.ok()) return written.status();
  if (refresh) {
    if (Status recorded = refresh->remember_written(write, *written); !recorded.ok())
      return recorded;
  }

  const size_t fetched = static_cast<size_t>(page.batch.rows.row_count());
  const size_t skipped = page.problems.size() + written->skipped.size();
  report_.batches += 1;
  report_.rows_fetched += fetched;
  report_.rows_skipped += skipped;
  report_.rows_written += written->already_applied ? 0 : fetched - skipped;
  if (!write.checkpoint.empty()) report_.checkpoint_after = write.checkpoint;
  if (page.newest_tracked_seconds) report_.newest_tracked_seconds = page.newest_tracked_seconds;
  return Status::Ok();
}

Status TablePageApplier::park(std::vector<DeadLetter> letters) {
  return RowParking(task_, session_.dead_letters()).park(std::move(letters));
}

}  // namespace courier::pg_to_redis
