// IngestWorker: one consumer of stream ingest, built on the core: a ConsumerGroupSource
// (XREADGROUP, XACK) and an EntryBatchApplier (decode, one Postgres transaction, dead
// letters) driven by a StreamingCoordinator with one worker thread, its own Redis client
// and its own Postgres session. A batch closes at batch_size entries, max_batch_bytes of
// entries, or batch_timeout after its first entry; it is acked only when every row it
// stands for is committed or dead-lettered.
//
//   IngestWorker worker(shared, 0);           // consumer "<host>-0"
//   if (Status s = worker.start(); !s.ok()) fail(s);
//   shared.stop.request_stop(); worker.stop();  // finishes the batch in hand first
//
// Its Redis client and row sink come from IngestConnections: the servers IngestShared
// names, or fakes in unit tests.
//
// Thread-safety: start() and stop() from one thread; the shared state is thread-safe.
#pragma once

#include <memory>

#include "core/dead_letter/redis_stream_store.h"
#include "courier/streaming_coordinator.h"
#include "redis/client.h"
#include "redis_to_pg/consumer_group_source.h"
#include "redis_to_pg/entry_batch_applier.h"

namespace courier::redis_to_pg {

// What one worker talks to; each worker has its own.
struct IngestConnections {
  std::unique_ptr<redis::Client> redis;  // XREADGROUP, XACK and the dead letters
  std::unique_ptr<RowSink> rows;         // the rows of each batch, one transaction

  // A redis::LazyClient on shared.redis and a PostgresRowSink on shared.postgres: no I/O
  // until the first call.
  static IngestConnections to(const IngestShared& shared);
};

class IngestWorker {
 public:
  // `hooks` report the coordinator's batches and errors (optional).
  IngestWorker(IngestShared& shared, int index, CoordinatorHooks hooks = {})
      : IngestWorker(shared, index, IngestConnections::to(shared), std::move(hooks)) {}
  IngestWorker(IngestShared& shared, int index, IngestConnections connections,
               CoordinatorHooks hooks = {});
  ~IngestWorker();  // stops

  Status start() { return coordinator_->start(); }
  // Stops reading; the batch in hand is written and acked (or, when shared.stop fired
  // while Postgres was down, left pending for the restart); joins.
  void stop() { coordinator_->stop(); }
  bool running() const { return coordinator_->running(); }

 private:
  std::unique_ptr<redis::Client> redis_;
  RedisStreamDeadLetterStore letters_;
  std::unique_ptr<RowSink> rows_;
  std::shared_ptr<ConsumerGroupSource> source_;
  std::shared_ptr<EntryBatchApplier> applier_;
  std::unique_ptr<StreamingCoordinator<StreamEntry>> coordinator_;  // last: uses the above
};

}  // namespace courier::redis_to_pg
