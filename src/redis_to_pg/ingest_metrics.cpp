#include "redis_to_pg/ingest_metrics.h"

#include "core/dead_letter/letter_fields.h"

namespace courier::redis_to_pg {
namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Histogram& histogram(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(
      {}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25, 0.5, 1, 2.5, 5, 10, 30});
}

}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : registry_(registry),
      processed_(counter(registry, "redis_postgres_sync_events_processed_total",
                         "Stream entries handled: committed to Postgres or dead-lettered")),
      failed_(counter(registry, "redis_postgres_sync_events_failed_total",
                      "Stream entries (or elements) that went to the dead letters")),
      batches_(counter(registry, "redis_postgres_sync_batches_processed_total",
                       "Batches committed and acknowledged")),
      duration_(histogram(registry, "redis_postgres_sync_processing_duration_seconds",
                          "Time from reading a batch to acknowledging it")),
      events_per_second_(gauge(registry, "redis_postgres_sync_events_per_second",
                               "Entries handled per second over the last second")),
      peak_events_per_second_(gauge(registry, "redis_postgres_sync_peak_events_per_second",
                                    "Highest events_per_second seen since start")),
      redis_up_(gauge(registry, "redis_postgres_sync_redis_healthy",
                      "1 while the last Redis operation succeeded")),
      postgres_up_(gauge(registry, "redis_postgres_sync_postgres_healthy",
                         "1 while the last Postgres write succeeded")),
      uptime_(gauge(registry, "redis_postgres_sync_uptime_seconds", "Seconds since start")),
      latency_(histogram(registry, "courier_stream_ingest_end_to_end_latency_seconds",
                         "From the entry id's time to the commit of its rows")),
      pending_(prometheus::BuildGauge()
                   .Name("courier_stream_ingest_pending_entries")
                   .Help("Entries delivered to the group's consumers and not yet acknowledged")
                   .Register(registry)),
      lag_(prometheus::BuildGauge()
               .Name("courier_stream_ingest_consumer_lag_entries")
               .Help("Entries in the stream not yet delivered to the group")
               .Register(registry)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("courier_stream_ingest_dead_letters_total")
                        .Help("Entries or elements sent to the dead-letter stream")
                        .Register(registry)) {
  redis_up_.Set(1);
  postgres_up_.Set(1);
}

void IngestMetrics::record_batch(uint64_t events, uint64_t failed, double seconds) {
  processed_.Increment(static_cast<double>(events));
  processed_total_ += events;
  failed_total_ += failed;
  batches_.Increment();
  ++batches_total_;
  duration_.Observe(seconds);
}

void IngestMetrics::record_dead_letters(const std::string& stream, uint64_t letters) {
  failed_.Increment(static_cast<double>(letters));
  dead_letters_.Add({{"stream", stream}}).Increment(static_cast<double>(letters));
}

void IngestMetrics::record_latency(double seconds) {
  latency_.Observe(seconds);
}

void IngestMetrics::set_redis_healthy(bool healthy) {
  redis_healthy_ = healthy;
  redis_up_.Set(healthy ? 1 : 0);
}

void IngestMetrics::set_postgres_healthy(bool healthy) {
  postgres_healthy_ = healthy;
  postgres_up_.Set(healthy ? 1 : 0);
}

void IngestMetrics::set_pending(const std::string& stream, int64_t entries) {
  pending_.Add({{"stream", stream}}).Set(static_cast<double>(entries));
}

void IngestMetrics::set_lag(const std::string& stream, int64_t entries) {
  lag_.Add({{"stream", stream}}).Set(static_cast<double>(entries));
}

void IngestMetrics::tick() {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - last_tick_).count();
  uint64_t processed = processed_total_.load();
  if (elapsed > 0) {
    double rate = static_cast<double>(processed - processed_at_last_tick_) / elapsed;
    events_per_second_.Set(rate);
    peak_ = std::max(peak_, rate);
    peak_events_per_second_.Set(peak_);
  }
  processed_at_last_tick_ = processed;
  last_tick_ = now;
  uptime_.Set(std::chrono::duration<double>(now - started_).count());
}

nlohmann::json IngestMetrics::health_fields(CircuitState breaker) const {
  std::string state(circuit_state_name(breaker));
  return {{"redis_consumer_healthy", redis_healthy()},
          {"postgres_sync_healthy", postgres_healthy()},
          {"circuit_breaker_closed", breaker == CircuitState::kClosed},
          {"last_check", format_timestamp(std::chrono::system_clock::now())},
          {"metrics",
           {{"total_events_processed", processed()},
            {"total_events_failed", failed()},
            {"circuit_breaker_state", state},
            {"redis_consumer_health", redis_healthy()},
            {"postgres_sync_health", postgres_healthy()}}}};
}

}  // namespace courier::redis_to_pg
