// The raw limits of the servers a benchmark runs against, measured in the same run so
// that Courier's rates can be printed as ratios (see shared BENCHMARKS.md).
//
//   auto redis = courier::testing::RedisServer::start();
//   double hset = courier::bench::redis_pipelined_rate(*redis, {"-t", "hset"}, 1'000'000);
//   double copy = courier::bench::postgres_copy_in_rate(*pg, db, 1'000'000);
//
// Each function measures with the servers' own tools (redis-benchmark, psql) or plain
// libpq, never with Courier's code. Thread-safety: call from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench_context.h"
#include "servers.h"

namespace courier::bench {

// Commands per second from `redis-benchmark -P 64 -n requests -r 1000000` plus the
// given test selection: {"-t", "hset"} or a custom command {"XADD", "k", "*", "f", "v"}.
double redis_pipelined_rate(const testing::RedisServer& server,
                            const std::vector<std::string>& test, int64_t requests);

// The table raw and Courier benchmarks write into: bigint primary key, a text column,
// a jsonb document and a timestamptz, plus one secondary index.
void create_bench_table(const testing::PostgresServer& server, const std::string& db,
                        const std::string& table);

// Rows per second of one `COPY table FROM STDIN` transaction of `rows` generated rows
// into a fresh bench table (psql reading a prepared file).
double postgres_copy_in_rate(const testing::PostgresServer& server, const std::string& db,
                             int64_t rows);

// Rows per second of `COPY (SELECT * FROM table) TO STDOUT` of a filled bench table.
double postgres_copy_out_rate(const testing::PostgresServer& server, const std::string& db,
                              const std::string& table);

// Rows per second of one autocommit INSERT per row over libpq (the naive way).
double postgres_naive_insert_rate(const testing::PostgresServer& server, const std::string& db,
                                  int64_t rows);

// The durability settings the running servers report, for print_bench_context:
// "postgres=fsync=off,full_page_writes=off,synchronous_commit=off redis=appendonly=no,save=".
std::string server_settings(const testing::PostgresServer& postgres,
                            const testing::RedisServer& redis);

// Where a pipeline's time goes: the CPU that Courier (this process, or a courier child
// process), Redis and Postgres used from construction until per_row(), per row moved.
// On a 2-core machine their sum bounds the rate: 2 cores / (µs per row) rows per µs.
//
//   bench::CpuMeter meter(*redis, *postgres);   // courier runs in this process
//   run();
//   meter.per_row(rows)   → "cpu_us_per_row=courier:1.71,redis:2.40,postgres:0.92"
class CpuMeter {
 public:
  // courier_pid 0: Courier runs in this process.
  CpuMeter(const testing::RedisServer& redis, const testing::PostgresServer& postgres,
           pid_t courier_pid = 0);
  // Several Redis servers (a cluster's nodes), counted together as "redis".
  CpuMeter(const std::vector<const testing::RedisServer*>& redis,
           const testing::PostgresServer& postgres, pid_t courier_pid = 0);
  std::string per_row(int64_t rows) const { return per(rows, "row"); }
  // "cpu_us_per_<unit>=courier:…,redis:…,postgres:…" for `count` units of work.
  std::string per(int64_t count, std::string_view unit) const;

 private:
  struct Seconds {
    double courier = 0, redis = 0, postgres = 0;
  };
  Seconds now() const;
  pid_t courier_pid_;
  std::vector<pid_t> redis_pids_;
  pid_t postgres_pid_;
  Seconds start_;
};

// The CPU Redis used for one redis_pipelined_rate() run, per command (µs), beside its rate.
struct RedisRawRun {
  double rate = 0;
  double redis_cpu_us_per_command = 0;
};
RedisRawRun redis_pipelined_run(const testing::RedisServer& server,
                                const std::vector<std::string>& test, int64_t requests);

// Call before each measured phase, so that no phase pays for another's leftovers: a
// CHECKPOINT (the dirty buffers of the previous phase are written now, not during this
// one), then a wait of up to a minute until no autovacuum worker is busy.
void settle_postgres(const testing::PostgresServer& server);

// Peak resident memory in MB of this process and of its waited-for children.
double peak_rss_mb_self();
double peak_rss_mb_children();

}  // namespace courier::bench
