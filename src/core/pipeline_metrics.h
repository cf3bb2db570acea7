// Prometheus metrics of Courier's own pipelines: records by outcome, batches and their
// latency, errors by stage, circuit-breaker state. The coordinators and the breaker have
// plain hooks; a pipeline wires them to one PipelineMetrics. (A separate library from
// courier_core, so programs that embed the core do not need prometheus-cpp.)
//
//   PipelineMetrics metrics(registry, "orders_to_redis");
//   polling_options.hooks = metrics.coordinator_hooks();
//   breaker_options.on_transition = metrics.breaker_transition_hook();
//
// Thread-safety: every method may be called from any thread (prometheus-cpp metrics are
// atomic); one PipelineMetrics per pipeline name and registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <string>

#include "courier/circuit_breaker.h"
#include "courier/coordinator.h"

namespace courier {

class PipelineMetrics {
 public:
  PipelineMetrics(prometheus::Registry& registry, const std::string& pipeline);

  void record_batch(const BatchReport& batch);
  void record_error(Stage stage);
  // Hooks for PollingOptions / StreamingOptions that feed record_batch and record_error.
  CoordinatorHooks coordinator_hooks();
  // 0 closed, 1 half-open, 2 open: alert on "> 0 for 5m".
  void set_breaker_state(CircuitState state);
  // A hook for CircuitBreakerOptions::on_transition that keeps the gauge current.
  std::function<void(CircuitState, CircuitState)> breaker_transition_hook();

 private:
  prometheus::Counter& synced_;
  prometheus::Counter& dead_lettered_;
  prometheus::Counter& failed_;
  prometheus::Counter& batches_;
  prometheus::Histogram& batch_seconds_;
  std::string pipeline_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Gauge& breaker_state_;
};

}  // namespace courier
