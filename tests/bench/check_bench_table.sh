#!/usr/bin/env bash
# scripts/bench-table on a fixed sample of benchmark output (sample-output.txt): every
# scenario is a row with its rate, raw limit, ratio and latency; a line without a ratio
# or a failed benchmark still gets its row; build and load average head the table.
#   check_bench_table.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
table=$("$source_dir/scripts/bench-table" "$(dirname "$0")/sample-output.txt")
echo "$table"

expect() {  # a regular expression (grep -E) a line of the table must match
  if ! grep -Eq -- "$1" <<< "$table"; then
    echo "FAIL: no line of the table matches: $1" >&2
    exit 1
  fi
}
expect_rows() {  # how many rows of benchmarks the table has
  local rows
  rows=$(sed -n '/^benchmark /,/^load average at each start/p' <<< "$table" | grep -vc '^benchmark \|^load average')
  if [[ $rows != "$1" ]]; then
    echo "FAIL: $rows benchmark rows, expected $1" >&2
    exit 1
  fi
}

expect '^build: Release +load average at start: 1\.23$'
expect '^servers: postgres fsync=off,full_page_writes=off,synchronous_commit=off redis appendonly=no,save=$'
expect '^raw_redis_hset +- +600123/s +- +- +- +-$'
expect '^raw_pg_insert_naive +- +2400/s +- +- +- +41MB$'
expect '^core_overhead streaming_noop batch=100 +2500000/s +raw_loop=9000000/s +0\.28 +- +- +5MB$'
expect '^core_overhead streaming_noop batch=1000 +4000000/s +raw_loop=9500000/s +0\.42 '
expect '^stream_ingest +112340/s +raw_copy=161200/s +0\.70 +- +- +38MB$'
expect '^stream_ingest_latency +5000/s +- +- +13\.0ms +26\.7ms +-$'
expect '^change_capture inserts +90000/s +raw_redis=500000/s raw_recvlogical=300000/s +0\.30 '
expect '^change_capture latency synchronous_commit=on +4990/s +- +- +1\.20ms +4\.50ms +31MB$'
expect '^change_capture latency synchronous_commit=off +4995/s '
expect '^table_sync FAILED exit=1 '
expect '^hot_partition all_defences_http +21000/s +postgres_only_per_s=3000/s +7\.00 +0\.300ms +2\.100ms +-$'
expect '^load average at each start: raw_limits 1\.23, core_overhead 1\.40, '
expect '^wall time: raw_limits 20\.51s$'
expect_rows 11
echo "bench-table: ok"
