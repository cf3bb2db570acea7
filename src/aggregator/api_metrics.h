// ApiMetrics: what the query API exports on /metrics. Label values come from small fixed
// sets (routes, cache kinds, queries, cluster nodes) or from the hot-key counter's top k,
// so no request can add a series of its own.
//
//   courier_api_requests_total{route,code}            courier_api_request_seconds{route}
//   courier_api_cache_total{kind,result}              (kind: near, timeline, followees, post)
//   courier_api_postgres_queries_total{query}         courier_api_fanout_width (histogram)
//   courier_api_node_reads_total{node}                courier_api_hot_key_reads{rank,key}
//   courier_api_degraded_total{reason}                (warned in the log as well)
//   courier_api_cache_fills_total{kind,result}        (users; result: filled, failed, dropped)
//
//   ApiMetrics metrics(registry, {.hot_keys_tracked = 1024, .hot_keys_exported = 10});
//   metrics.cache_lookup("timeline", /*hit=*/true);
//   metrics.request("feed", 200, 0.0012);
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aggregator/hot_keys.h"

namespace courier::aggregator {

struct ApiMetricsOptions {
  size_t hot_keys_tracked = 1024;
  size_t hot_keys_exported = 10;
};

class ApiMetrics {
 public:
  ApiMetrics(prometheus::Registry& registry, ApiMetricsOptions options);

  void request(std::string_view route, int status, double seconds);
  void cache_lookup(std::string_view kind, bool hit, std::uint64_t count = 1);
  void postgres_query(std::string_view query);
  void fanout(size_t width);
  // Reads of `keys`, counted per node ("host:port" of the shard's master) and per key.
  void key_reads(const std::unordered_map<std::string, std::uint64_t>& reads_of_node,
                 const std::vector<std::string>& keys);
  void degraded(std::string_view reason);
  // Users whose timelines or followees a background fill wrote, failed, or dropped (queue full).
  void cache_fill(std::string_view kind, std::string_view result, std::uint64_t users = 1);

  // The tracked hot keys (top k shown in /metrics; refreshed at most once a second).
  const HotKeyCounter& hot_keys() const { return hot_keys_; }
  // Node -> reads so far (for tests and the benchmark).
  std::unordered_map<std::string, std::uint64_t> node_reads() const;

 private:
  prometheus::Counter& counter(prometheus::Family<prometheus::Counter>& family,
                               const prometheus::Labels& labels);
  void export_hot_keys_if_due();

  ApiMetricsOptions options_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& cache_;
  prometheus::Family<prometheus::Counter>& postgres_;
  prometheus::Histogram& fanout_;
  prometheus::Family<prometheus::Counter>& node_reads_;
  prometheus::Family<prometheus::Gauge>& hot_key_gauges_;
  prometheus::Family<prometheus::Counter>& degraded_;
  prometheus::Family<prometheus::Counter>& fills_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, prometheus::Histogram*> histogram_of_route_;
  std::unordered_map<std::string, std::uint64_t> reads_of_node_;
  std::vector<prometheus::Gauge*> exported_hot_keys_;
  std::chrono::steady_clock::time_point hot_keys_exported_at_{};
  HotKeyCounter hot_keys_;
};

}  // namespace courier::aggregator
