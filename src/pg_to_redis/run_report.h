// RunReport / RunOutcome: what one run of a table-sync task did, for logs (describe_run),
// metrics (TaskMetrics) and progress lines (`courier once`).
//
//   RunOutcome outcome = runner.run();
//   spdlog::info("{} rows written", outcome.report.rows_written);
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "courier/status.h"

namespace courier::pg_to_redis {

// What one run did (also filled in, as far as it got, when the run failed).
struct RunReport {
  size_t batches = 0;
  size_t rows_fetched = 0;
  size_t rows_written = 0;
  size_t rows_skipped = 0;  // not convertible, or refused by Redis; each one dead-lettered
  // `refresh: merge` without tracking: map fields and members removed because their rows
  // left the query (KeyRefresh).
  size_t members_removed = 0;
  size_t attempts = 0;      // 1 unless retryable failures made the run start again
  std::optional<std::string> checkpoint_before;  // stored when the run began; nullopt: none
  std::optional<std::string> checkpoint_after;   // stored when the run ended
  // The newest tracking value written, as Unix seconds (time tracking columns with ">").
  std::optional<double> newest_tracked_seconds;
  std::chrono::milliseconds duration{0};
  bool locked_elsewhere = false;  // another courier process holds the task: nothing done
  bool drained = false;  // the run wrote its last page (and made a refreshed key exact)
  bool stopped = false;  // shutdown asked for before the table was drained
};

struct RunOutcome {
  Status status;
  RunReport report;
};

}  // namespace courier::pg_to_redis
