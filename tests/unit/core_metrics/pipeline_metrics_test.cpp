#include "pipeline_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <utility>
#include <vector>

#include "courier/polling_coordinator.h"

namespace courier {
namespace {

std::string scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

BatchReport batch(size_t synced, size_t dead_lettered, size_t failed, Duration latency) {
  return BatchReport{.records = synced + dead_lettered + failed,
                     .synced = synced,
                     .dead_lettered = dead_lettered,
                     .failed = failed,
                     .latency = latency};
}

TEST(PipelineMetrics, CountsRecordsByOutcomeAndBatches) {
  prometheus::Registry registry;
  PipelineMetrics metrics(registry, "orders");
  metrics.record_batch(batch(98, 1, 1, std::chrono::milliseconds(3)));
  metrics.record_batch(batch(2, 0, 0, std::chrono::milliseconds(40)));
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="synced",pipeline="orders"} 100)")) << text;
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="dead_lettered",pipeline="orders"} 1)"));
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="failed",pipeline="orders"} 1)"));
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_batches_total{pipeline="orders"} 2)"));
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_batch_duration_seconds_count{pipeline="orders"} 2)"));
  // 3 ms falls in the 4 ms bucket, 40 ms does not.
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_batch_duration_seconds_bucket{pipeline="orders",le="0.004"} 1)")) << text;
}

TEST(PipelineMetrics, CountsErrorsByStage) {
  prometheus::Registry registry;
  PipelineMetrics metrics(registry, "orders");
  metrics.record_error(Stage::kMark);
  metrics.record_error(Stage::kMark);
  metrics.record_error(Stage::kFetch);
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_errors_total{pipeline="orders",stage="mark"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_errors_total{pipeline="orders",stage="fetch"} 1)"));
}

TEST(PipelineMetrics, CoordinatorHooksFeedTheMetrics) {
  prometheus::Registry registry;
  PipelineMetrics metrics(registry, "outbox");
  std::vector<int> pending = {1, 2, 3};
  PollingOptions options;
  options.hooks = metrics.coordinator_hooks();
  PollingCoordinator<int> coordinator(
      batch_source_functions<int>(
          [&](size_t) { return Result<std::vector<int>>(std::exchange(pending, {})); },
          [](std::span<const int>) { return Status(StatusCode::kUnavailable, "mark failed"); }),
      process_each<int>([](const int& record) {
        return record == 2 ? Status(StatusCode::kInvalidArgument, "bad") : Status::Ok();
      }),
      options);
  ASSERT_TRUE(coordinator.run_once().ok());
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="synced",pipeline="outbox"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="failed",pipeline="outbox"} 1)"));
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_errors_total{pipeline="outbox",stage="mark"} 1)"));
}

TEST(PipelineMetrics, BreakerTransitionsMoveTheStateGauge) {
  prometheus::Registry registry;
  PipelineMetrics metrics(registry, "orders");
  auto hook = metrics.breaker_transition_hook();
  hook(CircuitState::kClosed, CircuitState::kOpen);
  EXPECT_TRUE(has_line(scrape(registry), R"(courier_circuit_breaker_state{pipeline="orders"} 2)"));
  hook(CircuitState::kOpen, CircuitState::kHalfOpen);
  EXPECT_TRUE(has_line(scrape(registry), R"(courier_circuit_breaker_state{pipeline="orders"} 1)"));
  hook(CircuitState::kHalfOpen, CircuitState::kClosed);
  EXPECT_TRUE(has_line(scrape(registry), R"(courier_circuit_breaker_state{pipeline="orders"} 0)"));
}

TEST(PipelineMetrics, TwoPipelinesShareOneRegistry) {
  prometheus::Registry registry;
  PipelineMetrics orders(registry, "orders");
  PipelineMetrics events(registry, "events");
  orders.record_batch(batch(5, 0, 0, std::chrono::milliseconds(1)));
  events.record_batch(batch(7, 0, 0, std::chrono::milliseconds(1)));
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="synced",pipeline="orders"} 5)"));
  EXPECT_TRUE(has_line(text, R"(courier_pipeline_records_total{outcome="synced",pipeline="events"} 7)"));
}

}  // namespace
}  // namespace courier
