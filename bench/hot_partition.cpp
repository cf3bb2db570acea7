// bench/hot_partition: what each hot-partition defence of the query API buys. Datagen
// data (Zipf authorship and followees), a closed loop of feed and user-posts requests
// whose users are Zipf-skewed too (hot users are read most), run in-process against the
// service for each configuration: Postgres only (the baseline, same run), the cache
// without defences, each defence alone, all defences. Then all defences paced at
// 1000 requests/s for the latency goal. Every cache configuration starts from an empty
// cluster and the same warm-up (each user's feed and posts once, then a second of load),
// so that none inherits another's cache; the cold_* ones start empty with no warm-up, to
// show what coalescing does to a burst of misses (Postgres queries per request). Each line:
// requests/s, p50/p99 (from the sorted latencies of every request), the hottest node's share of the
// cluster's reads (counted by the servers themselves: INFO commandstats), hit rates of the near
// cache and of the cluster's timelines, Postgres queries per request, the ratio to Postgres
// only, and the CPU each request cost this process (service and load generator), the six
// Redis servers and Postgres.
//
//   build-release/bench/hot_partition [--quick] [--only CONFIG[,CONFIG...]]
// --only runs the named configurations (the Postgres-only baselines always run). The
// *_http configurations send the same load through Courier's HTTP server (default workers,
// one lean keep-alive client per thread: KeepAliveClient), each compared with Postgres only
// over HTTP.
#include <fmt/format.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/query_api.h"
#include "aggregator/social_datagen.h"
#include "aggregator/social_service.h"
#include "aggregator/zipf_sampler.h"
#include "keep_alive_client.h"
#include "pg/connection.h"
#include "raw_limits.h"
#include "servers.h"

namespace {

using namespace courier;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Scenario {
  std::string name;
  bool cache = true;
  bool near_cache = false;
  bool coalescing = false;
  bool replicas = false;
  bool http = false;  // through Courier's HTTP server (keep-alive clients), not in process
  bool cold = false;  // from an empty cache with no warm-up: the misses are what is measured
};

struct Outcome {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double hottest_node_share = 0;
  std::string hottest_node;
  std::uint64_t errors = 0;
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[index];
}

// Reads each node served since the last reset (replicas included), by "host:port".
std::map<std::string, std::uint64_t> node_reads(testing::RedisCluster& cluster) {
  std::map<std::string, std::uint64_t> reads;
  for (size_t i = 0; i < cluster.size(); ++i) {
    std::string stats = cluster.node(i).command({"INFO", "commandstats"});
    std::uint64_t total = 0;
    for (const char* command : {"get", "zrevrange", "zrevrangebyscore", "smembers"}) {
      std::string field = fmt::format("cmdstat_{}:calls=", command);
      size_t at = stats.find(field);
      if (at != std::string::npos) total += std::stoull(stats.substr(at + field.size()));
    }
    reads[cluster.node(i).address()] = total;
  }
  return reads;
}

void flush_cluster(testing::RedisCluster& cluster) {
  for (testing::RedisServer* master : cluster.masters()) (void)master->command({"FLUSHALL"});
}

// The service's counters that say where requests were answered: "kind/result" of
// courier_api_cache_total, and "postgres" (every query).
std::map<std::string, double> answer_counts(prometheus::Registry& registry) {
  std::map<std::string, double> counts;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    bool cache = family.name == "courier_api_cache_total";
    if (!cache && family.name != "courier_api_postgres_queries_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::string name = "postgres";
      if (cache) {
        std::map<std::string, std::string> labels;
        for (const prometheus::ClientMetric::Label& label : metric.label)
          labels[label.name] = label.value;
        name = labels["kind"] + "/" + labels["result"];
      }
      counts[name] += metric.counter.value;
    }
  }
  return counts;
}

double hit_rate(std::map<std::string, double>& delta, const std::string& kind) {
  double hits = delta[kind + "/hit"];
  double all = hits + delta[kind + "/miss"];
  return all > 0 ? hits / all : 0;
}

void reset_stats(testing::RedisCluster& cluster) {
  for (size_t i = 0; i < cluster.size(); ++i)
    (void)cluster.node(i).command({"CONFIG", "RESETSTAT"});
}

class Load {
 public:
  // `http_port` > 0: requests go to the API on that loopback port, one keep-alive client
  // per thread; otherwise straight to `service`.
  Load(aggregator::SocialService& service, const aggregator::DatagenReport& data, int threads,
       int http_port = 0)
      : service_(service),
        data_(data),
        threads_(threads),
        http_port_(http_port),
        zipf_(static_cast<size_t>(data.last_user_id - data.first_user_id + 1), 1.1) {}

  // Each user's first feed page and first posts page, three times (split over the
  // threads), each after the fills the last one asked for: followees, then timelines,
  // then post bodies reach the cluster.
  void visit_every_user() {
    for (int round = 0; round < 3; ++round) {
      visit_every_user_once();
      (void)service_.wait_for_fills(std::chrono::minutes(1));
    }
  }

 private:
  void visit_every_user_once() {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads_; ++t) {
      workers.emplace_back([&, t] {
        for (std::int64_t user = data_.first_user_id + t; user <= data_.last_user_id;
             user += threads_) {
          (void)service_.feed(user, aggregator::PageRequest{.limit = 20});
          (void)service_.user_posts(user, aggregator::PageRequest{.limit = 20});
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
  }

 public:
  // Closed loop for `duration` (or paced at `rate` requests/s in total when rate > 0).
  Outcome run(std::chrono::milliseconds duration, double rate = 0) {
    std::vector<std::vector<double>> latencies(threads_);
    std::atomic<std::uint64_t> errors = 0;
    auto start = Clock::now();
    auto stop = start + duration;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads_; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937_64 random(1000 + t);
        std::optional<bench::KeepAliveClient> client;
        if (http_port_ > 0) client.emplace(http_port_);
        auto interval = rate > 0 ? std::chrono::duration<double>(threads_ / rate) : 0s;
        auto due = start;
        while (true) {
          if (rate > 0) {
            due += std::chrono::duration_cast<Clock::duration>(interval);
            if (due >= stop) break;
            std::this_thread::sleep_until(due);  // pacing, not waiting for a result
          } else if (Clock::now() >= stop) {
            break;
          }
          auto began = rate > 0 ? due : Clock::now();  // paced: count queueing delay too
          if (!one_request(random, client ? &*client : nullptr)) ++errors;
          latencies[t].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& part : latencies) all.insert(all.end(), part.begin(), part.end());
    std::sort(all.begin(), all.end());
    return Outcome{
        all.size() / seconds, percentile(all, 0.5), percentile(all, 0.99), 0, "", errors};
  }

 private:
  bool one_request(std::mt19937_64& random, bench::KeepAliveClient* client) {
    std::int64_t user = data_.first_user_id + static_cast<std::int64_t>(zipf_.sample(random)) - 1;
    bool feed = random() % 2;
    if (client) {
      std::string path = fmt::format("/api/v1/users/{}/{}?limit=20", user, feed ? "feed" : "posts");
      return client->get(path) == 200;
    }
    aggregator::PageRequest page{.limit = 20};
    Result<std::string> body = feed ? service_.feed(user, page) : service_.user_posts(user, page);
    return body.ok();
  }

  aggregator::SocialService& service_;
  aggregator::DatagenReport data_;
  int threads_;
  int http_port_;
  aggregator::ZipfSampler zipf_;
};

aggregator::ApiConfig api_for(const Scenario& scenario) {
  aggregator::ApiConfig api;
  api.postgres_connections = 8;
  api.cache.enabled = scenario.cache;
  api.near_cache.enabled = scenario.near_cache;
  api.coalescing = scenario.coalescing;
  api.read_from_replicas = scenario.replicas;
  return api;
}

redis::ClientOptions cluster_options(testing::RedisCluster& cluster) {
  redis::ClientOptions options;
  options.nodes = cluster.node_addresses();
  options.topology = redis::Topology::kCluster;
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = "," + std::string(argv[++i]) + ",";
    } else {
      fmt::print(stderr, "usage: hot_partition [--quick] [--only CONFIG[,CONFIG...]]\n");
      return 2;
    }
  }
  aggregator::DatagenOptions data_options{.users = quick ? 2'000 : 10'000,
                                          .posts = quick ? 50'000 : 300'000,
                                          .follows = quick ? 40'000 : 200'000,
                                          .zipf_exponent = 1.1,
                                          .seed = 42};
  auto duration = quick ? 1500ms : 5s;
  const int threads =
      std::getenv("HOT_PARTITION_THREADS") ? std::atoi(std::getenv("HOT_PARTITION_THREADS")) : 8;

  auto postgres = testing::PostgresServer::start();
  auto cluster = testing::RedisCluster::start();
  // Every cluster node is started alike: the first one speaks for all.
  bench::print_bench_context("hot_partition", bench::server_settings(*postgres, cluster->node(0)));
  std::string db = postgres->create_database("hot_partition");
  pg::ConnectionOptions pg_options = *pg::ConnectionOptions::from_url(postgres->url(db));
  aggregator::DatagenReport data;
  {
    auto connection = pg::Connection::open(pg_options);
    if (!connection.ok()) {
      fmt::print(stderr, "hot_partition: {}\n", connection.status().to_string());
      return 1;
    }
    Result<aggregator::DatagenReport> made =
        aggregator::generate_social_data(**connection, data_options);
    if (!made.ok()) {
      fmt::print(stderr, "hot_partition: datagen: {}\n", made.status().to_string());
      return 1;
    }
    data = *made;
  }
  fmt::print(
      "hot_partition data users={} posts={} follows={} zipf=1.1 threads={} seconds={} "
      "redis=3+3 cluster persistence=none postgres fsync=off\n",
      data_options.users, data_options.posts, data.follows, threads,
      std::chrono::duration<double>(duration).count());

  const std::vector<Scenario> scenarios = {
      {"postgres_only", false},
      {"no_defences", true},
      {"near_cache", true, true},
      {"coalescing", true, false, true},
      {"cold_no_defences", true, false, false, false, false, true},
      {"cold_coalescing", true, false, true, false, false, true},
      {"replica_reads", true, false, false, true},
      {"all_defences", true, true, true, true},
      {"postgres_only_http", false, false, false, false, true},
      {"all_defences_http", true, true, true, true, true},
  };
  double postgres_rate = 0;
  double postgres_http_rate = 0;
  double undefended_share = 0;
  for (const Scenario& scenario : scenarios) {
    if (!only.empty() && scenario.cache &&
        only.find("," + scenario.name + ",") == std::string::npos)
      continue;
    prometheus::Registry registry;
    aggregator::ServiceOptions options{.api = api_for(scenario), .postgres = pg_options};
    if (scenario.cache) options.redis = cluster_options(*cluster);
    aggregator::SocialService service(options, registry);
    // The HTTP server of `courier run`, with its default workers, on a free loopback port.
    // Declared after the routes so that it stops before they go.
    std::optional<aggregator::QueryApi> api;
    std::optional<http::HttpServer> server;
    if (scenario.http) {
      server.emplace(http::ServerOptions{.host = "127.0.0.1", .port = 0});
      api.emplace(service);
      api->attach(*server);
      if (Status started = server->start(); !started.ok()) {
        fmt::print(stderr, "hot_partition: {}\n", started.to_string());
        return 1;
      }
    }
    // Connections open before any measurement, as `courier run` opens them at start: a
    // cold run measures an empty cache, not connecting.
    if (Status connected = service.connect(); !connected.ok()) {
      fmt::print(stderr, "hot_partition: {}\n", connected.to_string());
      return 1;
    }
    Load load(service, data, threads, server ? server->port() : 0);
    if (scenario.cache) flush_cluster(*cluster);
    if (scenario.cache && !scenario.cold) load.visit_every_user();
    // Warm-up: steady state of the near cache, connections open.
    if (!scenario.cold) (void)load.run(1s);
    reset_stats(*cluster);
    std::map<std::string, double> before = answer_counts(registry);
    // A cold run is short: the cache fills as it goes.
    auto measured = scenario.cold ? duration / 2 : duration;
    std::vector<const testing::RedisServer*> nodes;
    for (size_t i = 0; i < cluster->size(); ++i) nodes.push_back(&cluster->node(i));
    const bench::CpuMeter cpu(nodes, *postgres);  // "courier": this process, load included
    Outcome outcome = load.run(measured);
    const size_t requests =
        static_cast<size_t>(outcome.per_second * std::chrono::duration<double>(measured).count());
    const std::string cpu_per_request = cpu.per(static_cast<int64_t>(requests), "request");
    std::map<std::string, double> delta = answer_counts(registry);
    for (const auto& [name, count] : before) delta[name] -= count;
    std::map<std::string, std::uint64_t> reads = node_reads(*cluster);
    std::uint64_t total = 0;
    for (const auto& [node, count] : reads) {
      total += count;
      if (count > outcome.hottest_node_share) {
        outcome.hottest_node_share = static_cast<double>(count);
        outcome.hottest_node = node;
      }
    }
    outcome.hottest_node_share = total ? outcome.hottest_node_share / total : 0;
    // The baseline of each transport: Postgres only, in process or over HTTP.
    double& baseline = scenario.http ? postgres_http_rate : postgres_rate;
    if (!scenario.cache) baseline = outcome.per_second;
    if (scenario.name == "no_defences") undefended_share = outcome.hottest_node_share;
    fmt::print(
        "hot_partition config={} requests_per_s={:.0f} p50_ms={:.3f} p99_ms={:.3f} "
        "hottest_node_share={:.3f} hottest_node={} redis_reads={} near_hit_rate={:.3f} "
        "timeline_hit_rate={:.3f} pg_queries_per_request={:.3f} postgres_only_per_s={:.0f} "
        "ratio={:.2f} errors={} {}\n",
        scenario.name, outcome.per_second, outcome.p50_ms, outcome.p99_ms,
        outcome.hottest_node_share, outcome.hottest_node.empty() ? "-" : outcome.hottest_node,
        total, hit_rate(delta, "near"), hit_rate(delta, "timeline"),
        requests > 0 ? delta["postgres"] / static_cast<double>(requests) : 0, baseline,
        baseline > 0 ? outcome.per_second / baseline : 0, outcome.errors, cpu_per_request);
    if (scenario.name == "all_defences") {
      Outcome paced = load.run(duration, 1000);
      fmt::print(
          "hot_partition config=all_defences_paced target_per_s=1000 requests_per_s={:.0f} "
          "p50_ms={:.3f} p99_ms={:.3f} hottest_share_cut={:.2f}x errors={} peak_rss={:.0f}MB\n",
          paced.per_second, paced.p50_ms, paced.p99_ms,
          outcome.hottest_node_share > 0 ? undefended_share / outcome.hottest_node_share : 0,
          paced.errors, bench::peak_rss_mb_self());
    }
  }
  return 0;
}
