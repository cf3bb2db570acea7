#include "aggregator/api_metrics.h"

namespace courier::aggregator {
namespace {

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  return buckets;
}

}  // namespace

ApiMetrics::ApiMetrics(prometheus::Registry& registry, ApiMetricsOptions options)
    : options_(options),
      requests_(prometheus::BuildCounter()
                    .Name("courier_api_requests_total")
                    .Help("Query API requests by route and HTTP status")
                    .Register(registry)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("courier_api_request_seconds")
                           .Help("Query API request latency by route")
                           .Register(registry)),
      cache_(prometheus::BuildCounter()
                 .Name("courier_api_cache_total")
                 .Help("Cache lookups by kind (near, timeline, followees, post) and result")
                 .Register(registry)),
      postgres_(prometheus::BuildCounter()
                    .Name("courier_api_postgres_queries_total")
                    .Help("Postgres queries run by the query API")
                    .Register(registry)),
      fanout_(prometheus::BuildHistogram()
                  .Name("courier_api_fanout_width")
                  .Help("Timelines read for one feed page")
                  .Register(registry)
                  .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100, 200,
                                                                   500, 1000})),
      node_reads_(prometheus::BuildCounter()
                      .Name("courier_api_node_reads_total")
                      .Help("Cache keys read, by the cluster node (shard master) serving them")
                      .Register(registry)),
      hot_key_gauges_(prometheus::BuildGauge()
                          .Name("courier_api_hot_key_reads")
                          .Help("Reads of the most read cache keys (top k, Space-Saving upper "
                                "bound)")
                          .Register(registry)),
      degraded_(prometheus::BuildCounter()
                    .Name("courier_api_degraded_total")
                    .Help("Requests answered without the cache, by reason")
                    .Register(registry)),
      fills_(prometheus::BuildCounter()
                 .Name("courier_api_cache_fills_total")
                 .Help("Users whose timeline or followees were filled into the cache off the "
                       "request path, by result (filled, failed, dropped: too many pending)")
                 .Register(registry)),
      hot_keys_(options.hot_keys_tracked == 0 ? 1 : options.hot_keys_tracked) {}

prometheus::Counter& ApiMetrics::counter(prometheus::Family<prometheus::Counter>& family,
                                         const prometheus::Labels& labels) {
  return family.Add(labels);  // the family returns the existing series for known labels
}

void ApiMetrics::request(std::string_view route, int status, double seconds) {
  counter(requests_, {{"route", std::string(route)}, {"code", std::to_string(status)}}).Increment();
  prometheus::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& cached = histogram_of_route_[std::string(route)];
    if (!cached) cached = &request_seconds_.Add({{"route", std::string(route)}}, latency_buckets());
    histogram = cached;
  }
  histogram->Observe(seconds);
  export_hot_keys_if_due();
}

void ApiMetrics::cache_lookup(std::string_view kind, bool hit, std::uint64_t count) {
  if (count == 0) return;
  counter(cache_, {{"kind", std::string(kind)}, {"result", hit ? "hit" : "miss"}})
      .Increment(static_cast<double>(count));
}

void ApiMetrics::postgres_query(std::string_view query) {
  counter(postgres_, {{"query", std::string(query)}}).Increment();
}

void ApiMetrics::fanout(size_t width) {
  fanout_.Observe(static_cast<double>(width));
}

void ApiMetrics::key_reads(const std::unordered_map<std::string, std::uint64_t>& reads_of_node,
                           const std::vector<std::string>& keys) {
  for (const auto& [node, reads] : reads_of_node) {
    counter(node_reads_, {{"node", node}}).Increment(static_cast<double>(reads));
    std::lock_guard lock(mutex_);
    reads_of_node_[node] += reads;
  }
  hot_keys_.record_all(keys);
}

void ApiMetrics::degraded(std::string_view reason) {
  counter(degraded_, {{"reason", std::string(reason)}}).Increment();
}

void ApiMetrics::cache_fill(std::string_view kind, std::string_view result, std::uint64_t users) {
  if (users == 0) return;
  counter(fills_, {{"kind", std::string(kind)}, {"result", std::string(result)}})
      .Increment(static_cast<double>(users));
}

std::unordered_map<std::string, std::uint64_t> ApiMetrics::node_reads() const {
  std::lock_guard lock(mutex_);
  return reads_of_node_;
}

void ApiMetrics::export_hot_keys_if_due() {
  auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - hot_keys_exported_at_ < std::chrono::seconds(1)) return;
  hot_keys_exported_at_ = now;
  for (prometheus::Gauge* gauge : exported_hot_keys_) hot_key_gauges_.Remove(gauge);
  exported_hot_keys_.clear();
  std::vector<HotKey> top = hot_keys_.top(options_.hot_keys_exported);
  for (size_t rank = 0; rank < top.size(); ++rank) {
    prometheus::Gauge& gauge =
        hot_key_gauges_.Add({{"rank", std::to_string(rank + 1)}, {"key", top[rank].key}});
    gauge.Set(static_cast<double>(top[rank].count));
    exported_hot_keys_.push_back(&gauge);
  }
}

}  // namespace courier::aggregator
