// `courier run` with a table-sync task and stream ingest while Postgres or Redis hangs
// (SIGSTOP: connections are accepted, nothing answers): /health turns 503 within seconds,
// SIGTERM still ends the process within 10 s, and once the server continues (SIGCONT)
// every row and entry written during or after the outage arrives.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>

#include "courier_process.h"
#include "pg/connection.h"

namespace courier::testing {
namespace {

using Clock = std::chrono::steady_clock;

class SickDependencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PostgresServer::start({.logical_replication = false});
    redis_ = RedisServer::start();
    db_ = pg_->create_database("sick");
    prefix_ = unique_name("sick");
    sql("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT clock_timestamp());"
        "CREATE TABLE events (id bigint PRIMARY KEY)");
    redis_->command({"XGROUP", "CREATE", stream(), "courier", "$", "MKSTREAM"});
  }

  // A hash per order row (table sync) and a row in `events` per stream entry (ingest).
  std::string pipelines_yaml() const {
    return "tasks:\n  - name: orders\n    table: orders\n    structure: hash\n"
           "    key: \"order:{id}\"\n    key_prefix: \"" +
           prefix_ +
           ":\"\n    fields: [status]\n"
           "    schedule: \"@every 200ms\"\n    tracking:\n      column: updated_at\n"
           "streams:\n  streams: [" +
           stream() +
           "]\n  group: courier\n  workers: 1\n"
           "  batch_timeout: 100ms\n  mappings:\n    - table: events\n      key: [id]\n"
           "      columns:\n        - {column: id, path: id, type: bigint}\n";
  }
  std::string stream() const { return prefix_ + ":events"; }

  // Runs SQL on a fresh connection (the server may have been paused and continued since).
  void sql(const std::string& statements) {
    auto options = pg::ConnectionOptions::from_url(pg_->url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    Status done = (*conn)->execute_script(statements);
    ASSERT_TRUE(done.ok()) << statements << ": " << done.to_string();
  }
  long long count_events() {
    auto options = pg::ConnectionOptions::from_url(pg_->url(db_));
    auto conn = pg::Connection::open(*options);
    if (!conn.ok()) return -1;
    auto result = (*conn)->execute("SELECT count(*) FROM events");
    return result.ok() ? std::stoll(std::string(result->get(0, 0).value_or("-1"))) : -1;
  }
  long long count_order_hashes() {
    return std::stoll(redis_->command(
        {"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", prefix_ + ":order:*"}));
  }

  void insert_orders(int first, int last) {
    sql("INSERT INTO orders (id, status) SELECT g, 's' || g FROM generate_series(" +
        std::to_string(first) + ", " + std::to_string(last) + ") g");
  }
  void add_entries(int first, int last) {
    for (int id = first; id <= last; ++id)
      redis_->command({"XADD", stream(), "*", "data", "{\"id\":" + std::to_string(id) + "}"});
  }

  // Polls until both pipelines delivered `rows` order hashes and `entries` event rows.
  bool all_arrive(long long rows, long long entries, std::chrono::seconds deadline = 60s) {
    auto arrived = [&] { return count_order_hashes() == rows && count_events() == entries; };
    if (poll_until(deadline, arrived, 100ms)) return true;
    ADD_FAILURE() << "order hashes " << count_order_hashes() << "/" << rows << ", events "
                  << count_events() << "/" << entries;
    return false;
  }

  // Starts courier and waits until both pipelines work.
  std::unique_ptr<CourierProcess> start_courier() {
    auto courier = std::make_unique<CourierProcess>(*pg_, db_, *redis_, pipelines_yaml());
    EXPECT_TRUE(courier->wait_for_health(200, 30s)) << courier->log();
    insert_orders(1, 10);
    add_entries(1, 10);
    EXPECT_TRUE(all_arrive(10, 10)) << courier->log();
    return courier;
  }

  enum class Dependency { kPostgres, kRedis };
  void pause(Dependency sick) { sick == Dependency::kPostgres ? pg_->pause() : redis_->pause(); }
  void resume(Dependency sick) { sick == Dependency::kPostgres ? pg_->resume() : redis_->resume(); }
  // New work for the pipeline that reads from the healthy dependency (and writes to the
  // sick one), and for the other pipeline.
  void write_into_sick(Dependency sick, int first, int last) {
    sick == Dependency::kPostgres ? add_entries(first, last) : insert_orders(first, last);
  }
  void write_from_sick(Dependency sick, int first, int last) {
    sick == Dependency::kPostgres ? insert_orders(first, last) : add_entries(first, last);
  }

  // Paused: 503 within 10 s; SIGTERM while a pipeline is blocked on it: gone within 10 s.
  void expect_503_and_a_prompt_sigterm(Dependency sick) {
    auto courier = start_courier();
    pause(sick);
    auto paused_at = Clock::now();
    ASSERT_TRUE(courier->wait_for_health(503, 15s)) << courier->log();
    EXPECT_LT(Clock::now() - paused_at, 10s);
    write_into_sick(sick, 11, 12);  // a pipeline is now blocked on the paused server
    auto started = Clock::now();
    EXPECT_TRUE(courier->process().signal_and_wait(SIGTERM, 15s)) << courier->log();
    EXPECT_LT(Clock::now() - started, 10s) << courier->log();
  }

  // Paused, then continued: what was written during and after the outage all arrives.
  void expect_nothing_lost_after_resume(Dependency sick) {
    auto courier = start_courier();
    pause(sick);
    ASSERT_TRUE(courier->wait_for_health(503, 15s)) << courier->log();
    write_into_sick(sick, 11, 20);  // during the outage
    resume(sick);
    write_from_sick(sick, 11, 20);  // after it
    EXPECT_TRUE(all_arrive(20, 20)) << courier->log();
    EXPECT_TRUE(courier->wait_for_health(200, 30s)) << courier->log();
    EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0) << courier->log();
  }

  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<RedisServer> redis_;
  std::string db_;
  std::string prefix_;
};

TEST_F(SickDependencyTest, PausedPostgresTurnsHealth503AndSigtermStillEndsTheProcess) {
  expect_503_and_a_prompt_sigterm(Dependency::kPostgres);
}

TEST_F(SickDependencyTest, PausedPostgresContinuedLosesNothing) {
  expect_nothing_lost_after_resume(Dependency::kPostgres);
}

TEST_F(SickDependencyTest, PausedRedisTurnsHealth503AndSigtermStillEndsTheProcess) {
  expect_503_and_a_prompt_sigterm(Dependency::kRedis);
}

TEST_F(SickDependencyTest, PausedRedisContinuedLosesNothing) {
  expect_nothing_lost_after_resume(Dependency::kRedis);
}

}  // namespace
}  // namespace courier::testing
