// Prometheus metrics and /health fields of stream ingest. The reference service's metric
// names are kept (redis_postgres_sync_*) so its dashboards work unchanged; Courier adds
// per-stream pending entries, consumer lag, dead letters and the end-to-end latency
// (entry id time → commit) as a histogram.
//
//   IngestMetrics metrics(registry);
//   metrics.record_batch(events, failed, seconds);
//   nlohmann::json fields = metrics.health_fields(breaker_state);   // for GET /health
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "courier/circuit_breaker.h"

namespace courier::redis_to_pg {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // A committed batch: `events` entries handled (committed or dead-lettered), of which
  // `failed` were dead-lettered; `seconds` from read to ack.
  void record_batch(uint64_t events, uint64_t failed, double seconds);
  void record_dead_letters(const std::string& stream, uint64_t letters);
  void record_latency(double seconds);
  void set_redis_healthy(bool healthy);
  void set_postgres_healthy(bool healthy);
  void set_pending(const std::string& stream, int64_t entries);
  void set_lag(const std::string& stream, int64_t entries);
  // Once a second: events/s over the last tick, its peak, uptime.
  void tick();

  uint64_t processed() const { return processed_total_.load(); }
  uint64_t failed() const { return failed_total_.load(); }
  uint64_t batches() const { return batches_total_.load(); }
  bool redis_healthy() const { return redis_healthy_.load(); }
  bool postgres_healthy() const { return postgres_healthy_.load(); }

  // The reference's /health fields: redis_consumer_healthy, postgres_sync_healthy,
  // circuit_breaker_closed, last_check, metrics{…}.
  nlohmann::json health_fields(CircuitState breaker) const;

 private:
  prometheus::Registry& registry_;
  prometheus::Counter& processed_;
  prometheus::Counter& failed_;
  prometheus::Counter& batches_;
  prometheus::Histogram& duration_;
  prometheus::Gauge& events_per_second_;
  prometheus::Gauge& peak_events_per_second_;
  prometheus::Gauge& redis_up_;
  prometheus::Gauge& postgres_up_;
  prometheus::Gauge& uptime_;
  prometheus::Histogram& latency_;
  prometheus::Family<prometheus::Gauge>& pending_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  std::atomic<uint64_t> processed_total_{0};
  std::atomic<uint64_t> failed_total_{0};
  std::atomic<uint64_t> batches_total_{0};
  std::atomic<bool> redis_healthy_{true};
  std::atomic<bool> postgres_healthy_{true};
  uint64_t processed_at_last_tick_ = 0;  // tick() runs on one thread
  double peak_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_tick_ = started_;
};

}  // namespace courier::redis_to_pg
