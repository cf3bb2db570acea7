// Prometheus metrics of Courier's own pipelines: records by outcome, batches and their
// latency, errors by stage, circuit-breaker state. The coordinators and the breaker have
// plain hooks; a pipeline wires them to one PipelineMetrics. (A separate library from
// courier_core, so programs that embed the core do not need prometheus-cpp.)
//
//   PipelineMetrics metrics(registry, "orders_to_redis");
//   metrics.record_batch({.synced = 98, .dead_lettered = 1, .failed = 1}, 12ms);
//   breaker_options.on_transition = metrics.breaker_transition_hook();
//
// Thread-safety: every method may be called from any thread (prometheus-cpp metrics are
// atomic); one PipelineMetrics per pipeline name and registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <string>

#include "courier/circuit_breaker.h"
#include "courier/clock.h"

namespace courier {

struct BatchCounts {
  uint64_t synced = 0;
  uint64_t dead_lettered = 0;
  uint64_t failed = 0;
};

enum class PipelineStage { kFetch, kApply, kMark };

class PipelineMetrics {
 public:
  PipelineMetrics(prometheus::Registry& registry, const std::string& pipeline);

  void record_batch(const BatchCounts& counts, Duration latency);
  void record_error(PipelineStage stage);
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
  prometheus::Counter& fetch_errors_;
  prometheus::Counter& apply_errors_;
  prometheus::Counter& mark_errors_;
  prometheus::Gauge& breaker_state_;
};

}  // namespace courier
