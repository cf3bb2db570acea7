// Table sync through the `courier` binary: `courier once` and its exit codes, kill -9 at
// random points of a 200 000-row sync (restarted until done: every row exactly once),
// two `courier run` processes on one config (one runs a task at a time, the other takes
// over when it dies), and /health turning 503 after failed runs in a row.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "courier_process.h"
#include "red_courier_readme.h"
#include "pg/connection.h"
#include "redis/client.h"

namespace courier::testing {
namespace {

class TableSyncCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg_.create_database("sync");
    auto options = pg::ConnectionOptions::from_url(pg_.url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    auto client = redis::make_client({.nodes = {redis_.address()}});
    ASSERT_TRUE(client.ok()) << client.status().to_string();
    redis_client_ = std::move(*client);
    prefix_ = unique_name("cli");
    sql("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())");
  }

  void sql(const std::string& statement) {
    Status done = conn_->execute_script(statement);
    ASSERT_TRUE(done.ok()) << statement << ": " << done.to_string();
  }
  void insert(int first, int last) {
    sql("INSERT INTO orders (id, status) SELECT g, 's' || g FROM generate_series(" +
        std::to_string(first) + ", " + std::to_string(last) + ") g");
  }

  // A stream task and a per-row hash task on `orders`, keys under this test's prefix.
  std::string tasks_yaml(const std::string& schedule, int batch_size) const {
    const std::string common = "    table: orders\n    key_prefix: \"" + prefix_ +
                               ":\"\n    schedule: \"" + schedule +
                               "\"\n    batch_size: " + std::to_string(batch_size) +
                               "\n    tracking:\n      column: updated_at\n";
    return "tasks:\n  - name: " + prefix_ + "_stream\n    fields: [id, status]\n" + common +
           "  - name: " + prefix_ + "_hash\n    structure: hash\n    key: \"order:{id}\"\n"
           "    fields: [status]\n" + common;
  }

  CommandOutput once(const std::string& yaml, std::vector<std::string> extra = {}) {
    std::string dir = make_temp_dir("once");
    std::ofstream(dir + "/courier.yaml")
        << connection_yaml(pg_, db_, redis_.address(), 0) << yaml;
    std::vector<std::string> argv = {COURIER_BINARY, "once", "-c", dir + "/courier.yaml"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    CommandOutput output = run_command(argv, "", 120s);
    remove_tree(dir);
    return output;
  }

  long long integer(const redis::Command& command) {
    auto reply = redis_client_->command(command);
    EXPECT_TRUE(reply.ok()) << reply.status().to_string();
    return reply.ok() ? reply->integer() : -1;
  }

  // Every "id" field of the stream, in order (XRANGE in pages).
  std::vector<std::string> stream_ids() {
    std::vector<std::string> ids;
    std::string start = "-";
    for (;;) {
      auto reply =
          redis_client_->command({"XRANGE", prefix_ + ":orders", start, "+", "COUNT", "10000"});
      EXPECT_TRUE(reply.ok()) << reply.status().to_string();
      if (!reply.ok() || reply->elements().empty()) return ids;
      for (const redis::Reply& entry : reply->elements()) {
        const auto& fields = entry.elements().at(1).elements();
        ids.push_back(fields.at(1).str());  // fields: id <id> status <status>
      }
      start = "(" + reply->elements().back().elements().at(0).str();
    }
  }

  long long hash_keys() {
    return integer({"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", prefix_ + ":order:*"});
  }

  void expect_each_row_once(int rows) {
    std::vector<std::string> ids = stream_ids();
    EXPECT_EQ(ids.size(), static_cast<size_t>(rows)) << "stream entries";
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<size_t>(rows))
        << "distinct ids in the stream";
    EXPECT_EQ(hash_keys(), rows) << "per-row hashes";
  }

  PostgresServer& pg_ = shared_postgres();
  RedisServer& redis_ = shared_redis();
  std::string db_;
  std::string prefix_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<redis::Client> redis_client_;
};

TEST_F(TableSyncCliTest, OnceRunsEveryTaskAndExitsZero) {
  insert(1, 500);
  CommandOutput output = once(tasks_yaml("@every 5m", 100));
  ASSERT_EQ(output.exit_code, 0) << output.output;
  expect_each_row_once(500);
  EXPECT_NE(output.output.find("500 rows read, 500 written"), std::string::npos) << output.output;
}

TEST_F(TableSyncCliTest, OnceSyncsToRedisOverTls) {
  insert(1, 300);
  auto tls_redis = RedisServer::start({.tls = true});
  std::string dir = make_temp_dir("once_tls");
  std::ofstream(dir + "/courier.yaml")
      << "postgres:\n  host: 127.0.0.1\n  port: " << pg_.port()
      << "\n  user: postgres\n  dbname: " << db_ << "\nredis:\n  url: rediss://"
      << tls_redis->tls_address() << "\n  tls:\n    ca_file: " << test_certificates().ca_file
      << "\n"
      << tasks_yaml("@every 5m", 100);
  CommandOutput output =
      run_command({COURIER_BINARY, "once", "-c", dir + "/courier.yaml"}, "", 120s);
  remove_tree(dir);
  ASSERT_EQ(output.exit_code, 0) << output.output;
  // Checked on the server's plain port, independent of the TLS path.
  EXPECT_EQ(tls_redis->command({"XLEN", prefix_ + ":orders"}), "300");
  EXPECT_EQ(tls_redis->command({"HGET", prefix_ + ":order:7", "status"}), "s7");
}

TEST_F(TableSyncCliTest, OnceExitsOneWhenATaskFailsAndTwoForAnUnknownTask) {
  const std::string broken =
      "tasks:\n  - name: broken\n    table: no_such_table\n    structure: set\n    value: id\n";
  CommandOutput failed = once(broken);
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("no_such_table"), std::string::npos) << failed.output;

  CommandOutput unknown = once(broken, {"--task", "nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--task nope: no such task in the file (tasks: broken)"),
            std::string::npos)
      << unknown.output;
}

TEST_F(TableSyncCliTest, KilledAtRandomPointsDuringA200kRowSyncEachRowEndsUpOnce) {
  constexpr int kRows = 200'000;
  insert(1, kRows);
  std::string dir = make_temp_dir("kill");
  std::ofstream(dir + "/courier.yaml") << connection_yaml(pg_, db_, redis_.address(), 0)
                                       << tasks_yaml("@every 5m", 2000);
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(20, 600);
  int kills = 0;
  bool finished = false;
  for (int attempt = 0; attempt < 60 && !finished; ++attempt) {
    ChildProcess courier;
    courier.spawn({.argv = {COURIER_BINARY, "once", "-c", dir + "/courier.yaml"},
                   .log_path = dir + "/courier.log"});
    // The kill point is the test's random input, not a wait for something to happen.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(attempt < 25 ? kill_after_ms(random) : 120'000);
    while (courier.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    if (courier.running()) {
      courier.kill9();
      ++kills;
      continue;
    }
    ASSERT_TRUE(WIFEXITED(courier.wait_status()) && WEXITSTATUS(courier.wait_status()) == 0)
        << tail_of_file(dir + "/courier.log");
    finished = true;
  }
  remove_tree(dir);
  ASSERT_TRUE(finished) << "seed " << seed;
  EXPECT_GE(kills, 10) << "seed " << seed;
  expect_each_row_once(kRows);
}

TEST_F(TableSyncCliTest, TwoProcessesOnOneConfigRunEachTaskOnceAtATimeAndTakeOver) {
  insert(1, 1000);
  const std::string tasks = tasks_yaml("@every 200ms", 100);
  auto first = std::make_unique<CourierProcess>(pg_, db_, redis_, tasks);
  CourierProcess second(pg_, db_, redis_, tasks);
  ASSERT_TRUE(first->wait_for_health(200)) << first->log();
  ASSERT_TRUE(second.wait_for_health(200)) << second.log();
  // Rows keep arriving while both processes compete for the tasks every 200 ms.
  for (int block = 1; block <= 10; ++block) insert(1000 * block + 1, 1000 * (block + 1));

  // Only one process can hold a task: the other must have been turned away at least once.
  const std::string locked = "courier_table_sync_runs_total{result=\"locked_elsewhere\",task=\"" +
                             prefix_ + "_stream\"}";
  auto locked_count = [&](CourierProcess& courier) {
    std::string metrics;
    courier.get_status("/metrics", &metrics);
    size_t at = metrics.find(locked);
    return at == std::string::npos ? 0.0 : std::atof(metrics.c_str() + at + locked.size());
  };
  auto until = std::chrono::steady_clock::now() + 30s;
  while (locked_count(*first) + locked_count(second) < 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  EXPECT_GE(locked_count(*first) + locked_count(second), 1) << first->log() << second.log();

  // The first process dies; the second takes every task over at its next tick.
  first->process().kill9();
  first.reset();
  insert(11'001, 12'000);
  until = std::chrono::steady_clock::now() + 30s;
  while ((stream_ids().size() < 12'000 || hash_keys() < 12'000) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  expect_each_row_once(12'000);
  EXPECT_EQ(exit_code_after(second.process(), SIGTERM), 0) << second.log();
}

TEST_F(TableSyncCliTest, HealthTurns503AfterFailedRunsInARowAndRecovers) {
  const std::string tasks =
      "tasks:\n  - name: late_table\n    table: arrives_later\n    structure: set\n"
      "    value: id\n    schedule: \"@every 200ms\"\n    unhealthy_after: 2\n";
  CourierProcess courier(pg_, db_, redis_, tasks);
  ASSERT_TRUE(courier.wait_for_health(503)) << courier.log();
  std::string body;
  courier.get_status("/health", &body);
  EXPECT_NE(body.find("runs failed in a row; last error:"), std::string::npos) << body;
  EXPECT_NE(body.find("last error: invalid_argument; details in the log"), std::string::npos)
      << body;  // the table is missing
  // The message itself (SQL, the connection's host and user) stays in the log.
  EXPECT_EQ(body.find("arrives_later"), std::string::npos) << body;
  EXPECT_EQ(body.find(std::to_string(pg_.port())), std::string::npos) << body;

  sql("CREATE TABLE arrives_later (id int PRIMARY KEY); INSERT INTO arrives_later VALUES (1)");
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();
  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
}

TEST_F(TableSyncCliTest, RedCourierReadmeTasksRunUnchangedAndWriteWhatRedCourierWrote) {
  sql("ALTER TABLE orders ADD COLUMN amount numeric(10,2), ADD COLUMN created_at timestamptz");
  sql("INSERT INTO orders (id, status, amount, created_at, updated_at) VALUES"
      " (1, 'paid', 19.90, '2024-05-01 10:00:00+00', '2024-05-01 10:00:00+00'),"
      " (2, 'new', 5.00, '2024-05-01 10:00:01+00', '2024-05-01 10:00:01+00')");
  // The README's tasks as they are; only the connection sections point at the test servers.
  const std::string_view config = kReadmeConfig;
  const std::string_view stream_task = kReadmeStreamTask;
  std::string tasks(config.substr(config.find("tasks:\n")));
  tasks += stream_task.substr(stream_task.find('\n') + 1);
  for (const char* key : {"orders", "order:stream", "checkpoint:recent_orders",
                          "checkpoint:order_stream"}) {
    integer({"DEL", key});  // the README's keys have no prefix to keep tests apart
  }
  CommandOutput output = once(tasks);
  ASSERT_EQ(output.exit_code, 0) << output.output;

  auto hash = redis_client_->command({"HGETALL", "orders"});
  ASSERT_TRUE(hash.ok());
  std::vector<std::string> map;
  for (const redis::Reply& element : hash->elements()) map.push_back(element.str());
  EXPECT_EQ(map, (std::vector<std::string>{"1", "paid", "2", "new"}));

  auto stream = redis_client_->command({"XRANGE", "order:stream", "-", "+"});
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->elements().size(), 2u);
  std::vector<std::string> first;
  for (const redis::Reply& f : stream->elements()[0].elements().at(1).elements())
    first.push_back(f.str());
  EXPECT_EQ(first, (std::vector<std::string>{"id", "1", "status", "paid", "total_amount", "19.90",
                                             "created_at", "2024-05-01T10:00:00+00:00"}));
}

}  // namespace
}  // namespace courier::testing
