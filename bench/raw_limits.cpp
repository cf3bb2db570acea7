#include "raw_limits.h"

#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "process.h"

namespace courier::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The "rps" column of redis-benchmark's --csv output (last data line).
double parse_rps(const std::string& csv) {
  std::istringstream lines(csv);
  std::string line;
  double rps = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("\"test\"", 0) == 0 || line.empty() || line[0] != '"') continue;
    size_t first_comma = line.find("\",\"");
    if (first_comma == std::string::npos) continue;
    rps = std::stod(line.substr(first_comma + 3));
  }
  if (rps <= 0) throw std::runtime_error("bench: cannot read redis-benchmark output:\n" + csv);
  return rps;
}

std::string bench_row(int64_t id) {
  // id, name, document, timestamp: about the size of a typical event row
  return std::to_string(id) + "\tcustomer-" + std::to_string(id % 9973) +
         "\t{\"order\": " + std::to_string(id) + ", \"status\": \"paid\", \"amount\": \"" +
         std::to_string(id % 1000) + ".50\"}\t2026-11-23 10:00:00+00\n";
}

// What psql printed (unaligned, tuples only); throws when it failed.
std::string psql(const testing::PostgresServer& server, const std::string& db,
                 const std::string& sql) {
  testing::CommandOutput out =
      testing::run_command({"psql", "-v", "ON_ERROR_STOP=1", "-qAt", server.url(db), "-c", sql});
  if (out.exit_code != 0) throw std::runtime_error("bench: psql failed: " + out.output);
  return out.output;
}

}  // namespace

double redis_pipelined_rate(const testing::RedisServer& server,
                            const std::vector<std::string>& test, int64_t requests) {
  std::vector<std::string> argv = {"redis-benchmark",
                                   "-h",
                                   server.host(),
                                   "-p",
                                   std::to_string(server.port()),
                                   "-P",
                                   "64",
                                   "-n",
                                   std::to_string(requests),
                                   "-r",
                                   "1000000",
                                   "--csv"};
  argv.insert(argv.end(), test.begin(), test.end());
  testing::CommandOutput out = testing::run_command(argv);
  if (out.exit_code != 0) throw std::runtime_error("bench: redis-benchmark failed: " + out.output);
  return parse_rps(out.output);
}

void create_bench_table(const testing::PostgresServer& server, const std::string& db,
                        const std::string& table) {
  psql(server, db,
       "CREATE TABLE " + table +
           " (id bigint PRIMARY KEY, name text NOT NULL, document jsonb NOT NULL, "
           "created_at timestamptz NOT NULL); CREATE INDEX ON " +
           table + " (created_at, id)");
}

double postgres_copy_in_rate(const testing::PostgresServer& server, const std::string& db,
                             int64_t rows) {
  std::string file = testing::make_temp_dir("bench-copy") + "/rows.tsv";
  {
    std::ofstream out(file);
    for (int64_t id = 1; id <= rows; ++id) out << bench_row(id);
  }
  create_bench_table(server, db, "raw_copy_in");
  auto start = Clock::now();
  psql(server, db, "\\copy raw_copy_in FROM '" + file + "'");
  double elapsed = seconds_since(start);
  testing::remove_tree(file.substr(0, file.rfind('/')));
  return static_cast<double>(rows) / elapsed;
}

double postgres_copy_out_rate(const testing::PostgresServer& server, const std::string& db,
                              const std::string& table) {
  auto start = Clock::now();
  testing::CommandOutput out =
      testing::run_command({"sh", "-c",
                            "psql -v ON_ERROR_STOP=1 -qAt '" + server.url(db) +
                                "' -c \"COPY (SELECT * FROM " + table + ") TO STDOUT\" | wc -l"});
  double elapsed = seconds_since(start);
  if (out.exit_code != 0) throw std::runtime_error("bench: COPY TO failed: " + out.output);
  return std::stod(out.output) / elapsed;
}

double postgres_naive_insert_rate(const testing::PostgresServer& server, const std::string& db,
                                  int64_t rows) {
  create_bench_table(server, db, "raw_naive_insert");
  PGconn* conn = PQconnectdb(server.url(db).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("bench: connect failed: " + error);
  }
  auto start = Clock::now();
  for (int64_t id = 1; id <= rows; ++id) {
    std::string id_text = std::to_string(id);
    const char* params[] = {id_text.c_str()};
    PGresult* result = PQexecParams(
        conn,
        "INSERT INTO raw_naive_insert VALUES ($1, 'customer', '{\"status\": \"paid\"}', now())", 1,
        nullptr, params, nullptr, nullptr, 0);
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) {
      PQfinish(conn);
      throw std::runtime_error("bench: insert failed");
    }
  }
  double elapsed = seconds_since(start);
  PQfinish(conn);
  return static_cast<double>(rows) / elapsed;
}

void settle_postgres(const testing::PostgresServer& server) {
  psql(server, "postgres", "CHECKPOINT");
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    const std::string busy =
        psql(server, "postgres",
             "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
    if (busy.starts_with("0")) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string server_settings(const testing::PostgresServer& postgres,
                            const testing::RedisServer& redis) {
  testing::CommandOutput pg = testing::run_command(
      {"psql", "-qAt", postgres.url(), "-c",
       "SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings "
       "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')"});
  if (pg.exit_code != 0) throw std::runtime_error("bench: psql failed: " + pg.output);
  std::string postgres_settings = pg.output.substr(0, pg.output.find('\n'));
  std::string redis_settings;
  for (const char* name : {"appendonly", "save"}) {
    std::string reply = redis.command({"CONFIG", "GET", name});  // "name\nvalue"
    size_t newline = reply.find('\n');
    redis_settings += (redis_settings.empty() ? "" : ",") + std::string(name) + "=" +
                      (newline == std::string::npos ? "?" : reply.substr(newline + 1));
  }
  return "postgres=" + postgres_settings + " redis=" + redis_settings;
}

double peak_rss_mb_self() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double peak_rss_mb_children() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

CpuMeter::CpuMeter(const testing::RedisServer& redis, const testing::PostgresServer& postgres,
                   pid_t courier_pid)
    : CpuMeter(std::vector<const testing::RedisServer*>{&redis}, postgres, courier_pid) {}

CpuMeter::CpuMeter(const std::vector<const testing::RedisServer*>& redis,
                   const testing::PostgresServer& postgres, pid_t courier_pid)
    : courier_pid_(courier_pid), postgres_pid_(postgres.pid()) {
  for (const testing::RedisServer* server : redis) redis_pids_.push_back(server->pid());
  start_ = now();
}

CpuMeter::Seconds CpuMeter::now() const {
  Seconds seconds;
  if (courier_pid_ == 0) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    seconds.courier = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                      static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  } else {
    seconds.courier = testing::process_tree_cpu_seconds(courier_pid_);
  }
  for (pid_t redis : redis_pids_) seconds.redis += testing::process_tree_cpu_seconds(redis);
  seconds.postgres = testing::process_tree_cpu_seconds(postgres_pid_);
  return seconds;
}

std::string CpuMeter::per(int64_t count, std::string_view unit) const {
  const Seconds end = now();
  const double per_unit_us = 1e6 / static_cast<double>(std::max<int64_t>(count, 1));
  return fmt::format("cpu_us_per_{}=courier:{:.2f},redis:{:.2f},postgres:{:.2f}", unit,
                     (end.courier - start_.courier) * per_unit_us,
                     (end.redis - start_.redis) * per_unit_us,
                     (end.postgres - start_.postgres) * per_unit_us);
}

RedisRawRun redis_pipelined_run(const testing::RedisServer& server,
                                const std::vector<std::string>& test, int64_t requests) {
  const double before = testing::process_tree_cpu_seconds(server.pid());
  RedisRawRun run;
  run.rate = redis_pipelined_rate(server, test, requests);
  run.redis_cpu_us_per_command = (testing::process_tree_cpu_seconds(server.pid()) - before) * 1e6 /
                                 static_cast<double>(std::max<int64_t>(requests, 1));
  return run;
}

}  // namespace courier::bench
