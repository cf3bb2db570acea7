#include "redis_to_pg/entry_batch_applier.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "courier/retry.h"

namespace courier::redis_to_pg {
namespace {

constexpr std::chrono::milliseconds kBreakerPoll{100};

// Milliseconds of an entry id ("1700000000000-0"), or nullopt.
std::optional<int64_t> entry_time_ms(const std::string& id) {
  int64_t ms = 0;
  auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), ms);
  if (error != std::errc()) return std::nullopt;
  return ms;
}

}  // namespace

Result<std::vector<RowRefusal>> PostgresRowSink::write(std::span<const DecodedRow> rows) {
  if (!connection_) {
    auto opened = pg::Connection::open(options_);
    if (!opened.ok()) return opened.status();
    connection_ = std::move(*opened);
    writer_ = std::make_unique<StreamBatchWriter>(*connection_, mappings_);
  } else if (!connection_->is_open()) {
    if (Status reconnected = connection_->reconnect(); !reconnected.ok()) return reconnected;
  }
  auto written = writer_->write(rows);
  if (written.ok()) return written;
  // Anything but a lost connection leaves a usable session; a lost one reconnects next.
  const Status& error = written.status();
  if (error.retryable() || error.code() == StatusCode::kOutcomeUnknown)
    return Status(StatusCode::kUnavailable, error.message(), error.detail());
  return error;
}

struct EntryBatchApplier::Letter {
  const StreamEntry* entry;
  size_t element_index;
  std::string table;
  Status error;
  std::string payload;
};

EntryBatchApplier::EntryBatchApplier(IngestShared& shared, RowSink& rows, DeadLetterStore& letters,
                                     std::function<void()> keep_claimed, int worker)
    : shared_(shared),
      rows_(rows),
      letters_(letters),
      keep_claimed_(std::move(keep_claimed)),
      worker_(worker) {}

bool EntryBatchApplier::wait_for_breaker() {
  while (shared_.breaker->state() == CircuitState::kOpen) {
    if (!shared_.clock->wait_for(kBreakerPoll, shared_.stop.token())) return false;
  }
  return true;
}

Status EntryBatchApplier::write_with_retries(std::span<const DecodedRow> rows,
                                             std::vector<RowRefusal>& refused) {
  std::optional<CircuitBreaker::Permit> permit = shared_.breaker->try_acquire();
  if (!permit) return shared_.breaker->open_error();
  RetryOptions retry{
      .policy = {.max_attempts = static_cast<unsigned>(shared_.config.max_retries) + 1,
                 .initial_delay = std::chrono::milliseconds(100),
                 .max_delay = std::chrono::seconds(5)},
      .clock = shared_.clock,
      .stop = shared_.stop.token(),
  };
  // A batch that failed for another reason than a lost connection (e.g. a missing table)
  // is retried too: its entries must not be lost, and the breaker hears of it.
  Status outcome = retry_call(retry, [&]() -> Status {
    auto written = rows_.write(rows);
    if (written.ok()) {
      refused = std::move(*written);
      return Status::Ok();
    }
    const Status& once = written.status();
    if (once.retryable()) return once;
    return Status(StatusCode::kUnavailable, once.message(), once.detail());
  });
  permit->record(outcome.ok() ? CallOutcome::kSuccess : CallOutcome::kFailure);
  if (shared_.metrics) shared_.metrics->set_postgres_healthy(outcome.ok());
  return outcome;
}

bool EntryBatchApplier::write_until_committed(std::span<const DecodedRow> rows,
                                              std::vector<RowRefusal>& refused, size_t entries) {
  for (unsigned failures = 0;; ++failures) {
    Status written = write_with_retries(rows, refused);
    if (written.ok()) return true;
    if (failures == 0)
      spdlog::warn("stream ingest worker {}: batch of {} entries not written, holding it: {}",
                   worker_, entries, written.to_string());
    if (shared_.stop.stop_requested()) return false;
    if (keep_claimed_) keep_claimed_();
    // Not at once: the breaker may be turning batches away while another probes.
    if (!shared_.clock->wait_for(kBreakerPoll, shared_.stop.token()) || !wait_for_breaker())
      return false;
  }
}

Status EntryBatchApplier::send_letters(const std::vector<Letter>& letters) {
  if (letters.empty()) return Status::Ok();
  std::vector<DeadLetter> batch;
  auto now = std::chrono::system_clock::now();
  for (const Letter& letter : letters) {
    DeadLetter dead{.payload = letter.payload,
                    .error = letter.error.message(),
                    .error_code = std::string(status_code_name(letter.error.code())),
                    .error_detail = letter.error.detail(),
                    .first_failure = now,
                    .last_failure = now};
    dead.metadata = {{"stream", letter.entry->stream},
                     {"entry_id", letter.entry->id},
                     {"group", shared_.config.group},
                     {"deliveries", std::to_string(letter.entry->deliveries)}};
    if (letter.element_index != kWholeEntry)
      dead.metadata["element_index"] = std::to_string(letter.element_index);
    if (!letter.table.empty()) dead.metadata["table"] = letter.table;
    batch.push_back(std::move(dead));
  }
  RetryOptions retry{
      .policy = {.max_attempts = 3}, .clock = shared_.clock, .stop = shared_.stop.token()};
  auto sent = retry_call(retry, [&] { return letters_.send(batch); });
  if (!sent.ok()) return sent.status();
  if (shared_.metrics) {
    for (const Letter& letter : letters)
      shared_.metrics->record_dead_letters(letter.entry->stream, 1);
  }
  return Status::Ok();
}

ApplyResult EntryBatchApplier::apply(std::span<const StreamEntry> entries) {
  auto started = std::chrono::steady_clock::now();
  std::vector<Letter> letters;
  std::vector<bool> whole_entry_lettered(entries.size(), false);
  std::vector<DecodedRow> rows;
  std::vector<size_t> row_entry;  // rows[i] belongs to entries[row_entry[i]]
  for (size_t i = 0; i < entries.size(); ++i) {
    const StreamEntry& entry = entries[i];
    if (entry.deliveries > shared_.config.max_deliveries) {
      letters.push_back({&entry,
                         kWholeEntry,
                         {},
                         Status(StatusCode::kFailedPrecondition,
                                "delivered " + std::to_string(entry.deliveries) +
                                    " times, more than max_deliveries (" +
                                    std::to_string(shared_.config.max_deliveries) + ")"),
                         entry_as_json(entry)});
      whole_entry_lettered[i] = true;
      continue;
    }
    DecodedEntry decoded = shared_.decoder->decode(entry);
    for (RejectedElement& bad : decoded.rejected) {
      if (bad.element_index == kWholeEntry) whole_entry_lettered[i] = true;
      letters.push_back(
          {&entry, bad.element_index, {}, std::move(bad.error), std::move(bad.payload)});
    }
    for (DecodedRow& row : decoded.rows) {
      rows.push_back(std::move(row));
      row_entry.push_back(i);
    }
  }
  std::vector<RowRefusal> refused;
  if (!rows.empty() && !write_until_committed(rows, refused, entries.size())) {
    return ApplyResult::all_failed(
        entries.size(), Status(StatusCode::kCancelled, "stopped before the batch was committed"));
  }
  for (const RowRefusal& refusal : refused) {
    const DecodedRow& row = rows[refusal.index];
    const TableMapping& mapping = shared_.decoder->mappings()[row.mapping];
    nlohmann::json values = nlohmann::json::object();
    for (size_t c = 0; c < mapping.columns.size(); ++c)
      values[mapping.columns[c].column] =
          row.values[c] ? nlohmann::json(*row.values[c]) : nlohmann::json();
    letters.push_back(
        {&entries[row_entry[refusal.index]], row.element_index, mapping.table,
         Status(refusal.reason.code(),
                "table " + mapping.table + " refused the row: " + refusal.reason.message(),
                refusal.reason.detail()),
         values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  if (Status sent = send_letters(letters); !sent.ok()) {
    spdlog::warn("stream ingest worker {}: dead letters not sent, the batch stays pending: {}",
                 worker_, sent.to_string());
    return ApplyResult::all_failed(entries.size(), sent);
  }
  if (shared_.metrics) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    for (const StreamEntry& entry : entries) {
      if (auto ms = entry_time_ms(entry.id))
        shared_.metrics->record_latency((now_ms - *ms) / 1000.0);
    }
    shared_.metrics->record_batch(
        entries.size(), letters.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  for (const Letter& letter : letters)
    spdlog::warn("stream ingest: dead-lettered {} {}{}: {}", letter.entry->stream, letter.entry->id,
                 letter.element_index == kWholeEntry
                     ? ""
                     : " element " + std::to_string(letter.element_index),
                 letter.error.message());
  ApplyResult result;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (whole_entry_lettered[i]) {
      result.add_dead_lettered(i);
    } else {
      result.add_synced(i);
    }
  }
  return result;
}

}  // namespace courier::redis_to_pg
