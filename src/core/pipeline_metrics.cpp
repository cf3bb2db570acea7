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
      .Help("Failed fetch, apply and mark calls of a pipeline, by stage")
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
      fetch_errors_(errors_family(registry).Add({{"pipeline", pipeline}, {"stage", "fetch"}})),
      apply_errors_(errors_family(registry).Add({{"pipeline", pipeline}, {"stage", "apply"}})),
      mark_errors_(errors_family(registry).Add({{"pipeline", pipeline}, {"stage", "mark"}})),
      breaker_state_(prometheus::BuildGauge()
                         .Name("courier_circuit_breaker_state")
                         .Help("Circuit breaker state: 0 closed, 1 half-open, 2 open")
                         .Register(registry)
                         .Add({{"pipeline", pipeline}})) {}

void PipelineMetrics::record_batch(const BatchCounts& counts, Duration latency) {
  synced_.Increment(static_cast<double>(counts.synced));
  dead_lettered_.Increment(static_cast<double>(counts.dead_lettered));
  failed_.Increment(static_cast<double>(counts.failed));
  batches_.Increment();
  batch_seconds_.Observe(std::chrono::duration<double>(latency).count());
}

void PipelineMetrics::record_error(PipelineStage stage) {
  switch (stage) {
    case PipelineStage::kFetch: fetch_errors_.Increment(); break;
    case PipelineStage::kApply: apply_errors_.Increment(); break;
    case PipelineStage::kMark: mark_errors_.Increment(); break;
  }
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
