// ConsumerGroupSource: one consumer of a Redis consumer group as the core's StreamSource,
// for a StreamingCoordinator. receive() creates the groups when needed and reads this
// consumer's pending entries, then new ones (StreamConsumer); ack() is one pipelined XACK
// after the batch was committed; nack() leaves the entries pending, to be read again from
// this consumer's pending list. An entry is delivered once while it is in hand (a claimed
// entry also shows up in the pending list). Nothing is read while the circuit breaker that
// guards Postgres is open: entries stay in Redis, where other consumers can take them.
//
//   redis::LazyClient client(options);
//   auto source = std::make_shared<ConsumerGroupSource>(client, shared, 0);  // "<host>-0"
//   StreamingCoordinator<StreamEntry> worker(source, applier, options);
//
// Thread-safety: one coordinator worker at a time (workers = 1), like its redis::Client.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "courier/circuit_breaker.h"
#include "courier/clock.h"
#include "courier/source.h"
#include "redis/client.h"
#include "redis_to_pg/entry_decoder.h"
#include "redis_to_pg/ingest_metrics.h"
#include "redis_to_pg/stream_config.h"
#include "redis_to_pg/stream_consumer.h"

namespace courier::redis_to_pg {

struct ConsumerGroupSourceOptions {
  std::shared_ptr<CircuitBreaker> breaker;  // optional: no reads while it is open
  IngestMetrics* metrics = nullptr;         // optional: Redis health
  ClockPtr clock = system_clock();
  int worker = 0;  // for logs
};

class ConsumerGroupSource final : public StreamSource<StreamEntry> {
 public:
  // `client` and `config` must outlive the source.
  ConsumerGroupSource(redis::Client& client, const StreamsConfig& config, std::string consumer,
                      ConsumerGroupSourceOptions options);

  Result<std::vector<StreamEntry>> receive(size_t max_records, Duration max_wait,
                                           std::stop_token stop) override;
  Status ack(std::span<const StreamEntry> handled) override;
  Status nack(std::span<const StreamEntry> failed, const Status& reason) override;
  void close() override {}

  // XCLAIM … JUSTID of every entry in hand (delivered, not yet acked or nacked): while a
  // batch is held through a Postgres outage, no other consumer takes it over as idle.
  // At most once per claim_idle / 3.
  void keep_claimed();

 private:
  Status redis_failed(Status error);
  void release(std::span<const StreamEntry> entries);

  redis::Client& client_;
  const StreamsConfig& config_;
  StreamConsumer consumer_;
  ConsumerGroupSourceOptions options_;
  bool groups_ready_ = false;
  std::unordered_set<std::string> in_hand_;  // "stream\nid" of entries delivered, not done
  std::vector<StreamEntry> in_hand_ids_;     // the same, without fields, for keep_claimed
  TimePoint next_keep_claimed_{};
};

}  // namespace courier::redis_to_pg
