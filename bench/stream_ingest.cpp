// bench/stream_ingest: the `courier` binary ingesting rindexer Deposited events from a
// Redis stream into deposited_events, against the raw COPY of the same rows into the same
// table measured in the same run (shared BENCHMARKS.md), then end-to-end latency at a
// steady 5 000 events/s.
//
//   build-release/bench/stream_ingest [--quick|--full] [workers] [batch_size]   (--quick: 100 000
//   events, 5 s steady; default 4 workers)
//
// Prints one key=value line per scenario. Latency is producer send → row insert
// (clock_timestamp() as the row's created_at), p50/p99 computed by Postgres.
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "pg/connection.h"
#include "pg/migrations.h"
#include "raw_limits.h"
#include "redis/client.h"
#include "redis_to_pg/entry_decoder.h"
#include "redis_to_pg/stream_config.h"

namespace {

using namespace courier;
using Clock = std::chrono::steady_clock;

constexpr const char* kStream = "rindexer_producer";

int64_t micros_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One Deposited event; `sender` carries the send time for the latency scenario.
std::string deposited_payload(int64_t n, int64_t sent_micros) {
  nlohmann::json info = {{"address", "0x1f98431c8ad98523631ae4a59f267346ea31f984"},
                         {"block_hash", "0x6a1f0c3c5e1d9f1b0c8a2f3d4e5f60718293a4b5c6d7e8f9"},
                         {"block_number", 18'000'000 + n / 100},
                         {"block_timestamp", "0x6553f100"},
                         {"log_index", fmt::format("{:x}", n % 100)},
                         {"network", "base"},
                         {"transaction_hash", fmt::format("0x{:064x}", n / 100)},
                         {"transaction_index", n % 50}};
  nlohmann::json data = {
      {"sender", std::to_string(sent_micros)},
      {"receiver", "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf"},
      {"termId", "0x0000000000000000000000000000000000000000000000000000000000000abc"},
      {"curveId", "1"},
      {"assets", "0x3635c9adc5dea00000"},
      {"shares", "999000000000000000000"},
      {"totalShares", "123456789000000000000000"},
      {"assetsAfterFees", "0x3627e8f712373c0000"},
      {"vaultType", 1},
      {"transaction_information", info}};
  return nlohmann::json{{"event_name", "Deposited"}, {"event_data", data}, {"network", "base"}}
      .dump();
}

std::unique_ptr<redis::Client> redis_client(const testing::RedisServer& server) {
  redis::ClientOptions options;
  options.nodes = {server.address()};
  options.topology = redis::Topology::kStandalone;
  auto client = redis::make_client(options);
  if (!client.ok()) throw std::runtime_error(client.status().to_string());
  return std::move(*client);
}

std::unique_ptr<pg::Connection> connect(const testing::PostgresServer& server,
                                        const std::string& db) {
  auto options = pg::ConnectionOptions::from_url(server.url(db));
  auto conn = pg::Connection::open(*options);
  if (!conn.ok()) throw std::runtime_error(conn.status().to_string());
  return std::move(*conn);
}

void create_rindexer_schema(const testing::PostgresServer& server, const std::string& db) {
  auto conn = connect(server, db);
  auto applied = pg::apply_migrations(
      *conn, {{1, "rindexer_events", std::string(redis_to_pg::rindexer_migration_sql())}},
      {.scope = "rindexer"});
  if (!applied.ok()) throw std::runtime_error(applied.status().to_string());
}

std::string scalar(pg::Connection& conn, const std::string& sql) {
  auto result = conn.execute(sql);
  if (!result.ok()) throw std::runtime_error(sql + ": " + result.status().to_string());
  return std::string(result->get(0, 0).value_or(""));
}

// XADDs `count` events in pipelined rounds, and writes the same rows, decoded, as the
// COPY file of the raw limit.
void produce_all(redis::Client& client, int64_t count, const std::string& copy_file) {
  redis_to_pg::StreamsConfig config;
  config.mappings = redis_to_pg::rindexer_mappings();
  redis_to_pg::EntryDecoder decoder(config);
  std::ofstream copy(copy_file);
  std::vector<redis::Command> round;
  for (int64_t n = 0; n < count; ++n) {
    std::string payload = deposited_payload(n, 0);
    auto decoded = decoder.decode({kStream, "0-1", {{"event_data", payload}}});
    for (const auto& row : decoded.rows) {
      std::string line;
      for (const auto& value : row.values)
        line += (line.empty() ? "" : "\t") + value.value_or("\\N");
      copy << line << '\n';
    }
    round.push_back({"XADD", kStream, "*", "event_data", std::move(payload)});
    if (round.size() == 1000 || n + 1 == count) {
      for (const auto& reply : client.pipeline(round))
        if (!reply.ok()) throw std::runtime_error(reply.status().to_string());
      round.clear();
    }
  }
}

// Lag + pending of the group: 0 when every entry was read and acked.
int64_t outstanding(redis::Client& client) {
  auto groups = client.command({"XINFO", "GROUPS", kStream});
  if (!groups.ok() || groups->size() == 0) return -1;
  int64_t total = 0;
  const redis::Reply& group = (*groups)[0];
  for (size_t i = 0; i + 1 < group.size(); i += 2)
    if (group[i].str() == "pending" || group[i].str() == "lag") total += group[i + 1].integer();
  return total;
}

// Consumers the group has (each worker registers on its first read).
int64_t consumers(redis::Client& client) {
  auto groups = client.command({"XINFO", "GROUPS", kStream});
  if (!groups.ok() || groups->size() == 0) return 0;
  const redis::Reply& group = (*groups)[0];
  for (size_t i = 0; i + 1 < group.size(); i += 2)
    if (group[i].str() == "consumers") return group[i + 1].integer();
  return 0;
}

void wait_for_consumers(redis::Client& client, int workers) {
  while (consumers(client) < workers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

class CourierRun {
 public:
  CourierRun(const testing::PostgresServer& pg, const std::string& db,
             const testing::RedisServer& redis, int workers, int batch_size, int timeout_ms) {
    dir_ = testing::make_temp_dir("bench-ingest");
    process_.spawn(
        {.argv = {"env", "DATABASE_URL=" + pg.url(db), "REDIS_URL=" + redis.url(),
                  "HTTP_PORT=" + std::to_string(testing::free_loopback_port()),
                  "WORKERS=" + std::to_string(workers), "BATCH_SIZE=" + std::to_string(batch_size),
                  "BATCH_TIMEOUT_MS=" + std::to_string(timeout_ms), "sh", "-c",
                  "cd '" + dir_ + "' && exec '" COURIER_BINARY "' run --log-level warn"},
         .log_path = dir_ + "/courier.log"});
  }
  ~CourierRun() { testing::remove_tree(dir_); }
  pid_t pid() const { return process_.pid(); }  // courier's own (env and sh exec into it)
  void stop() {
    if (!process_.signal_and_wait(SIGTERM, std::chrono::seconds(60)))
      throw std::runtime_error("courier did not stop: " +
                               testing::tail_of_file(dir_ + "/courier.log"));
  }

 private:
  std::string dir_;
  testing::ChildProcess process_;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int64_t events = quick ? 100'000 : 1'000'000;
  const int steady_seconds = quick ? 5 : 20;
  const int workers = argc > 2 ? std::atoi(argv[2]) : 4;
  const int batch_size = argc > 3 ? std::atoi(argv[3]) : 1000;
  const int batch_timeout_ms = 10;

  auto redis = testing::RedisServer::start();  // no persistence
  auto postgres = testing::PostgresServer::start();
  bench::print_bench_context("stream_ingest", bench::server_settings(*postgres, *redis));
  const char* setup = "redis_persistence=none pg_fsync=off";

  // ---- Throughput: 1M entries waiting in the stream, drained by `courier run` ----
  std::string db = postgres->create_database("stream_ingest");
  std::string raw_db = postgres->create_database("stream_ingest_raw");
  create_rindexer_schema(*postgres, raw_db);
  auto client = redis_client(*redis);
  std::string copy_dir = testing::make_temp_dir("bench-ingest-copy");
  produce_all(*client, events, copy_dir + "/rows.tsv");

  bench::settle_postgres(*postgres);
  const double raw_postgres_cpu_start = testing::process_tree_cpu_seconds(postgres->pid());
  auto raw_start = Clock::now();
  std::string columns;
  for (const auto& column : redis_to_pg::rindexer_mappings()[1].columns)
    columns += (columns.empty() ? "" : ", ") + column.column;
  auto copied = testing::run_command(
      {"psql", "-v", "ON_ERROR_STOP=1", "-qAt", postgres->url(raw_db), "-c",
       "\\copy deposited_events (" + columns + ") FROM '" + copy_dir + "/rows.tsv'"});
  double raw_seconds = std::chrono::duration<double>(Clock::now() - raw_start).count();
  if (copied.exit_code != 0) throw std::runtime_error("raw COPY failed: " + copied.output);
  const double raw_postgres_cpu_us_per_row =
      (testing::process_tree_cpu_seconds(postgres->pid()) - raw_postgres_cpu_start) * 1e6 /
      static_cast<double>(events);
  testing::remove_tree(copy_dir);

  double courier_seconds = 0;
  std::string courier_cpu;
  bench::settle_postgres(*postgres);
  {
    CourierRun courier(*postgres, db, *redis, workers, batch_size, batch_timeout_ms);
    wait_for_consumers(*client, 1);  // started (and reading) from here on
    const bench::CpuMeter cpu(*redis, *postgres, courier.pid());
    auto start = Clock::now();
    while (outstanding(*client) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    courier_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    courier_cpu = cpu.per_row(events);
    courier.stop();
  }
  auto conn = connect(*postgres, db);
  std::string stored = scalar(*conn, "SELECT count(*) FROM deposited_events");
  double courier_rate = events / courier_seconds, raw_rate = events / raw_seconds;
  fmt::print(
      "stream_ingest events={} stored={} courier={:.0f}/s raw_copy={:.0f}/s ratio={:.2f} "
      "workers={} batch_size={} peak_rss={:.0f}MB {} {} cpu_us_per_row_in_raw_run=postgres:{:.2f}\n",
      events, stored, courier_rate, raw_rate, courier_rate / raw_rate, workers, batch_size,
      bench::peak_rss_mb_children(), setup, courier_cpu, raw_postgres_cpu_us_per_row);

  // ---- Latency at a steady 5 000 events/s ----
  (void)client->command({"DEL", kStream});
  std::string steady_db = postgres->create_database("stream_ingest_steady");
  create_rindexer_schema(*postgres, steady_db);
  auto steady_conn = connect(*postgres, steady_db);
  (void)steady_conn->execute(
      "ALTER TABLE deposited_events ALTER created_at SET DEFAULT clock_timestamp()");
  {
    CourierRun courier(*postgres, steady_db, *redis, workers, batch_size, batch_timeout_ms);
    wait_for_consumers(*client, workers);
    const int per_tick = 50;  // every 10 ms → 5 000/s
    auto next = Clock::now();
    int64_t sent = 0;
    for (int tick = 0; tick < steady_seconds * 100; ++tick) {
      std::vector<redis::Command> round;
      for (int i = 0; i < per_tick; ++i)
        round.push_back(
            {"XADD", kStream, "*", "event_data", deposited_payload(sent++, micros_now())});
      (void)client->pipeline(round);
      next += std::chrono::milliseconds(10);
      std::this_thread::sleep_until(next);
    }
    while (outstanding(*client) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    courier.stop();
  }
  std::string latency = scalar(
      *steady_conn,
      "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 1) || ' ' || "
      "round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 1) || ' ' || count(*) "
      "FROM (SELECT (extract(epoch FROM created_at) * 1e6 - sender::bigint) / 1000.0 AS l "
      "FROM deposited_events) latencies");
  std::istringstream parts(latency);
  std::string p50, p99, count;
  parts >> p50 >> p99 >> count;
  fmt::print(
      "stream_ingest_latency rate=5000/s seconds={} events={} p50={}ms p99={}ms "
      "batch_timeout={}ms {}\n",
      steady_seconds, count, p50, p99, batch_timeout_ms, setup);
  return 0;
}
