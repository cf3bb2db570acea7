// bench/raw_limits: what this machine's servers can do at best, printed in the
// key=value form of shared BENCHMARKS.md. Later benchmarks measure the same limits in
// their own run (raw_limits.h) and print Courier's rate beside them.
//
//   build/bench/raw_limits [--quick]     (--quick: 10x fewer operations)
#include <fmt/format.h>

#include <cstring>
#include <string>

#include "raw_limits.h"

int main(int argc, char** argv) {
  using namespace courier;
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int64_t redis_requests = quick ? 100'000 : 1'000'000;
  const int64_t copy_rows = quick ? 100'000 : 1'000'000;
  const int64_t naive_rows = quick ? 2'000 : 10'000;

  auto redis = testing::RedisServer::start();  // no RDB snapshots, no AOF
  auto postgres = testing::PostgresServer::start();
  bench::print_bench_context("raw_limits", bench::server_settings(*postgres, *redis));
  std::string db = postgres->create_database("raw_limits");
  const char* redis_setup = "persistence=none";
  const char* pg_setup = "fsync=off synchronous_commit=off";

  double hset = bench::redis_pipelined_rate(*redis, {"-t", "hset"}, redis_requests);
  double sadd = bench::redis_pipelined_rate(*redis, {"-t", "sadd"}, redis_requests);
  double xadd = bench::redis_pipelined_rate(
      *redis, {"XADD", "bench:stream", "*", "field", "__rand_int__"}, redis_requests);
  double copy_in = bench::postgres_copy_in_rate(*postgres, db, copy_rows);
  double copy_out = bench::postgres_copy_out_rate(*postgres, db, "raw_copy_in");
  double naive = bench::postgres_naive_insert_rate(*postgres, db, naive_rows);

  fmt::print("raw_redis_hset    ops={} pipeline=64 rate={:.0f}/s {}\n", redis_requests, hset,
             redis_setup);
  fmt::print("raw_redis_sadd    ops={} pipeline=64 rate={:.0f}/s {}\n", redis_requests, sadd,
             redis_setup);
  fmt::print("raw_redis_xadd    ops={} pipeline=64 rate={:.0f}/s {}\n", redis_requests, xadd,
             redis_setup);
  fmt::print("raw_pg_copy_in    rows={} table=pk+index+jsonb rate={:.0f}/s {}\n", copy_rows,
             copy_in, pg_setup);
  fmt::print("raw_pg_copy_out   rows={} rate={:.0f}/s {}\n", copy_rows, copy_out, pg_setup);
  fmt::print(
      "raw_pg_insert_naive rows={} autocommit=on rate={:.0f}/s {} peak_rss_servers={:.0f}MB\n",
      naive_rows, naive, pg_setup, bench::peak_rss_mb_children());
  return 0;
}
