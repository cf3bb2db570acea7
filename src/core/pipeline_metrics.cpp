#include "pipeline_metrics.h"

#include <chrono>

namespace courier {
namespace {

prometheus::Family<prometheus::Counter>& records_family(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("courier_pipeline_records_total")
      .Help("Records a pipeline handled, by outcome: synced, dead_lettered, failed")
      .Register(registry);
}

prometheus::Family<prometheus::Counter>& errors_family(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("courier_pipeline_errors_total")
      .Help("Failed fetch, receive, apply, mark, ack and nack calls of a pipeline, by stage")
      .Register(registry);
}

// From 1 ms to about 16 s, doubling: a batch is a pipelined round trip or a transaction.
prometheus::Histogram::BucketBoundaries latency_buckets() {
  prometheus::Histogram::BucketBoundaries bounds;
  for (double bound = 0.001; bound < 20; bound *= 2) bounds.push_back(bound);
  return bounds;
}

}  // namespace

PipelineMetrics::PipelineMetrics(prometheus::Registry& registry, const std::string& pipeline)
    : synced_(records_family(registry).Add({{"pipeline", pipeline}, {"outcome", "synced"}})),
      dead_lettered_(
          records_family(registry).Add({{"pipeline", pipeline}, {"outcome", "dead_lettered"}})),
      failed_(records_family(registry).Add({{"pipeline", pipeline}, {"outcome", "failed"}})),
      batches_(prometheus::BuildCounter()
                   .Name("courier_pipeline_batches_total")
                   .Help("Batches a pipeline applied")
                   .Register(registry)
                   .Add({{"pipeline", pipeline}})),
      batch_seconds_(prometheus::BuildHistogram()
                         .Name("courier_pipeline_batch_duration_seconds")
                         .Help("Time to apply one batch, retries included")
                         .Register(registry)
                         .Add({{"pipeline", pipeline}}, latency_buckets())),
      pipeline_(pipeline),
      errors_(errors_family(registry)),
      breaker_state_(prometheus::BuildGauge()
                         .Name("courier_circuit_breaker_state")
                         .Help("Circuit breaker state: 0 closed, 1 half-open, 2 open")
                         .Register(registry)
                         .Add({{"pipeline", pipeline}})) {}

void PipelineMetrics::record_batch(const BatchReport& batch) {
  synced_.Increment(static_cast<double>(batch.synced));
  dead_lettered_.Increment(static_cast<double>(batch.dead_lettered));
  failed_.Increment(static_cast<double>(batch.failed));
  batches_.Increment();
  batch_seconds_.Observe(std::chrono::duration<double>(batch.latency).count());
}

void PipelineMetrics::record_error(Stage stage) {
  // Errors are rare: looking the labelled counter up on each one costs nothing that matters.
  errors_.Add({{"pipeline", pipeline_}, {"stage", std::string(stage_name(stage))}}).Increment();
}

CoordinatorHooks PipelineMetrics::coordinator_hooks() {
  return {.on_batch = [this](const BatchReport& batch) { record_batch(batch); },
          .on_error = [this](Stage stage, const Status&) { record_error(stage); }};
}

void PipelineMetrics::set_breaker_state(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed: breaker_state_.Set(0); break;
    case CircuitState::kHalfOpen: breaker_state_.Set(1); break;
    case CircuitState::kOpen: breaker_state_.Set(2); break;
  }
}

std::function<void(CircuitState, CircuitState)> PipelineMetrics::breaker_transition_hook() {
  return [this](CircuitState, CircuitState now) { set_breaker_state(now); };
}

}  // namespace courier
