// Stream ingest as users run it: the `courier` binary with only the reference service's
// environment variables. Killed with -9 during 200 000 entries and restarted, it writes
// each entry exactly once and leaves no pending entries; Postgres stopped for 10 s opens
// the breaker, loses nothing, and the breaker closes again; a Redis restart is ridden out;
// /health and /metrics speak the reference's names; `courier migrate` applies the schema.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "ingest_support.h"
#include "process.h"

namespace courier::redis_to_pg {
namespace {

using namespace std::chrono_literals;
using courier::testing::ChildProcess;

// `courier run` started from an empty directory (no courier.yaml) with environment
// variables only, as the reference service is run.
class CourierIngestProcess {
 public:
  CourierIngestProcess(std::string database_url, std::string redis_url, std::string stream,
                       std::vector<std::string> extra_env = {})
      : dir_(courier::testing::make_temp_dir("ingest")),
        http_port_(courier::testing::free_loopback_port()) {
    env_ = {"DATABASE_URL=" + database_url,
            "REDIS_URL=" + redis_url,
            "REDIS_STREAMS=" + stream,
            "CONSUMER_GROUP=" + stream + "-group",
            "HTTP_HOST=127.0.0.1",
            "HTTP_PORT=" + std::to_string(http_port_),
            "BATCH_TIMEOUT_MS=20",
            "BATCH_SIZE=1000",
            "CONSUMER_NAME=" + stream};
    for (std::string& variable : extra_env) env_.push_back(std::move(variable));
    start();
  }
  ~CourierIngestProcess() { courier::testing::remove_tree(dir_); }

  void start() {
    std::vector<std::string> argv = {"env"};
    for (const std::string& variable : env_) argv.push_back(variable);
    argv.insert(argv.end(), {"sh", "-c", "cd '" + dir_ + "' && exec '" COURIER_BINARY "' run"});
    process_.spawn({.argv = argv, .log_path = dir_ + "/courier.log"});
  }
  ChildProcess& process() { return process_; }
  std::string log() const { return courier::testing::tail_of_file(dir_ + "/courier.log", 4000); }

  // The body of GET path, empty when nothing answers.
  std::string get(const std::string& path) const {
    auto out = courier::testing::run_command(
        {"curl", "-s", "--max-time", "5", "http://127.0.0.1:" + std::to_string(http_port_) + path},
        "", 10s);
    return out.exit_code == 0 ? out.output : "";
  }
  nlohmann::json health() const { return nlohmann::json::parse(get("/health"), nullptr, false); }

 private:
  std::string dir_;
  int http_port_;
  std::vector<std::string> env_;
  ChildProcess process_;
};

std::vector<std::string> deposits(int from, int to) {
  std::vector<std::string> payloads;
  for (int i = from; i < to; ++i)
    payloads.push_back(envelope("Deposited", deposited(i % 1000, "0x10", i / 1000)));
  return payloads;
}

bool stops_with_exit_zero(ChildProcess& process) {
  if (!process.signal_and_wait(SIGTERM, 30s)) return false;
  return WIFEXITED(process.wait_status()) && WEXITSTATUS(process.wait_status()) == 0;
}

TEST(CourierStreamIngest, EnvironmentOnlyRunIngestsAndSpeaksTheReferencesHealthAndMetrics) {
  IngestFixture f;
  CourierIngestProcess courier(courier::testing::shared_postgres().url(f.database()),
                               courier::testing::shared_redis().url(), f.stream());
  f.xadd_many(deposits(0, 300));
  ASSERT_TRUE(f.eventually_count("deposited_events", 300)) << courier.log();
  ASSERT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  nlohmann::json health;
  ASSERT_TRUE(pg::eventually([&] {
    health = courier.health();
    return health.is_object() &&
           health.value("metrics", nlohmann::json::object()).value("total_events_processed", 0) ==
               300;
  })) << health.dump();
  EXPECT_EQ(health["healthy"], true) << health.dump();
  EXPECT_EQ(health["redis_consumer_healthy"], true);
  EXPECT_EQ(health["postgres_sync_healthy"], true);
  EXPECT_EQ(health["circuit_breaker_closed"], true);
  EXPECT_TRUE(health["last_check"].is_string());
  EXPECT_EQ(health["metrics"]["circuit_breaker_state"], "closed");
  std::string metrics = courier.get("/metrics");
  EXPECT_NE(metrics.find("redis_postgres_sync_events_processed_total 300"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("redis_postgres_sync_batches_processed_total"), std::string::npos);
  EXPECT_NE(metrics.find("courier_stream_ingest_end_to_end_latency_seconds_count 300"),
            std::string::npos);
  // The monitor publishes the group's pending entries and lag once a second.
  EXPECT_TRUE(pg::eventually([&] {
    std::string text = courier.get("/metrics");
    std::string label = "{stream=\"" + f.stream() + "\"} 0";
    return text.find("courier_stream_ingest_pending_entries" + label) != std::string::npos &&
           text.find("courier_stream_ingest_consumer_lag_entries" + label) != std::string::npos;
  }));
  EXPECT_TRUE(stops_with_exit_zero(courier.process())) << courier.log();
  EXPECT_EQ(courier.log().find("password"), std::string::npos);
}

TEST(CourierStreamIngest, KillNineDuringIngestThenRestartWritesEachEntryExactlyOnce) {
  IngestFixture f;
  constexpr int kEntries = 200'000;
  f.xadd_many(deposits(0, kEntries));
  CourierIngestProcess courier(courier::testing::shared_postgres().url(f.database()),
                               courier::testing::shared_redis().url(), f.stream());
  ASSERT_TRUE(pg::eventually(
      [&] {
        auto conn = f.connect();
        auto rows = conn->execute("SELECT count(*) FROM deposited_events");
        return rows.ok() && std::stoll(std::string(*rows->get(0, 0))) >= kEntries / 10;
      },
      120s))
      << courier.log();
  courier.process().kill9();
  int64_t at_kill = std::stoll(f.sql("SELECT count(*) FROM deposited_events"));
  EXPECT_LT(at_kill, kEntries) << "ingest finished before the kill; the test proves nothing";
  courier.start();
  ASSERT_TRUE(f.eventually_count("deposited_events", kEntries, 180s)) << courier.log();
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_TRUE(stops_with_exit_zero(courier.process())) << courier.log();
}

TEST(CourierStreamIngest, PostgresStoppedForTenSecondsOpensTheBreakerAndLosesNothing) {
  auto pg = courier::testing::PostgresServer::start();
  IngestFixture f(*pg);
  CourierIngestProcess courier(pg->url(f.database()), courier::testing::shared_redis().url(),
                               f.stream(),
                               {"CIRCUIT_BREAKER_THRESHOLD=2", "CIRCUIT_BREAKER_TIMEOUT_MS=1000",
                                "MAX_RETRIES=1", "WORKERS=2"});
  f.xadd_many(deposits(0, 100));
  ASSERT_TRUE(f.eventually_count("deposited_events", 100)) << courier.log();
  pg->stop();
  auto outage_ends = std::chrono::steady_clock::now() + 10s;
  f.xadd_many(deposits(100, 200));
  bool breaker_opened = false;
  bool unhealthy = false;
  while (std::chrono::steady_clock::now() < outage_ends) {  // the outage lasts 10 s
    nlohmann::json health = courier.health();
    if (health.is_object()) {
      breaker_opened = breaker_opened || health["circuit_breaker_closed"] == false;
      unhealthy = unhealthy || health["postgres_sync_healthy"] == false;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(breaker_opened) << courier.log();
  EXPECT_TRUE(unhealthy);
  pg->restart();
  ASSERT_TRUE(f.eventually_count("deposited_events", 200, 60s)) << courier.log();
  ASSERT_TRUE(pg::eventually([&] {
    nlohmann::json health = courier.health();
    return health.is_object() && health["circuit_breaker_closed"] == true &&
           health["postgres_sync_healthy"] == true && health["healthy"] == true;
  })) << courier.health().dump();
  EXPECT_EQ(courier.health()["metrics"]["total_events_failed"], 0);  // nothing dead-lettered
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_TRUE(stops_with_exit_zero(courier.process())) << courier.log();
}

TEST(CourierStreamIngest, RedisRestartedMidRunIsRiddenOut) {
  auto redis = courier::testing::RedisServer::start({.append_only = true});
  IngestFixture f(courier::testing::shared_postgres(), *redis);
  CourierIngestProcess courier(courier::testing::shared_postgres().url(f.database()), redis->url(),
                               f.stream());
  f.xadd_many(deposits(0, 100));
  ASSERT_TRUE(f.eventually_count("deposited_events", 100)) << courier.log();
  redis->kill9();
  redis->restart();
  f.reconnect_redis();
  f.xadd_many(deposits(100, 200));
  ASSERT_TRUE(f.eventually_count("deposited_events", 200, 60s)) << courier.log();
  ASSERT_TRUE(pg::eventually([&] {
    nlohmann::json health = courier.health();
    return health.is_object() && health["redis_consumer_healthy"] == true;
  }));
  EXPECT_TRUE(stops_with_exit_zero(courier.process())) << courier.log();
}

TEST(CourierStreamIngest, MigrateAppliesTheRindexerSchemaOnce) {
  IngestFixture f;
  std::string dir = courier::testing::make_temp_dir("migrate");
  std::string url = courier::testing::shared_postgres().url(f.database());
  auto migrate = [&] {
    return courier::testing::run_command({"env", "DATABASE_URL=" + url, "sh", "-c",
                                          "cd '" + dir + "' && exec '" COURIER_BINARY "' migrate"});
  };
  auto first = migrate();
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("stream ingest schema: applied 1"), std::string::npos)
      << first.output;
  auto second = migrate();
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("stream ingest schema: applied none"), std::string::npos)
      << second.output;
  EXPECT_EQ(f.sql("SELECT count(*) FROM courier_schema_migrations WHERE scope = 'rindexer'"), "1");
  EXPECT_EQ(f.sql("SELECT to_regclass('share_price_changed_events') IS NOT NULL"), "t");
  courier::testing::remove_tree(dir);
}

}  // namespace
}  // namespace courier::redis_to_pg
