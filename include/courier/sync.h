// The three-function form: say how to fetch records, how to process one, and how to mark
// a batch done; get a polling coordinator. The returned coordinator is not started yet,
// so the caller chooses: start() to poll until stop(), or run_once() for one pass.
//
//   auto outbox = courier::sync_with_retry<Event>(fetch_unsent, publish, mark_sent, 5);
//   if (courier::Status started = outbox->start(); !started.ok()) die(started);
//   auto once = courier::run_once<Event>(fetch_unsent, publish, mark_sent);  // cron job
//
// fetch receives the batch size (PollingOptions::batch_size) and returns at most that many
// records. process is called for each record in order; a non-ok status fails that record,
// which is then left unmarked and fetched again later (at-least-once). mark receives the
// records that were processed.
//
// Thread-safety: the three functions are called from one thread at a time (the
// coordinator's, or run_once()'s caller); see polling_coordinator.h for the coordinator.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/polling_coordinator.h"
#include "courier/retry.h"
#include "courier/source.h"
#include "courier/status.h"

namespace courier {

template <typename Record>
using FetchFunction = std::function<Result<std::vector<Record>>(size_t max_records)>;
template <typename Record>
using ProcessFunction = std::function<Status(const Record&)>;
template <typename Record>
using MarkFunction = std::function<Status(std::span<const Record> processed)>;

// fetch → process each → mark, polling every options.interval. Not started.
template <typename Record>
std::unique_ptr<PollingCoordinator<Record>> sync(FetchFunction<Record> fetch,
                                                 ProcessFunction<Record> process,
                                                 MarkFunction<Record> mark,
                                                 PollingOptions options = {}) {
  if (!process) throw std::invalid_argument("courier::sync needs a process function");
  return std::make_unique<PollingCoordinator<Record>>(
      batch_source_functions<Record>(std::move(fetch), std::move(mark)),
      process_each<Record>(std::move(process)), std::move(options));
}

// As sync(), but a record whose process fails with a retryable error (Status::retryable())
// is tried again, up to `attempts` tries in all (0 = until it succeeds), with the default
// backoff of RetryPolicy waited on options.clock. Retries give up when stop()'s deadline
// passes (options.abort). Not started.
template <typename Record>
std::unique_ptr<PollingCoordinator<Record>> sync_with_retry(FetchFunction<Record> fetch,
                                                            ProcessFunction<Record> process,
                                                            MarkFunction<Record> mark, int attempts,
                                                            PollingOptions options = {}) {
  if (attempts < 0) {
    throw std::invalid_argument("courier::sync_with_retry: attempts must be >= 0 (0 = unlimited)");
  }
  if (!process) throw std::invalid_argument("courier::sync_with_retry needs a process function");
  RetryOptions retry;
  retry.policy.max_attempts = static_cast<unsigned>(attempts);
  retry.clock = options.clock;
  retry.stop = options.abort.token();
  auto applier = std::make_shared<RetryingApplier<Record>>(process_each<Record>(std::move(process)),
                                                           std::move(retry));
  return std::make_unique<PollingCoordinator<Record>>(
      batch_source_functions<Record>(std::move(fetch), std::move(mark)), std::move(applier),
      std::move(options));
}

// One drain pass of sync() on the caller's thread, for cron jobs: fetches (options.batch_size
// at a time) until a batch comes back short. The counts say what happened;
// `result->status()` is ok when every record was processed and marked.
template <typename Record>
Result<RunResult> run_once(FetchFunction<Record> fetch, ProcessFunction<Record> process,
                           MarkFunction<Record> mark, PollingOptions options = {}) {
  return sync<Record>(std::move(fetch), std::move(process), std::move(mark), std::move(options))
      ->run_once();
}

}  // namespace courier
