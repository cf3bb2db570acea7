// `courier status` as a process against real servers: a task's checkpoint after `courier
// once`, a stream's pending entries and dead letters, a missing group or replication slot,
// a slot beyond max_lag, Redis stopped or Postgres unreachable (exit 1, naming it),
// `--json` for scripts and an invalid file (exit 2).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "courier_process.h"
#include "pg/connection.h"
#include "redis/client.h"

namespace courier::testing {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class StatusCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("status-cli");
    db_ = pg_.create_database("status");
    auto options = pg::ConnectionOptions::from_url(pg_.url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    Status created = conn_->execute_script(
        "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now());"
        "INSERT INTO orders (id, status) SELECT g, 's' || g FROM generate_series(1, 20) g");
    ASSERT_TRUE(created.ok()) << created.to_string();
    auto client = redis::make_client({.nodes = {redis_.address()}});
    ASSERT_TRUE(client.ok()) << client.status().to_string();
    redis_client_ = std::move(*client);
    prefix_ = unique_name("status");
  }
  void TearDown() override {
    // Never leave a slot behind: it would pin the shared server's WAL.
    if (conn_ && !slot_.empty())
      (void)conn_->execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
          "WHERE slot_name = $1",
          {slot_});
    remove_tree(dir_);
  }

  // A `capture: wal` map task on `orders` reading slot `slot`, with changes.max_lag.
  std::string wal_task_yaml(const std::string& slot, const std::string& max_lag = "1GB") const {
    return "changes:\n  slot: " + slot + "\n  max_lag: " + max_lag +
           "\ntasks:\n  - name: " + prefix_ + "\n    table: orders\n    alias: \"" + prefix_ +
           ":orders\"\n    structure: map\n    key: id\n    value: status\n    capture: wal\n";
  }

  // A polled map task on `orders`, keys under this test's prefix.
  std::string task_yaml() const {
    return "tasks:\n  - name: " + prefix_ + "\n    table: orders\n    alias: \"" + prefix_ +
           ":orders\"\n    structure: map\n    key: id\n    value: status\n    schedule: \"@every "
           "5m\"\n"
           "    tracking:\n      column: updated_at\n";
  }
  // Stream ingest of one stream, group "courier", dead letters in a stream of its own.
  std::string streams_yaml() const {
    return "streams:\n  streams: [" + stream() +
           "]\n  group: courier\n  dead_letter_stream: " + dead_letters() +
           "\n  mappings:\n    - table: events\n      key: [id]\n"
           "      columns:\n        - {column: id, path: id, type: bigint}\n";
  }
  std::string stream() const { return prefix_ + ":events"; }
  std::string dead_letters() const { return prefix_ + ":dead-letters"; }

  // courier <command> -c <a file of `yaml` for Redis at `redis_address`> <extra…>
  CommandOutput courier(const std::string& command, const std::string& yaml,
                        std::vector<std::string> extra = {}, std::string redis_address = "") {
    if (redis_address.empty()) redis_address = redis_.address();
    std::ofstream(config_path()) << connection_yaml(pg_, db_, redis_address, 0) << yaml;
    std::vector<std::string> argv = {COURIER_BINARY, command, "-c", config_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, "", 60s);
  }
  CommandOutput status(const std::string& yaml, std::vector<std::string> extra = {},
                       std::string redis_address = "") {
    return courier("status", yaml, std::move(extra), std::move(redis_address));
  }

  std::string config_path() const { return dir_ + "/courier.yaml"; }
  void redis(const redis::Command& command) {
    auto reply = redis_client_->command(command);
    ASSERT_TRUE(reply.ok()) << reply.status().to_string();
  }

  PostgresServer& pg_ = shared_postgres();
  RedisServer& redis_ = shared_redis();
  std::string dir_;
  std::string db_;
  std::string prefix_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<redis::Client> redis_client_;
  std::string slot_;  // a replication slot the test created, dropped at the end
};

TEST_F(StatusCli, ShowsTheCheckpointOfATaskRunOnceAndExitsZero) {
  CommandOutput ran = courier("once", task_yaml());
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  auto checkpoint = redis_client_->command({"GET", "checkpoint:" + prefix_});
  ASSERT_TRUE(checkpoint.ok() && checkpoint->is_string()) << "once stored no checkpoint";

  CommandOutput out = status(task_yaml());
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, prefix_ + "  poll     " + checkpoint->str())) << out.output;
  EXPECT_TRUE(contains(out.output, " s ago  ")) << "the run just ended: " << out.output;
  EXPECT_TRUE(out.output.ends_with("\nhealthy\n")) << out.output;
  EXPECT_FALSE(contains(out.output, "\033[")) << "colours only on a terminal";
}

TEST_F(StatusCli, ShowsAStreamsPendingEntriesAndDeadLetters) {
  redis({"XGROUP", "CREATE", stream(), "courier", "$", "MKSTREAM"});
  redis({"XADD", stream(), "*", "payload", "{\"id\": 1}"});
  redis({"XREADGROUP", "GROUP", "courier", "c1", "COUNT", "1", "STREAMS", stream(), ">"});
  redis({"XADD", stream(), "*", "payload", "{\"id\": 2}"});  // not delivered yet: the lag
  redis({"XADD", dead_letters(), "*", "payload", "{\"id\": 0}", "error", "bad"});

  CommandOutput out = status(streams_yaml());
  EXPECT_EQ(out.exit_code, 0) << "dead letters are a warning, not a failure\n" << out.output;
  EXPECT_TRUE(contains(out.output, stream() + "  courier  2       1        1")) << out.output;
  EXPECT_TRUE(contains(out.output, "dead letters in '" + dead_letters() + "': 1")) << out.output;
  EXPECT_TRUE(contains(out.output,
                       "warning: stream ingest: 1 dead letter in stream '" + dead_letters() + "'"))
      << out.output;
}

TEST_F(StatusCli, MissingGroupIsUnhealthy) {
  redis({"XADD", stream(), "*", "payload", "{\"id\": 1}"});
  CommandOutput out = status(streams_yaml());
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(
      out.output, "problem: stream '" + stream() + "', group 'courier': no such consumer group"))
      << out.output;
}

TEST_F(StatusCli, SlotLagBeyondMaxLagIsUnhealthy) {
  slot_ = "status_cli_" + std::to_string(getpid());
  auto created =
      conn_->execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {slot_});
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ASSERT_TRUE(conn_->execute_script("UPDATE orders SET status = status || '!'").ok());
  // pg_current_wal_lsn() is the WAL written out, which may trail the commit a moment.
  ASSERT_TRUE(poll_until(10s, [&] {
    auto lag = conn_->execute(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) > 0 "
        "FROM pg_replication_slots WHERE slot_name = $1",
        {slot_});
    return lag.ok() && lag->get(0, 0).value_or("f") == "t";
  }));

  CommandOutput within = status(wal_task_yaml(slot_));
  EXPECT_EQ(within.exit_code, 0) << within.output;
  EXPECT_TRUE(contains(within.output, "replication slot '" + slot_ + "': inactive, lag "))
      << within.output;

  CommandOutput beyond = status(wal_task_yaml(slot_, "1"));
  EXPECT_EQ(beyond.exit_code, 1) << beyond.output;
  EXPECT_TRUE(contains(beyond.output, "problem: replication slot '" + slot_ + "' holds back "))
      << beyond.output;
  EXPECT_TRUE(contains(beyond.output, "bytes of WAL, more than changes.max_lag (1)"))
      << beyond.output;
}

TEST_F(StatusCli, MissingReplicationSlotIsUnhealthy) {
  const std::string yaml =
      "changes:\n  slot: status_cli_never_created\n"
      "tasks:\n  - name: " +
      prefix_ + "\n    table: orders\n    alias: \"" + prefix_ +
      ":orders\"\n    structure: map\n    key: id\n    value: status\n    capture: wal\n";
  CommandOutput out = status(yaml);
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output,
                       "problem: replication slot 'status_cli_never_created': "
                       "does not exist in Postgres 127.0.0.1:"))
      << out.output;
}

TEST_F(StatusCli, RedisStoppedExitsOneNamingIt) {
  std::unique_ptr<RedisServer> stopped = RedisServer::start();
  const std::string address = stopped->address();
  stopped->stop();
  CommandOutput out = status(task_yaml(), {}, address);
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output, "Redis " + address + ": unreachable")) << out.output;
  EXPECT_TRUE(contains(out.output, "problem: Redis " + address + ": ")) << out.output;
  EXPECT_TRUE(contains(out.output, "unhealthy: 1 problem")) << out.output;
  EXPECT_TRUE(contains(out.output, prefix_ + "  poll     ?")) << "checkpoint unknown, not none";
}

TEST_F(StatusCli, PostgresUnreachableExitsOneNamingIt) {
  const int port = free_loopback_port();  // nothing listens there
  std::ofstream(config_path()) << "postgres:\n  host: 127.0.0.1\n  port: " << port
                               << "\n  user: postgres\n  dbname: " << db_
                               << "\nredis:\n  addr: " << redis_.address() << "\n"
                               << wal_task_yaml("status_cli_unread");
  CommandOutput out = run_command({COURIER_BINARY, "status", "-c", config_path()}, "", 60s);
  EXPECT_EQ(out.exit_code, 1) << out.output;
  const std::string server = "Postgres 127.0.0.1:" + std::to_string(port) + "/" + db_;
  EXPECT_TRUE(contains(out.output, server + ": unreachable")) << out.output;
  EXPECT_TRUE(contains(out.output, "problem: " + server + ": ")) << out.output;
  EXPECT_TRUE(contains(out.output, "replication slot 'status_cli_unread': not read")) << out.output;
}

TEST_F(StatusCli, JsonParsesAndHasTheFields) {
  ASSERT_EQ(courier("once", task_yaml()).exit_code, 0);
  redis({"XGROUP", "CREATE", stream(), "courier", "$", "MKSTREAM"});
  CommandOutput out = status(task_yaml() + streams_yaml(), {"--json"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  nlohmann::json json = nlohmann::json::parse(out.output, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << out.output;
  EXPECT_EQ(json["healthy"], true);
  EXPECT_EQ(json["redis"]["ok"], true);
  EXPECT_EQ(json["tasks"][0]["name"], prefix_);
  EXPECT_TRUE(json["tasks"][0]["checkpoint"].is_string()) << out.output;
  ASSERT_TRUE(json["tasks"][0]["last_run_unix"].is_number()) << out.output;
  EXPECT_LE(json["tasks"][0]["lag_seconds"].get<int64_t>(), 60) << "once ran a moment ago";
  EXPECT_EQ(json["tasks"][0]["dead_letters"], 0);
  EXPECT_EQ(json["streams"][0]["stream"], stream());
  EXPECT_EQ(json["streams"][0]["pending"], 0);
  EXPECT_EQ(json["stream_dead_letters"]["count"], 0);
  EXPECT_TRUE(json["problems"].empty());
}

TEST_F(StatusCli, InvalidFileExitsTwo) {
  CommandOutput out = status("tasks:\n  - name: x\n    tabel: orders\n");
  EXPECT_EQ(out.exit_code, 2) << out.output;
}

}  // namespace
}  // namespace courier::testing
