// IngestWorker: one consumer of stream ingest, on its own thread with its own Redis and
// Postgres connections. Its loop: read a batch (closed at batch_size entries, at
// max_batch_bytes of entries, or batch_timeout after its first entry), decode, write in
// one transaction (retrying transient failures with backoff, through the shared circuit
// breaker), send refused entries and elements to the dead-letter stream, then ack the
// whole batch in one round trip. An entry is acked only
// when every row it stands for is committed or dead-lettered.
//
//   IngestWorker worker(shared, 0);           // consumer "<host>-0"
//   std::thread thread([&] { worker.run(); });
//   shared.stop.request_stop(); thread.join();  // finishes the batch in hand first
//
// Thread-safety: run() on one thread; the shared state is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "courier/circuit_breaker.h"
#include "courier/clock.h"
#include "pg/connection.h"
#include "redis/client.h"
#include "redis_to_pg/batch_writer.h"
#include "redis_to_pg/entry_decoder.h"
#include "redis_to_pg/ingest_metrics.h"
#include "redis_to_pg/stream_config.h"
#include "redis_to_pg/stream_consumer.h"

namespace courier::redis_to_pg {

// What every worker of one StreamIngest shares.
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

class IngestWorker {
 public:
  IngestWorker(IngestShared& shared, int index);
  // Runs until shared.stop fires; the batch in hand is finished first.
  void run();

 private:
  struct Letter;
  // Reads a batch, closed at batch_size entries, max_batch_bytes or batch_timeout after
  // its first entry; empty when stopped or on a Redis failure (already reported).
  std::vector<StreamEntry> collect();
  // How many entries of the average size read so far fit in `bytes` (at least one).
  size_t entries_fitting(size_t bytes) const;
  void process(std::vector<StreamEntry>& entries);
  // Writes with retries; ok when committed (refusals in `refused`).
  Status write_with_retries(const std::vector<DecodedRow>& rows, std::vector<RowRefusal>& refused);
  // Writes until committed, holding the batch across a Postgres outage; false when the
  // stop came first (the batch stays pending for the restart).
  bool write_until_committed(const std::vector<DecodedRow>& rows, std::vector<RowRefusal>& refused,
                             std::vector<StreamEntry>& entries);
  // While a batch is held, keeps other consumers from claiming it (and the entries read
  // ahead) as idle.
  void keep_claimed(std::vector<StreamEntry>& entries);
  Status write_once(const std::vector<DecodedRow>& rows, std::vector<RowRefusal>& refused);
  Status send_letters(const std::vector<Letter>& letters);
  // Waits while the breaker is open; false when stopped meanwhile.
  bool wait_for_breaker();
  void redis_failed(const Status& error);

  IngestShared& shared_;
  int index_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<StreamConsumer> consumer_;
  std::unique_ptr<pg::Connection> postgres_;
  std::unique_ptr<StreamBatchWriter> writer_;
  unsigned redis_failures_ = 0;
  TimePoint next_keep_claimed_{};
  // Entries read beyond the last batch's caps, pending here: the next batch starts with them.
  std::vector<StreamEntry> read_ahead_;
  uint64_t bytes_read_ = 0;  // entry bytes and entries read so far, for entries_fitting
  uint64_t entries_read_ = 0;
};

}  // namespace courier::redis_to_pg
