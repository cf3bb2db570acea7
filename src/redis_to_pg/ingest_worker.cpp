#include "redis_to_pg/ingest_worker.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/retry.h"

namespace courier::redis_to_pg {
namespace {

// Longest single XREADGROUP wait: short enough to notice a stop quickly, and below the
// Redis client's socket timeout.
constexpr std::chrono::milliseconds kLongestBlock{500};
constexpr std::chrono::milliseconds kBreakerPoll{100};

// Milliseconds of an entry id ("1700000000000-0"), or nullopt.
std::optional<int64_t> entry_time_ms(const std::string& id) {
  int64_t ms = 0;
  auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), ms);
  if (error != std::errc()) return std::nullopt;
  return ms;
}

}  // namespace

struct IngestWorker::Letter {
  const StreamEntry* entry;
  size_t element_index;
  std::string table;
  Status error;
  std::string payload;
};

IngestWorker::IngestWorker(IngestShared& shared, int index) : shared_(shared), index_(index) {}

void IngestWorker::redis_failed(const Status& error) {
  if (shared_.metrics) shared_.metrics->set_redis_healthy(false);
  ++redis_failures_;
  spdlog::warn("stream ingest worker {}: redis: {}", index_, error.to_string());
  RetryPolicy backoff{.initial_delay = std::chrono::milliseconds(100),
                      .max_delay = std::chrono::seconds(5)};
  (void)shared_.clock->wait_for(delay_for_attempt(backoff, redis_failures_, 0.5),
                                shared_.stop.token());
}

size_t IngestWorker::entries_fitting(size_t bytes) const {
  if (entries_read_ == 0) return static_cast<size_t>(shared_.config.batch_size);
  size_t average = std::max<size_t>(1, bytes_read_ / entries_read_);
  return std::max<size_t>(1, bytes / average);
}

std::vector<StreamEntry> IngestWorker::collect() {
  std::vector<StreamEntry> batch;
  const size_t size = static_cast<size_t>(shared_.config.batch_size);
  const size_t max_bytes = static_cast<size_t>(shared_.config.max_batch_bytes);
  size_t bytes = 0;
  std::unordered_set<std::string> seen;
  // Entries join the batch while it has room (a first entry always does); the rest wait
  // for the next batch, read already.
  std::vector<StreamEntry> overflow;
  auto take = [&](std::vector<StreamEntry>& entries) {
    for (StreamEntry& entry : entries) {
      // A claimed entry is also in this consumer's pending list: keep it once.
      if (!seen.insert(entry.stream + '\n' + entry.id).second) continue;
      const size_t entry_bytes = entry.byte_size();
      if (batch.size() < size && (batch.empty() || bytes + entry_bytes <= max_bytes)) {
        bytes += entry_bytes;
        batch.push_back(std::move(entry));
      } else {
        overflow.push_back(std::move(entry));
      }
    }
  };
  std::vector<StreamEntry> carried = std::move(read_ahead_);
  take(carried);
  std::optional<TimePoint> deadline;  // batch_timeout after the first entry
  if (!batch.empty()) deadline = shared_.clock->now() + shared_.config.batch_timeout;
  while (overflow.empty() && batch.size() < size && bytes < max_bytes &&
         !shared_.stop.stop_requested()) {
    auto block = kLongestBlock;
    if (deadline) {
      auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - shared_.clock->now());
      if (remaining.count() <= 0) break;
      block = std::min(block, remaining);
    }
    auto read =
        consumer_->read(std::min(size - batch.size(), entries_fitting(max_bytes - bytes)), block);
    if (!read.ok()) {
      redis_failed(read.status());
      if (batch.empty()) return batch;
      break;
    }
    redis_failures_ = 0;
    if (shared_.metrics) shared_.metrics->set_redis_healthy(true);
    if (!read->empty() && !deadline) deadline = shared_.clock->now() + shared_.config.batch_timeout;
    for (const StreamEntry& entry : *read) bytes_read_ += entry.byte_size();
    entries_read_ += read->size();
    take(*read);
  }
  read_ahead_ = std::move(overflow);
  return batch;
}

bool IngestWorker::wait_for_breaker() {
  while (shared_.breaker->state() == CircuitState::kOpen) {
    if (!shared_.clock->wait_for(kBreakerPoll, shared_.stop.token())) return false;
  }
  return true;
}

Status IngestWorker::write_once(const std::vector<DecodedRow>& rows,
                                std::vector<RowRefusal>& refused) {
  if (!postgres_ || !postgres_->is_open()) {
    if (postgres_) {
      if (Status reconnected = postgres_->reconnect(); !reconnected.ok()) return reconnected;
    } else {
      auto opened = pg::Connection::open(shared_.postgres);
      if (!opened.ok()) return opened.status();
      postgres_ = std::move(*opened);
      writer_ = std::make_unique<StreamBatchWriter>(*postgres_, shared_.decoder->mappings());
    }
  }
  auto written = writer_->write(rows);
  if (!written.ok()) {
    // Anything but a lost connection leaves a usable session; a lost one reconnects next.
    return written.status().retryable() || written.status().code() == StatusCode::kOutcomeUnknown
               ? Status(StatusCode::kUnavailable, written.status().message(),
                        written.status().detail())
               : written.status();
  }
  refused = std::move(*written);
  return Status::Ok();
}

Status IngestWorker::write_with_retries(const std::vector<DecodedRow>& rows,
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
    Status once = write_once(rows, refused);
    if (once.ok() || once.retryable()) return once;
    return Status(StatusCode::kUnavailable, once.message(), once.detail());
  });
  permit->record(outcome.ok() ? CallOutcome::kSuccess : CallOutcome::kFailure);
  if (shared_.metrics) shared_.metrics->set_postgres_healthy(outcome.ok());
  return outcome;
}

bool IngestWorker::write_until_committed(const std::vector<DecodedRow>& rows,
                                         std::vector<RowRefusal>& refused,
                                         std::vector<StreamEntry>& entries) {
  // The batch stays in hand while Postgres is down: reading it again from Redis would
  // count deliveries that never reached Postgres, and max_deliveries is for poison entries.
  for (unsigned failures = 0;; ++failures) {
    Status written = write_with_retries(rows, refused);
    if (written.ok()) return true;
    if (failures == 0)
      spdlog::warn("stream ingest worker {}: batch of {} entries not written, holding it: {}",
                   index_, entries.size(), written.to_string());
    if (shared_.stop.stop_requested()) {
      consumer_->resume_pending();  // not acked: read again after the restart
      return false;
    }
    keep_claimed(entries);
    // Not at once: the breaker may be turning batches away while another probes.
    if (!shared_.clock->wait_for(kBreakerPoll, shared_.stop.token()) || !wait_for_breaker()) {
      consumer_->resume_pending();
      return false;
    }
  }
}

void IngestWorker::keep_claimed(std::vector<StreamEntry>& entries) {
  auto now = shared_.clock->now();
  if (now < next_keep_claimed_) return;
  next_keep_claimed_ = now + shared_.config.claim_idle / 3;
  consumer_->refresh_claim(entries);
  if (!read_ahead_.empty()) consumer_->refresh_claim(read_ahead_);
}

Status IngestWorker::send_letters(const std::vector<Letter>& letters) {
  if (letters.empty()) return Status::Ok();
  RedisStreamDeadLetterStore store(
      *redis_, shared_.config.dead_letter_stream,
      {.max_length = static_cast<size_t>(shared_.config.dead_letter_max_length)});
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
  auto sent = retry_call(retry, [&] { return store.send(batch); });
  if (!sent.ok()) return sent.status();
  if (shared_.metrics) {
    for (const Letter& letter : letters)
      shared_.metrics->record_dead_letters(letter.entry->stream, 1);
  }
  return Status::Ok();
}

void IngestWorker::process(std::vector<StreamEntry>& entries) {
  auto started = std::chrono::steady_clock::now();
  std::vector<Letter> letters;
  std::vector<DecodedRow> rows;
  std::vector<size_t> row_entry;  // rows[i] belongs to entries[row_entry[i]]
  std::vector<std::string> row_payload;
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
      continue;
    }
    DecodedEntry decoded = shared_.decoder->decode(entry);
    for (RejectedElement& bad : decoded.rejected)
      letters.push_back(
          {&entry, bad.element_index, {}, std::move(bad.error), std::move(bad.payload)});
    for (DecodedRow& row : decoded.rows) {
      rows.push_back(std::move(row));
      row_entry.push_back(i);
    }
  }
  std::vector<RowRefusal> refused;
  if (!rows.empty() && !write_until_committed(rows, refused, entries)) return;
  for (const RowRefusal& refusal : refused) {
    const DecodedRow& row = rows[refusal.row];
    const TableMapping& mapping = shared_.decoder->mappings()[row.mapping];
    nlohmann::json values = nlohmann::json::object();
    for (size_t c = 0; c < mapping.columns.size(); ++c)
      values[mapping.columns[c].column] =
          row.values[c] ? nlohmann::json(*row.values[c]) : nlohmann::json();
    letters.push_back(
        {&entries[row_entry[refusal.row]], row.element_index, mapping.table,
         Status(refusal.error.code(),
                "table " + mapping.table + " refused the row: " + refusal.error.message(),
                refusal.error.detail()),
         values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  if (Status sent = send_letters(letters); !sent.ok()) {
    redis_failed(sent);
    consumer_->resume_pending();
    return;
  }
  if (Status acked = consumer_->ack(entries); !acked.ok()) {
    redis_failed(acked);  // committed rows are written again harmlessly when redelivered
    consumer_->resume_pending();
    return;
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
}

void IngestWorker::run() {
  auto client = redis::make_client(shared_.redis);
  while (!client.ok()) {
    redis_failed(client.status());
    if (shared_.stop.stop_requested()) return;
    client = redis::make_client(shared_.redis);
  }
  redis_ = std::move(*client);
  consumer_ = std::make_unique<StreamConsumer>(*redis_, shared_.config,
                                               consumer_name_for(shared_.config.consumer, index_));
  while (!shared_.stop.stop_requested()) {
    if (Status created = consumer_->ensure_groups(); created.ok())
      break;
    else
      redis_failed(created);
  }
  while (!shared_.stop.stop_requested()) {
    if (!wait_for_breaker()) break;
    std::vector<StreamEntry> batch = collect();
    if (!batch.empty()) process(batch);
  }
}

}  // namespace courier::redis_to_pg
