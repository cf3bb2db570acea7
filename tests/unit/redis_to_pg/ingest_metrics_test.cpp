// The reference service's /health fields and metric names, fed by IngestMetrics, and
// health that recovers when the stores do.
#include "redis_to_pg/ingest_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "http/health.h"

namespace courier::redis_to_pg {
namespace {

std::string exposition(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(IngestMetrics, HealthHasTheReferenceFieldsAndRecovers) {
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  http::HealthRegistry health;
  health.add_fields([&] { return metrics.health_fields(CircuitState::kClosed); });
  metrics.record_batch(10, 2, 0.01);
  metrics.set_redis_healthy(false);
  nlohmann::json report = health.report();
  EXPECT_EQ(report["redis_consumer_healthy"], false);
  EXPECT_EQ(report["postgres_sync_healthy"], true);
  EXPECT_EQ(report["circuit_breaker_closed"], true);
  EXPECT_TRUE(report["last_check"].is_string());
  EXPECT_EQ(report["metrics"]["total_events_processed"], 10);
  EXPECT_EQ(report["metrics"]["total_events_failed"], 2);
  EXPECT_EQ(report["metrics"]["circuit_breaker_state"], "closed");
  EXPECT_EQ(report["metrics"]["redis_consumer_health"], false);
  EXPECT_TRUE(report.contains("checks"));  // the registry's own members stay
  metrics.set_redis_healthy(true);
  EXPECT_EQ(health.report()["redis_consumer_healthy"], true);
}

TEST(IngestMetrics, AddedFieldsNeverReplaceTheRegistrysOwn) {
  http::HealthRegistry health;
  health.add("failing", [] { return http::HealthReport{false, "down"}; });
  health.add_fields([] { return nlohmann::json{{"healthy", true}, {"extra", 1}}; });
  nlohmann::json report = health.report();
  EXPECT_EQ(report["healthy"], false);
  EXPECT_EQ(report["extra"], 1);
}

TEST(IngestMetrics, ExposesTheReferenceMetricNamesWithRealValues) {
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  metrics.record_batch(7, 1, 0.02);
  metrics.record_dead_letters("s", 1);
  metrics.record_latency(0.004);
  metrics.set_pending("s", 3);
  metrics.set_lag("s", 4);
  metrics.set_postgres_healthy(false);
  metrics.tick();
  std::string text = exposition(registry);
  for (std::string_view line :
       {"redis_postgres_sync_events_processed_total 7", "redis_postgres_sync_events_failed_total 1",
        "redis_postgres_sync_batches_processed_total 1",
        "redis_postgres_sync_processing_duration_seconds_count 1",
        "redis_postgres_sync_redis_healthy 1", "redis_postgres_sync_postgres_healthy 0",
        "courier_stream_ingest_pending_entries{stream=\"s\"} 3",
        "courier_stream_ingest_consumer_lag_entries{stream=\"s\"} 4",
        "courier_stream_ingest_dead_letters_total{stream=\"s\"} 1",
        "courier_stream_ingest_end_to_end_latency_seconds_count 1"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  for (std::string_view name :
       {"redis_postgres_sync_events_per_second", "redis_postgres_sync_peak_events_per_second",
        "redis_postgres_sync_uptime_seconds"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace courier::redis_to_pg
