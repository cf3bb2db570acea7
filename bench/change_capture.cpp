// bench/change_capture: change capture (`capture: wal`, issue 13) beside the raw limits of the
// same servers, measured in the same run (shared BENCHMARKS.md). One line per scenario, last:
//   decode    WalChangeSource reading a slot, beside pg_recvlogical into /dev/null;
//   inserts   ChangeCapture (hash task "acct:{id}", two fields) following 100-row insert
//             transactions, from the first insert until the last key is in Redis;
//   updates   the same for a pgbench-like load (abalance += x WHERE id = random, 100 rows a
//             transaction) on a pre-filled table; for both: courier= is changes/s end to end
//             (the load runs meanwhile on the same cores), raw_redis= pipelined HSET of the
//             same shape, raw_recvlogical= the same WAL read from a slot made before the
//             load, ratio= courier / the slower, peak_rss= this process's VmHWM, reset first;
//   latency   5 000 paced single-row inserts/s for 10 s, commit-to-visible p50/p99, with the
//             writers' synchronous_commit on (Postgres's default) and off (the harness's);
//   snapshot  the first copy of a pre-filled table by a fresh slot (in a child process),
//             beside COPY TO STDOUT (ratio=) and pipelined HSET (ratio_slower=).
//
//   build-release/bench/change_capture [--quick] [--changes N] [--snapshot-rows N]
//   (--quick: 100 000 changes and snapshot rows; defaults 500 000 and 1 000 000)
#include "pg_to_redis/change_capture.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "pg/connection.h"
#include "pg_to_redis/wal_change_source.h"
#include "raw_limits.h"
#include "redis/client.h"

namespace {

using namespace courier;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int64_t kDecodeRowsPerTransaction = 1000;
constexpr int64_t kChangesPerTransaction = 100;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<pg::Connection> connect(const std::string& url) {
  auto conn = pg::Connection::open(*pg::ConnectionOptions::from_url(url));
  if (!conn.ok()) throw std::runtime_error(conn.status().to_string());
  return std::move(*conn);
}

void must(const Status& status, std::string_view what) {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.to_string());
}

std::string wal_end(pg::Connection& conn) {
  auto end = conn.execute("SELECT pg_current_wal_lsn()::text");
  must(end.status(), "wal end");
  return std::string(end->get(0, 0).value_or("0/0"));
}

// The process's resident high-water mark (VmHWM), which clear_refs "5" resets, so that a
// scenario reports its own peak rather than the run's.
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return courier::bench::peak_rss_mb_self();
}

std::unique_ptr<redis::Client> redis_client(const std::string& address) {
  auto client = redis::make_client({.nodes = {address}});
  if (!client.ok()) throw std::runtime_error(client.status().to_string());
  return std::move(*client);
}

std::string reply_text(redis::Client& client, const redis::Command& command) {
  auto reply = client.command(command);
  if (!reply.ok()) throw std::runtime_error("redis: " + reply.status().to_string());
  if (reply->is_nil()) return "(nil)";
  return reply->is_integer() ? std::to_string(reply->integer()) : reply->str();
}

void poll(std::chrono::seconds limit, std::string_view what, const std::function<bool()>& done) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline)
      throw std::runtime_error(fmt::format("waited {}s for {}", limit.count(), what));
    std::this_thread::sleep_for(1ms);
  }
}

// ---- decode: WalChangeSource against pg_recvlogical ----

double recvlogical_rate(const std::string& url, const std::string& slot,
                        const std::string& publication, const std::string& end_lsn, int64_t rows) {
  const auto start = Clock::now();
  testing::CommandOutput out =
      testing::run_command({testing::postgres_binary("pg_recvlogical"), "-d", url, "--slot", slot,
                            "--start", "--no-loop", "--endpos", end_lsn, "-o", "proto_version=1",
                            "-o", "publication_names=" + publication, "-f", "/dev/null"},
                           "", 600s);
  if (out.exit_code != 0) throw std::runtime_error("pg_recvlogical: " + out.output);
  return static_cast<double>(rows) / seconds_since(start);
}

double wal_source_rate(const std::string& url, const std::string& slot, int64_t rows) {
  pg_to_redis::WalChangeSource source(*pg::ConnectionOptions::from_url(url),
                                      {.slot = slot, .publications = {"bench"}});
  const auto start = Clock::now();
  int64_t inserts = 0;
  while (inserts < rows) {
    auto batch = source.receive(1000, std::chrono::seconds(5), {});
    must(batch.status(), "receive");
    if (batch->empty()) throw std::runtime_error("no changes within 5 s");
    for (const pg::RowChange& change : *batch)
      inserts += change.kind == pg::RowChange::Kind::kInsert;
    must(source.ack(*batch), "ack");
  }
  return static_cast<double>(rows) / seconds_since(start);
}

std::string decode_scenario(const std::string& url, int64_t rows) {
  auto conn = connect(url);
  must(conn->execute_script("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
                            " amount numeric(12,2), updated_at timestamptz NOT NULL);"
                            "CREATE PUBLICATION bench FOR TABLE orders;"),
       "set-up");
  // A slot cannot be created in a transaction that wrote: one statement each.
  for (const char* slot : {"bench_raw", "bench_courier"})
    must(
        conn->execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {slot}).status(),
        "slot");
  for (int64_t first = 1; first <= rows; first += kDecodeRowsPerTransaction) {
    must(
        conn->execute(fmt::format(
                          "INSERT INTO orders SELECT g, (ARRAY['new','paid','shipped'])[1 + g % 3],"
                          " g * 0.25, '2024-01-01'::timestamptz + g * interval '1 second'"
                          " FROM generate_series({}, {}) g",
                          first, std::min(rows, first + kDecodeRowsPerTransaction - 1)))
            .status(),
        "insert");
  }
  const std::string end_lsn = wal_end(*conn);
  reset_peak_rss();
  const double raw = recvlogical_rate(url, "bench_raw", "bench", end_lsn, rows);
  const double courier = wal_source_rate(url, "bench_courier", rows);
  for (const char* slot : {"bench_raw", "bench_courier"})
    must(conn->execute("SELECT pg_drop_replication_slot($1)", {slot}).status(), "drop slot");
  must(conn->execute_script("DROP PUBLICATION bench; DROP TABLE orders"), "clean-up");
  return fmt::format(
      "change_capture scenario=decode rows={} transactions={} courier={:.0f}/s "
      "raw_recvlogical={:.0f}/s ratio={:.2f} peak_rss={:.0f}MB fsync=off",
      rows, rows / kDecodeRowsPerTransaction, courier, raw, courier / raw, peak_rss_mb());
}

// ---- ChangeCapture on one accounts table ----

void create_accounts(pg::Connection& conn, const std::string& table, int64_t rows) {
  must(
      conn.execute_script(fmt::format(
          "CREATE TABLE {0} (id bigint PRIMARY KEY, owner text NOT NULL, abalance bigint NOT NULL);"
          "INSERT INTO {0} SELECT g, 'customer-' || g % 9973, 0 FROM generate_series(1, {1}) g;"
          "ANALYZE {0}",
          table, rows)),
      "accounts");
}

pg_to_redis::TaskConfig accounts_task(const std::string& table) {
  pg_to_redis::TaskConfig task;
  task.name = table;
  task.table = {"public", table};
  task.table_as_written = table;
  task.structure = pg_to_redis::Structure::kHash;
  task.key_template = pg_to_redis::KeyTemplate{{{false, "acct:"}, {true, "id"}}};
  task.key_prefix = table + ":";
  task.fields = {"owner", "abalance"};
  task.capture = pg_to_redis::Capture::kWal;
  return task;
}

// A capture of one table through its own slot and publication (both named after the
// table), as `courier run` would run it; both are dropped when it goes.
class Capture {
 public:
  Capture(const std::string& url, const std::string& redis, const std::string& table)
      : url_(url), slot_("bench_" + table) {
    capture_ = std::make_unique<pg_to_redis::ChangeCapture>(
        std::vector<pg_to_redis::TaskConfig>{accounts_task(table)},
        pg_to_redis::ChangeCaptureOptions{.postgres = *pg::ConnectionOptions::from_url(url),
                                          .redis = {.nodes = {redis}},
                                          .changes = {.slot = slot_, .publication = slot_}});
    capture_->attach(server_);
    must(capture_->start(), "capture start");
  }
  ~Capture() {
    try {
      stop();
      must(connect(url_)->execute_script("DROP PUBLICATION IF EXISTS " + slot_), "publication");
    } catch (const std::exception& e) {
      fmt::print(stderr, "clean-up of {}: {}\n", slot_, e.what());
    }
  }
  // The task's snapshot mark says done (not "resume:…") once the copy is over: from then on
  // the capture streams.
  void wait_streaming(redis::Client& client, std::chrono::seconds limit = 300s) {
    poll(limit, "the snapshot", [&] {
      auto marks = client.command({"HVALS", pg_to_redis::snapshot_marks_key(slot_)});
      if (!marks.ok() || marks->elements().size() != 1) return false;
      auto mark = pg_to_redis::SnapshotMark::parse(marks->elements()[0].str());
      return mark && mark->state == pg_to_redis::SnapshotMark::State::kDone;
    });
  }
  // Stops the capture and drops its slot (the publication stays for pg_recvlogical).
  void stop() {
    if (!capture_) return;
    capture_->stop();
    capture_.reset();
    auto conn = connect(url_);
    // The walsender of the stopped stream may take a moment to release the slot.
    poll(30s, "the slot to be released", [&] {
      return conn
          ->execute(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              " WHERE slot_name = $1",
              {slot_})
          .ok();
    });
  }
  const std::string& slot() const { return slot_; }

 private:
  std::string url_;
  std::string slot_;
  http::HttpServer server_{http::ServerOptions{.port = 0}};
  std::unique_ptr<pg_to_redis::ChangeCapture> capture_;
};

// Whether Redis holds what the table holds: as many keys among ids 1..ids as rows, and the
// same sum of abalance (counted inside Redis).
bool redis_matches(redis::Client& client, const std::string& url, const std::string& table,
                   int64_t ids) {
  auto reply = client.command({"EVAL",
                               "local c, s = 0, 0 for i = 1, tonumber(ARGV[2]) do"
                               " local v = redis.call('HGET', ARGV[1] .. i, 'abalance')"
                               " if v then c = c + 1; s = s + tonumber(v) end end return {c, s}",
                               "0", table + ":acct:", std::to_string(ids)});
  if (!reply.ok() || reply->elements().size() != 2) throw std::runtime_error("redis: count");
  auto expected = connect(url)->execute(
      "SELECT count(*)::text, coalesce(sum(abalance), 0)::text FROM " + table);
  must(expected.status(), "expected");
  return std::to_string(reply->elements()[0].integer()) == expected->get(0, 0).value_or("") &&
         std::to_string(reply->elements()[1].integer()) == expected->get(0, 1).value_or("");
}

struct Throughput {
  double courier = 0, load = 0, raw_redis = 0, raw_recvlogical = 0, peak_rss = 0;
  bool verified = false;
};

std::string throughput_line(const std::string& scenario, int64_t changes, const Throughput& t) {
  const double slower = std::min(t.raw_redis, t.raw_recvlogical);
  return fmt::format(
      "change_capture scenario={} changes={} per_transaction={} courier={:.0f}/s load={:.0f}/s "
      "raw_redis={:.0f}/s raw_recvlogical={:.0f}/s ratio={:.2f} peak_rss={:.0f}MB verified={} "
      "persistence=none fsync=off",
      scenario, changes, kChangesPerTransaction, t.courier, t.load, t.raw_redis, t.raw_recvlogical,
      t.courier / slower, t.peak_rss, t.verified ? "yes" : "NO");
}

// Runs `load` (which returns the WAL end) while the capture follows; times from the load's
// start until `visible` holds, then the raw limits on the same WAL and the same shape.
Throughput measure(const std::string& url, const testing::RedisServer& redis,
                   const std::string& table, int64_t changes, Capture& capture,
                   const std::function<std::string()>& load, const std::function<bool()>& visible) {
  auto conn = connect(url);
  const std::string raw_slot = "bench_raw_" + table;
  must(conn->execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {raw_slot})
           .status(),
       "raw slot");
  Throughput t;
  reset_peak_rss();
  const auto start = Clock::now();
  const std::string end_lsn = load();
  t.load = static_cast<double>(changes) / seconds_since(start);
  poll(600s, "the last change in Redis", visible);
  t.courier = static_cast<double>(changes) / seconds_since(start);
  t.peak_rss = peak_rss_mb();
  capture.stop();
  t.raw_recvlogical = recvlogical_rate(url, raw_slot, capture.slot(), end_lsn, changes);
  must(conn->execute("SELECT pg_drop_replication_slot($1)", {raw_slot}).status(), "drop slot");
  t.raw_redis = bench::redis_pipelined_rate(
      redis, {"HSET", "raw:acct:__rand_int__", "owner", "customer-1234", "abalance", "123456"},
      changes);
  return t;
}

std::string inserts_scenario(const std::string& url, const testing::RedisServer& redis,
                             int64_t changes) {
  const std::string table = "cdc_inserts";
  auto conn = connect(url);
  create_accounts(*conn, table, 0);
  auto client = redis_client(redis.address());
  Capture capture(url, redis.address(), table);
  capture.wait_streaming(*client);
  const std::string last_key = fmt::format("{}:acct:{}", table, changes);
  Throughput t = measure(
      url, redis, table, changes, capture,
      [&] {
        for (int64_t first = 1; first <= changes; first += kChangesPerTransaction)
          must(conn->execute(fmt::format("INSERT INTO {} SELECT g, 'customer-' || g % 9973, g % "
                                         "100000 FROM generate_series({}, {}) g",
                                         table, first,
                                         std::min(changes, first + kChangesPerTransaction - 1)))
                   .status(),
               "insert");
        return wal_end(*conn);
      },
      [&] {
        return reply_text(*client, {"EXISTS", last_key}) == "1";
      });
  t.verified = redis_matches(*client, url, table, changes);
  return throughput_line("inserts", changes, t);
}

std::string updates_scenario(const std::string& url, const testing::RedisServer& redis,
                             int64_t changes, int64_t accounts) {
  const std::string table = "cdc_updates";
  auto conn = connect(url);
  create_accounts(*conn, table, accounts);
  auto client = redis_client(redis.address());
  Capture capture(url, redis.address(), table);
  capture.wait_streaming(*client);
  const std::string sentinel_key = table + ":acct:1";
  std::mt19937_64 random(13);
  std::uniform_int_distribution<int64_t> account(1, accounts);
  std::uniform_int_distribution<int64_t> delta(-5000, 5000);
  Throughput t = measure(
      url, redis, table, changes, capture,
      [&] {
        // pgbench's update, 100 distinct random accounts per transaction in one statement;
        // the last change renames account 1, so when its owner is "last" in Redis every
        // change before it is there too (they are applied in commit order).
        for (int64_t done = 0; done < changes - 1; done += kChangesPerTransaction) {
          const int64_t n = std::min(kChangesPerTransaction, changes - 1 - done);
          std::vector<int64_t> ids;
          while (static_cast<int64_t>(ids.size()) < n) {
            const int64_t id = account(random);
            if (id != 1 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
          }
          std::string values;
          for (int64_t id : ids)
            values += fmt::format("{}({}, {})", values.empty() ? "" : ",", id, delta(random));
          must(conn->execute(fmt::format("UPDATE {0} a SET abalance = a.abalance + d.x FROM "
                                         "(VALUES {1}) d(id, x) WHERE a.id = d.id",
                                         table, values))
                   .status(),
               "update");
        }
        must(
            conn->execute(fmt::format("UPDATE {} SET owner = 'last' WHERE id = 1", table)).status(),
            "last update");
        return wal_end(*conn);
      },
      [&] {
        return reply_text(*client, {"HGET", sentinel_key, "owner"}) == "last";
      });
  t.verified = redis_matches(*client, url, table, accounts);
  return throughput_line("updates", changes, t);
}

// ---- latency ----

// Latencies in 10 µs buckets up to 1 s, and one bucket beyond.
class Histogram {
 public:
  void add(int64_t micros) {
    ++buckets_[std::min<size_t>(static_cast<size_t>(std::max<int64_t>(micros, 0)) / 10,
                                buckets_.size() - 1)];
    ++count_;
  }
  double percentile_ms(double p) const {
    const int64_t rank = static_cast<int64_t>(p * static_cast<double>(count_));
    int64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen > rank) return static_cast<double>(i + 1) * 0.01;  // the bucket's upper edge
    }
    return 1000;
  }
  int64_t count() const { return count_; }

 private:
  std::vector<int64_t> buckets_ = std::vector<int64_t>(100'001);
  int64_t count_ = 0;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// How: each writer notes the time when its autocommit INSERT returns (the commit as the
// application sees it); a subscriber to Redis keyspace events (__keyevent@0__:hset) notes
// when Redis executed the HSET of that row's key. Latency = seen - committed, both on this
// machine's steady clock; it includes the event's delivery (loopback, microseconds), so it
// errs high. A row whose HSET came before its writer took the time counts as 0.
std::string latency_scenario(const std::string& url, const testing::RedisServer& redis, int rate,
                             int seconds, bool synchronous_commit) {
  const std::string table = synchronous_commit ? "cdc_latency" : "cdc_latency_async";
  const int64_t total = static_cast<int64_t>(rate) * seconds;
  auto conn = connect(url);
  create_accounts(*conn, table, 0);
  auto client = redis_client(redis.address());
  Capture capture(url, redis.address(), table);
  capture.wait_streaming(*client);
  reply_text(*client, {"CONFIG", "SET", "notify-keyspace-events", "Eh"});

  std::vector<std::atomic<int64_t>> committed(total + 1), seen(total + 1);
  std::atomic<int64_t> seen_count = 0;
  std::atomic<bool> subscribed = false, give_up = false;
  const std::string prefix = table + ":acct:";
  std::thread subscriber([&] {
    redisContext* sub = redisConnect(redis.host().c_str(), redis.port());
    if (sub == nullptr || sub->err) throw std::runtime_error("subscriber: cannot connect");
    redisSetTimeout(sub, {0, 200'000});
    freeReplyObject(redisCommand(sub, "SUBSCRIBE __keyevent@0__:hset"));
    subscribed = true;
    while (seen_count < total && !give_up) {
      void* raw = nullptr;
      if (redisGetReply(sub, &raw) != REDIS_OK) {  // a timeout: look at give_up again
        sub->err = 0;
        continue;
      }
      auto* reply = static_cast<redisReply*>(raw);
      const int64_t at = now_ns();
      if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        std::string_view key(reply->element[2]->str, reply->element[2]->len);
        if (key.substr(0, prefix.size()) == prefix) {
          const int64_t id = std::stoll(std::string(key.substr(prefix.size())));
          int64_t none = 0;
          if (id > 0 && id <= total && seen[id].compare_exchange_strong(none, at)) ++seen_count;
        }
      }
      freeReplyObject(reply);
    }
    redisFree(sub);
  });
  while (!subscribed) std::this_thread::sleep_for(1ms);

  // Two paced writers (one could not keep 5 000 round trips a second on a busy machine).
  constexpr int kWriters = 2;
  reset_peak_rss();
  const auto start = Clock::now();
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto writer = connect(url);
      // The harness's server runs synchronous_commit=off; then the WAL (and so the change)
      // goes out only when the WAL writer flushes, every wal_writer_delay (200 ms).
      if (synchronous_commit) must(writer->execute_script("SET synchronous_commit = on"), "set");
      for (int64_t id = w + 1; id <= total; id += kWriters) {
        std::this_thread::sleep_until(start + interval * (id - 1));
        must(writer
                 ->execute(fmt::format("INSERT INTO {} VALUES ({}, 'customer-{}', {})", table, id,
                                       id % 9973, id))
                 .status(),
             "insert");
        committed[id] = now_ns();
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const double achieved = static_cast<double>(total) / seconds_since(start);
  try {
    poll(60s, "every change in Redis", [&] { return seen_count >= total; });
  } catch (const std::exception& e) {
    fmt::print(stderr, "latency: {} ({} of {} seen)\n", e.what(), seen_count.load(), total);
  }
  give_up = true;
  subscriber.join();
  const double rss = peak_rss_mb();
  reply_text(*client, {"CONFIG", "SET", "notify-keyspace-events", ""});

  Histogram histogram;
  int64_t early = 0;
  for (int64_t id = 1; id <= total; ++id) {
    if (seen[id] == 0) continue;
    const int64_t micros = (seen[id] - committed[id]) / 1000;
    early += micros < 0;
    histogram.add(micros);
  }
  return fmt::format(
      "change_capture scenario=latency target={}/s achieved={:.0f}/s seconds={} changes={} "
      "seen={} p50={:.2f}ms p99={:.2f}ms p999={:.2f}ms before_commit_returned={} "
      "peak_rss={:.0f}MB method=keyspace_events synchronous_commit={} persistence=none fsync=off",
      rate, achieved, seconds, total, histogram.count(), histogram.percentile_ms(0.50),
      histogram.percentile_ms(0.99), histogram.percentile_ms(0.999), early, rss,
      synchronous_commit ? "on" : "off");
}

// ---- snapshot: in a child process of its own, so that its peak RSS is the capture's ----

// The child: a capture of `table` from a fresh slot, timed from start() until the snapshot
// is remembered; prints "snapshot_child rate=… peak=… base=… verified=…" (rows/s, MB).
int snapshot_child(const std::string& url, const std::string& redis, const std::string& table,
                   int64_t rows) {
  auto client = redis_client(redis);
  const double base = peak_rss_mb();
  const auto start = Clock::now();
  Capture capture(url, redis, table);
  capture.wait_streaming(*client, 600s);
  const double rate = static_cast<double>(rows) / seconds_since(start);
  const double rss = peak_rss_mb();
  capture.stop();
  const bool same = redis_matches(*client, url, table, rows);
  fmt::print("snapshot_child rate={:.0f} peak={:.1f} base={:.1f} verified={}\n", rate, rss, base,
             same ? "yes" : "NO");
  return 0;
}

std::string field(const std::string& text, const std::string& key) {
  const size_t at = text.find(key + "=");
  if (at == std::string::npos)
    throw std::runtime_error("snapshot child: no " + key + " in " + text);
  const size_t from = at + key.size() + 1;
  return text.substr(from, text.find_first_of(" \n", from) - from);
}

std::string snapshot_scenario(const testing::PostgresServer& postgres, const std::string& db,
                              const testing::RedisServer& redis, int64_t rows) {
  const std::string table = "cdc_snapshot";
  const std::string url = postgres.url(db);
  auto conn = connect(url);
  create_accounts(*conn, table, rows);
  const double raw_copy = bench::postgres_copy_out_rate(postgres, db, table);
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) throw std::runtime_error("exe");
  testing::CommandOutput out = testing::run_command(
      {self, "--snapshot-child", url, redis.address(), table, std::to_string(rows)}, "", 900s);
  const size_t line = out.output.rfind("snapshot_child ");
  if (out.exit_code != 0 || line == std::string::npos)
    throw std::runtime_error("snapshot child: " + out.output);
  const std::string result = out.output.substr(line);
  const double rate = std::stod(field(result, "rate"));
  // The copy also writes every row to Redis: the pipelined HSET rate is the other limit.
  const double raw_redis = bench::redis_pipelined_rate(
      redis, {"HSET", "raw:acct:__rand_int__", "owner", "customer-1234", "abalance", "0"}, rows);
  return fmt::format(
      "change_capture scenario=snapshot rows={} courier={:.0f}/s raw_copy_out={:.0f}/s "
      "ratio={:.2f} raw_redis={:.0f}/s ratio_slower={:.2f} peak_rss={}MB base_rss={}MB "
      "verified={} rss_of=child_process persistence=none fsync=off",
      rows, rate, raw_copy, rate / raw_copy, raw_redis, rate / std::min(raw_copy, raw_redis),
      field(result, "peak"), field(result, "base"), field(result, "verified"));
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the capture's info lines would bury the summary
  if (argc == 6 && std::strcmp(argv[1], "--snapshot-child") == 0)
    return snapshot_child(argv[2], argv[3], argv[4], std::stoll(argv[5]));
  int64_t changes = 500'000;
  int64_t snapshot_rows = 1'000'000;
  int64_t decode_rows = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) changes = snapshot_rows = decode_rows = 100'000;
    if (std::strcmp(argv[i], "--changes") == 0 && i + 1 < argc) changes = std::stoll(argv[++i]);
    if (std::strcmp(argv[i], "--snapshot-rows") == 0 && i + 1 < argc)
      snapshot_rows = std::stoll(argv[++i]);
  }

  auto redis = testing::RedisServer::start();        // no RDB snapshots, no AOF
  auto postgres = testing::PostgresServer::start();  // wal_level=logical, fsync off
  bench::print_bench_context("change_capture", bench::server_settings(*postgres, *redis));
  const std::string db = postgres->create_database("change_capture");
  const std::string url = postgres->url(db);
  std::vector<std::string> lines;
  lines.push_back(decode_scenario(url, decode_rows));
  lines.push_back(inserts_scenario(url, *redis, changes));
  lines.push_back(updates_scenario(url, *redis, changes, 100'000));
  lines.push_back(latency_scenario(url, *redis, 5000, 10, true));
  lines.push_back(latency_scenario(url, *redis, 5000, 10, false));
  lines.push_back(snapshot_scenario(*postgres, db, *redis, snapshot_rows));
  for (const std::string& line : lines) fmt::print("{}\n", line);
  return 0;
}
