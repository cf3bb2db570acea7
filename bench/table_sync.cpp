// bench/table_sync: a table of N rows synced by Courier into per-row hashes and into a
// stream, beside the raw pipelined HSET / XADD rate of the same Redis for the same data
// shape (same fields, values of the same size), measured in the same run (shared
// BENCHMARKS.md). One full run of a task per scenario, as a first snapshot is.
//
//   build-release/bench/table_sync [--quick] [--batch N]   (--quick: 100 000 rows)
//
// Prints, last, one line per scenario:
//   table_sync scenario=hash rows=1000000 batch=1000 courier=…/s raw_hset=…/s ratio=… peak_rss=…MB
//     … cpu_us_per_row=courier:…,redis:…,postgres:… cpu_us_per_row_in_raw_run=redis:…
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pg/connection.h"
#include "pg_to_redis/task_runner.h"
#include "raw_limits.h"

namespace {

using namespace courier;

struct Scenario {
  std::string name;
  pg_to_redis::TaskConfig task;
  std::string raw_name;
  bench::RedisRawRun raw;
};

pg_to_redis::TaskConfig orders_task(std::string name, pg_to_redis::Structure structure, int batch) {
  pg_to_redis::TaskConfig task;
  task.name = std::move(name);
  task.table = {"public", "orders"};
  task.table_as_written = "orders";
  task.structure = structure;
  task.fields = {"status", "amount", "updated_at"};
  task.tracking = pg_to_redis::TrackingConfig{.column = "updated_at",
                                              .last_value_key = "checkpoint:" + task.name};
  task.batch_size = batch;
  return task;
}

void fill_orders(const testing::PostgresServer& postgres, const std::string& db, int64_t rows) {
  auto conn = pg::Connection::open(*pg::ConnectionOptions::from_url(postgres.url(db)));
  if (!conn.ok()) throw std::runtime_error(conn.status().to_string());
  // Timestamps shared by ten rows each, so the composite cursor's tie-breaking is exercised.
  Status filled = (*conn)->execute_script(fmt::format(
      "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, amount numeric(12,2),"
      " updated_at timestamptz NOT NULL);"
      "INSERT INTO orders SELECT g, (ARRAY['new','paid','shipped'])[1 + g % 3], g * 0.25,"
      " '2024-01-01'::timestamptz + (g / 10) * interval '1 second' FROM generate_series(1, {}) g;"
      "CREATE INDEX orders_sync ON orders (updated_at, id); ANALYZE orders",
      rows));
  if (!filled.ok()) throw std::runtime_error(filled.to_string());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int batch = 1000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--batch") == 0 && i + 1 < argc) batch = std::atoi(argv[++i]);
  }
  const int64_t rows = quick ? 100'000 : 1'000'000;

  auto redis = testing::RedisServer::start();  // no RDB snapshots, no AOF
  auto postgres = testing::PostgresServer::start();
  bench::print_bench_context("table_sync", bench::server_settings(*postgres, *redis));
  const std::string db = postgres->create_database("table_sync");
  fill_orders(*postgres, db, rows);

  // The raw limit is measured on the same data shape: the same fields with values of the
  // same size as the rows', one command per row, 64 per pipeline (redis-benchmark).
  const std::vector<std::string> row_fields = {
      "status", "paid", "amount", "123456.25", "updated_at", "2024-01-01T00:00:00+00:00"};
  auto with_fields = [&](std::vector<std::string> command) {
    command.insert(command.end(), row_fields.begin(), row_fields.end());
    return command;
  };
  std::vector<Scenario> scenarios;
  pg_to_redis::TaskConfig hash = orders_task("bench_hash", pg_to_redis::Structure::kHash, batch);
  hash.key_template = pg_to_redis::KeyTemplate{{{false, "order:"}, {true, "id"}}};
  scenarios.push_back(
      {"hash", hash, "raw_hset",
       bench::redis_pipelined_run(*redis, with_fields({"HSET", "raw:order:__rand_int__"}), rows)});
  pg_to_redis::TaskConfig stream =
      orders_task("bench_stream", pg_to_redis::Structure::kStream, batch);
  stream.alias = "orders:stream";
  stream.fields = {"id", "status", "amount", "updated_at"};
  scenarios.push_back(
      {"stream", stream, "raw_xadd",
       bench::redis_pipelined_run(
           *redis, with_fields({"XADD", "raw:stream", "*", "id", "__rand_int__"}), rows)});

  std::vector<std::string> lines;
  for (const Scenario& scenario : scenarios) {
    bench::settle_postgres(*postgres);  // the fill's autovacuum is not Courier's work
    pg_to_redis::TaskRunner runner(scenario.task,
                                   *pg::ConnectionOptions::from_url(postgres->url(db)),
                                   {.nodes = {redis->address()}});
    const bench::CpuMeter cpu(*redis, *postgres);
    const auto start = std::chrono::steady_clock::now();
    pg_to_redis::RunOutcome outcome = runner.run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!outcome.status.ok() || outcome.report.rows_written != static_cast<size_t>(rows)) {
      fmt::print(stderr, "{}: {} ({} rows written)\n", scenario.name, outcome.status.to_string(),
                 outcome.report.rows_written);
      return 1;
    }
    const double rate = static_cast<double>(rows) / seconds;
    lines.push_back(fmt::format(
        "table_sync scenario={} rows={} batch={} courier={:.0f}/s {}={:.0f}/s ratio={:.2f} "
        "peak_rss={:.0f}MB persistence=none fsync=off {} cpu_us_per_row_in_raw_run=redis:{:.2f}",
        scenario.name, rows, batch, rate, scenario.raw_name, scenario.raw.rate,
        rate / scenario.raw.rate, bench::peak_rss_mb_self(), cpu.per_row(rows),
        scenario.raw.redis_cpu_us_per_command));
  }
  for (const std::string& line : lines) fmt::print("{}\n", line);
  return 0;
}
