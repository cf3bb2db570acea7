#include "redis_to_pg/ingest_worker.h"

#include <algorithm>

#include "redis/lazy_client.h"

namespace courier::redis_to_pg {

IngestConnections IngestConnections::to(const IngestShared& shared) {
  return {.redis = std::make_unique<redis::LazyClient>(shared.redis),
          .rows = std::make_unique<PostgresRowSink>(shared.postgres, shared.decoder->mappings())};
}

IngestWorker::IngestWorker(IngestShared& shared, int index, IngestConnections connections,
                           CoordinatorHooks hooks)
    : redis_(std::move(connections.redis)),
      letters_(*redis_, shared.config.dead_letter_stream,
               {.max_length = static_cast<size_t>(shared.config.dead_letter_max_length)}),
      rows_(std::move(connections.rows)),
      source_(std::make_shared<ConsumerGroupSource>(
          *redis_, shared.config, consumer_name_for(shared.config.consumer, index),
          ConsumerGroupSourceOptions{.breaker = shared.breaker,
                                     .metrics = shared.metrics,
                                     .clock = shared.clock,
                                     .worker = index})),
      applier_(std::make_shared<EntryBatchApplier>(
          shared, *rows_, letters_, [source = source_.get()] { source->keep_claimed(); }, index)) {
  StreamingOptions options;
  options.workers = 1;
  options.batch_size = static_cast<size_t>(shared.config.batch_size);
  options.max_batch_bytes = static_cast<size_t>(shared.config.max_batch_bytes);
  options.max_wait = std::max<Duration>(shared.config.batch_timeout, std::chrono::milliseconds(1));
  // A read that drains the stream ends the batch: at low rates an entry waits one round
  // trip, not batch_timeout; under load batches fill while the previous one commits.
  options.apply_when_drained = true;
  // Redis unreachable: ask again after 100 ms, 200 ms, … up to 5 s.
  options.receive_error_interval = std::chrono::milliseconds(100);
  options.max_receive_error_interval = std::chrono::seconds(5);
  options.clock = shared.clock;
  options.hooks = std::move(hooks);
  coordinator_ = std::make_unique<StreamingCoordinator<StreamEntry>>(source_, applier_, options);
}

IngestWorker::~IngestWorker() {
  stop();
}

}  // namespace courier::redis_to_pg
