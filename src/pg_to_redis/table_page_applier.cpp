#include "pg_to_redis/table_page_applier.h"

#include <cstdlib>
#include <utility>

#include "pg_to_redis/row_parking.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {

TablePageApplier::TablePageApplier(const TaskConfig& task, TaskSession& session,
                                   RunReport& report,
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
    if (on_page_ && !pages[i]->empty()) on_page_(report_);
  }
  return result;
}

Status TablePageApplier::prepare(const Batch& page) {
  if (converter_ && converter_generation_ == session_.generation()) return Status::Ok();
  const TableReader& reader = session_.reader();
  auto converter = RowConverter::make(task_, page.rows, reader.primary_key());
  if (!converter.ok()) return converter.status();
  converter_.emplace(std::move(*converter));
  converter_generation_ = session_.generation();
  tracking_column_.reset();
  if (task_.tracking && task_.tracking->op == TrackingOperator::kGreater) {
    auto index = page.rows.column_index(reader.query().cursor_columns().front());
    if (index && is_time_type(page.rows.column_type(*index))) tracking_column_ = index;
  }
  return Status::Ok();
}

DeadLetter TablePageApplier::letter(const Batch& page, int row, std::string reason,
                                    StatusCode code, std::string detail,
                                    std::string payload) const {
  return RowParking(task_, session_.dead_letters())
      .letter(converter_->row_identity(page.rows, row), std::move(reason), code,
                         std::move(detail), std::move(payload));
}

Status TablePageApplier::write_page(const Batch& page) {
  if (!page.empty()) {
    if (Status written = write_rows(page); !written.ok()) return written;
  }
  return page.last ? finish_run() : Status::Ok();
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

Status TablePageApplier::write_rows(const Batch& page) {
  if (Status prepared = prepare(page); !prepared.ok()) return prepared;
  ConvertedRows converted = converter_->convert(page.rows);
  // Rows that cannot be converted are parked before anything of the page is written.
  std::vector<DeadLetter> unconvertible;
  for (const RowProblem& problem : converted.problems) {
    const int row = static_cast<int>(problem.row);
    unconvertible.push_back(letter(page, row, problem.reason, StatusCode::kInvalidArgument, "",
                                   source_row_json(page.rows, row)));
  }
  if (Status parked = park(std::move(unconvertible)); !parked.ok()) return parked;
  // Without tracking every run reads the whole table, so no checkpoint is kept.
  WriteBatch write{std::move(converted.rows),
                   task_.tracking && page.after ? page.after->encode() : std::string()};
  KeyRefresh* refresh = session_.refresh();
  StructureWriter& writer = refresh ? refresh->writer() : session_.writer();
  Result<WriteReport> written =
      writer.write(write, [&](const std::vector<RowError>& errors) {
        std::vector<DeadLetter> refused;
        for (const RowError& error : errors) {
          refused.push_back(letter(page, static_cast<int>(converted.source_rows.at(error.row)),
                                   error.reason, error.code, error.detail,
                                   sync_row_json(write.rows.at(error.row))));
        }
        return park(std::move(refused));
      });
  if (!written.ok()) return written.status();
  if (refresh) {
    if (Status recorded = refresh->remember_written(write, *written); !recorded.ok())
      return recorded;
  }

  const size_t fetched = static_cast<size_t>(page.rows.row_count());
  const size_t skipped = converted.problems.size() + written->skipped.size();
  report_.batches += 1;
  report_.rows_fetched += fetched;
  report_.rows_skipped += skipped;
  report_.rows_written += written->already_applied ? 0 : fetched - skipped;
  if (!write.checkpoint.empty()) report_.checkpoint_after = write.checkpoint;
  if (tracking_column_) {
    auto seconds = to_sorted_set_score(page.rows.column_type(*tracking_column_),
                                       page.rows.get(fetched - 1, *tracking_column_));
    if (seconds.ok()) report_.newest_tracked_seconds = std::strtod(seconds->c_str(), nullptr);
  }
  return Status::Ok();
}

Status TablePageApplier::park(std::vector<DeadLetter> letters) {
  return RowParking(task_, session_.dead_letters()).park(std::move(letters));
}

}  // namespace courier::pg_to_redis
