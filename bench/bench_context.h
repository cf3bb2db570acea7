// The line every benchmark prints first (shared BENCHMARKS.md): how it was built, how busy
// the machine was when it started, and the durability settings of the servers it runs
// against, so that a number is never read without them. Header-only: core_overhead links
// no server harness.
//
//   courier::bench::print_bench_context("core_overhead");
//   → bench_context bench=core_overhead build=Release load_avg=0.52 servers=none
//
// Benchmarks with servers pass bench::server_settings(postgres, redis) (raw_limits.h).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#ifndef COURIER_BUILD_TYPE
#error "COURIER_BUILD_TYPE is set by bench/CMakeLists.txt"
#endif

namespace courier::bench {

inline void print_bench_context(std::string_view bench,
                                std::string_view server_settings = "servers=none") {
  std::string_view build = COURIER_BUILD_TYPE;
  double load[1] = {-1};  // -1: the kernel did not say
  (void)getloadavg(load, 1);
  fmt::print("bench_context bench={} build={} load_avg={:.2f} {}\n", bench,
             build.empty() ? "none" : build, load[0], server_settings);
  std::fflush(stdout);  // first in the output even when stdout is a pipe
}

}  // namespace courier::bench
