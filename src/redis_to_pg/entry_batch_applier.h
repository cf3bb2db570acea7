// EntryBatchApplier: the apply step of stream ingest, for a StreamingCoordinator over a
// ConsumerGroupSource. Decodes a batch of entries, writes their rows in one transaction
// (a RowSink: Postgres), retrying failures with backoff through the shared circuit
// breaker, and sends refused entries and elements to the dead-letter stream. It returns
// only once the rows are committed and the letters sent, so the coordinator's ack comes
// after the commit. While Postgres is down it holds the batch (re-reading it from Redis
// would count deliveries that never reached Postgres; max_deliveries is for poison) and
// keeps it claimed; when the stop comes first, the batch fails and stays pending.
//
//   EntryBatchApplier applier(shared, rows, letters, [&] { source->keep_claimed(); });
//   ApplyResult result = applier.apply(entries);   // synced or dead-lettered, all of them
//
// Thread-safety: one thread at a time (one per consumer); the shared state is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "courier/applier.h"
#include "courier/circuit_breaker.h"
#include "courier/clock.h"
#include "courier/dead_letter.h"
#include "pg/connection.h"
#include "redis/options.h"
#include "redis_to_pg/batch_writer.h"
#include "redis_to_pg/entry_decoder.h"
#include "redis_to_pg/ingest_metrics.h"
#include "redis_to_pg/stream_config.h"

namespace courier::redis_to_pg {

// Where a batch's rows go: Postgres in `courier run`, a fake in unit tests.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Commits every row accepted and returns the refused ones (StreamBatchWriter::write);
  // an error, with nothing committed, when the batch as a whole failed.
  virtual Result<std::vector<RowRefusal>> write(std::span<const DecodedRow> rows) = 0;
};

// A StreamBatchWriter on a Postgres session of its own, opened at the first write and
// opened again after the session was lost.
class PostgresRowSink final : public RowSink {
 public:
  PostgresRowSink(pg::ConnectionOptions options, const std::vector<TableMapping>& mappings)
      : options_(std::move(options)), mappings_(mappings) {}
  Result<std::vector<RowRefusal>> write(std::span<const DecodedRow> rows) override;

 private:
  pg::ConnectionOptions options_;
  const std::vector<TableMapping>& mappings_;
  std::unique_ptr<pg::Connection> connection_;
  std::unique_ptr<StreamBatchWriter> writer_;
};

// What every consumer of one StreamIngest shares.
struct IngestShared {
  StreamsConfig config;
  pg::ConnectionOptions postgres;
  redis::ClientOptions redis;
  std::unique_ptr<EntryDecoder> decoder;
  std::shared_ptr<CircuitBreaker> breaker;  // guards Postgres writes
  IngestMetrics* metrics = nullptr;         // optional
  ClockPtr clock = system_clock();
  StopSignal stop;
};

class EntryBatchApplier final : public Applier<StreamEntry> {
 public:
  // `keep_claimed` is called now and then while a batch is held through an outage.
  EntryBatchApplier(IngestShared& shared, RowSink& rows, DeadLetterStore& letters,
                    std::function<void()> keep_claimed, int worker = 0);

  ApplyResult apply(std::span<const StreamEntry> entries) override;

 private:
  struct Letter;
  // Writes with retries through the breaker; ok when committed (refusals in `refused`).
  Status write_with_retries(std::span<const DecodedRow> rows, std::vector<RowRefusal>& refused);
  // Writes until committed, holding the batch across an outage; false when the stop came
  // first.
  bool write_until_committed(std::span<const DecodedRow> rows, std::vector<RowRefusal>& refused,
                             size_t entries);
  Status send_letters(const std::vector<Letter>& letters);
  // Waits while the breaker is open; false when stopped meanwhile.
  bool wait_for_breaker();

  IngestShared& shared_;
  RowSink& rows_;
  DeadLetterStore& letters_;
  std::function<void()> keep_claimed_;
  int worker_;
};

}  // namespace courier::redis_to_pg
