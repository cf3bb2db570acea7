// TablePageApplier: writes pages of a table-sync task's rows to Redis, for the
// PollingCoordinator. Each page's rows, converted where they were read (table_page.h), are
// written by the task's StructureWriter together with the checkpoint after the page,
// in one atomic unit, so the checkpoint never runs ahead of the data or behind it. A task
// that refreshes its key (KeyRefresh: `refresh: replace`, or merge without tracking) writes
// through the refresh, and the run's last page (Batch::last) makes the key exact.
//
//   auto applier = std::make_shared<TablePageApplier>(task, session, report, on_page);
//   ApplyResult written = applier->apply(pages);   // synced, or failed with the reason
//
// Rows at fault — a value that cannot be converted, a row Redis refuses for its own key or
// value (WRONGTYPE on a hash task's row key) — are parked in the task's dead-letter stream
// (TaskConfig::dead_letter_key) with the task, table, primary key, reason and the row,
// logged, and left out; the page still counts as written. They are parked before the
// checkpoint moves past them: if the dead-letter stream cannot be written, the page fails
// retryably instead. A page that fails is never fatal: its pass ends, and the pass retry
// or the next pass reads it again from the stored checkpoint.
//
// Thread-safety: one apply() at a time.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "courier/applier.h"
#include "pg_to_redis/run_report.h"
#include "pg_to_redis/table_page.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_session.h"

namespace courier::pg_to_redis {

class TablePageApplier final : public Applier<TablePage> {
 public:
  // `task`, `session` and `report` must outlive the applier. `on_page` (optional) is told
  // the report after every page written.
  TablePageApplier(const TaskConfig& task, TaskSession& session, RunReport& report,
                   std::function<void(const RunReport&)> on_page);

  ApplyResult apply(std::span<const TablePage> pages) override;

 private:
  Status write_page(const TablePageData& page);
  Status write_rows(const TablePageData& page);
  // After the run's last page: the refresh finishes (if any) and the run counts as drained.
  Status finish_run();
  // Sends `letters` to the task's dead-letter stream and logs each one.
  Status park(std::vector<DeadLetter> letters);
  DeadLetter letter(const TablePageData& page, int row, std::string reason, StatusCode code,
                    std::string detail, std::string payload) const;

  const TaskConfig& task_;
  TaskSession& session_;
  RunReport& report_;
  std::function<void(const RunReport&)> on_page_;
};

}  // namespace courier::pg_to_redis
