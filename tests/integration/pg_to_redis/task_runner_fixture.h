// The fixture of the TaskRunner integration tests: a database with an `orders` table,
// a task per structure under a test-unique key prefix, helpers that read Redis back, and
// RefusedWrites (a Redis server that answers MISCONF). Shared by task_runner_test.cpp and
// task_runner_faults_test.cpp.
#pragma once

#include "pg_to_redis/task_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../pg/pg_fixture.h"
#include "core/dead_letter/redis_stream_store.h"
#include "pg_to_redis/task_lease.h"
#include "poll_until.h"
#include "redis/client.h"
#include "redis/slot.h"
#include "servers.h"

namespace courier::pg_to_redis {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::unique_name;
using ::testing::UnorderedElementsAre;

inline std::unique_ptr<redis::Client> redis_client(const std::vector<std::string>& nodes) {
  auto client = redis::make_client({.nodes = nodes});
  EXPECT_TRUE(client.ok()) << client.status().to_string();
  return client.ok() ? std::move(*client) : nullptr;
}

using courier::testing::poll_until;

// A Redis server whose last background save failed, while save points are configured and
// stop-writes-on-bgsave-error is on (the default): it answers every write with MISCONF
// until a save succeeds. The save is made slow (rdb-key-save-delay) and its child killed,
// which Redis counts as a failed save; `dir` cannot be changed at run time in Redis 7.
class RefusedWrites {
 public:
  // `probe_key` must be served by `server` (in a cluster: a slot it is master of).
  RefusedWrites(testing::RedisServer& server, std::string probe_key)
      : server_(server), probe_key_(std::move(probe_key)) {
    server_.command({"SET", probe_key_, "before"});  // a key, so the save has work to delay
    server_.command({"CONFIG", "SET", "save", "3600 1"});
    server_.command({"CONFIG", "SET", "rdb-key-save-delay", "100000000"});
    EXPECT_EQ(server_.command({"BGSAVE"}), "Background saving started");
    const std::string pid = info_field("server", "process_id");
    std::string child;
    EXPECT_TRUE(poll_until(10s,
                           [&] {
                             std::ifstream children("/proc/" + pid + "/task/" + pid + "/children");
                             return static_cast<bool>(children >> child);
                           }))
        << "no BGSAVE child of redis pid " << pid;
    if (!child.empty()) ::kill(std::stoi(child), SIGKILL);
    EXPECT_TRUE(poll_until(10s, [&] { return refuses(); })) << "writes are not refused";
  }
  ~RefusedWrites() {
    heal();
    server_.command({"CONFIG", "SET", "save", ""});
    server_.command({"DEL", probe_key_});
  }

  bool refuses() const {
    return server_.command({"SET", probe_key_, "probe"}).starts_with("MISCONF");
  }

  // A save that succeeds: writes are taken again.
  void heal() {
    server_.command({"CONFIG", "SET", "rdb-key-save-delay", "0"});
    if (!refuses()) return;
    EXPECT_TRUE(poll_until(10s, [&] {
      server_.command({"BGSAVE"});  // refused while one still runs; then tried again
      return !refuses();
    })) << "writes are still refused";
  }

 private:
  std::string info_field(const std::string& section, const std::string& field) const {
    const std::string info = server_.command({"INFO", section});
    const size_t at = info.find(field + ":");
    if (at == std::string::npos) return "";
    const size_t start = at + field.size() + 1;
    return info.substr(start, info.find_first_of("\r\n", start) - start);
  }

  testing::RedisServer& server_;
  std::string probe_key_;
};

class TaskRunnerTest : public pg::PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    prefix_ = unique_name("sync");
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE orders (id bigint PRIMARY KEY, status text, amount numeric(12,2),"
        " paid boolean, placed_at timestamptz NOT NULL, tags text[], note text)"));
  }

  // A task on `orders` tracked by placed_at; its keys carry this test's prefix.
  TaskConfig task(Structure structure) const {
    TaskConfig t;
    t.name = prefix_ + "_" + std::string(to_string(structure));
    t.table = TableName{"public", "orders"};
    t.table_as_written = "orders";
    t.structure = structure;
    t.key_prefix = prefix_ + ":";
    t.tracking = TrackingConfig{.column = "placed_at", .last_value_key = "checkpoint:" + t.name};
    t.batch_size = 3;
    return t;
  }

  void insert(int first, int last, const std::string& placed_at = "2024-05-01 10:00:00+00") {
    PG_ASSERT_OK(conn().execute(
        "INSERT INTO orders SELECT g, 's' || g, g * 1.25, g % 2 = 0, $3::timestamptz,"
        " ARRAY['a', 'b c'], NULL FROM generate_series($1::int, $2::int) g",
        {std::to_string(first), std::to_string(last), placed_at}));
  }

  pg::ConnectionOptions postgres_options() const { return *pg::ConnectionOptions::from_url(url()); }

  RunOutcome run(const TaskConfig& t, TaskRunnerOptions options = {}) {
    TaskRunner runner(t, postgres_options(), {.nodes = {redis_address_}}, std::move(options));
    return runner.run();
  }

  RunReport run_ok(const TaskConfig& t) {
    RunOutcome outcome = run(t);
    EXPECT_TRUE(outcome.status.ok()) << outcome.status.to_string();
    return outcome.report;
  }

  std::string get(const redis::Command& command) {
    auto reply = redis_->command(command);
    EXPECT_TRUE(reply.ok()) << reply.status().to_string();
    if (!reply.ok() || reply->is_nil()) return "(nil)";
    return reply->is_integer() ? std::to_string(reply->integer()) : reply->str();
  }
  std::vector<std::string> list(const redis::Command& command) {
    std::vector<std::string> out;
    auto reply = redis_->command(command);
    EXPECT_TRUE(reply.ok()) << reply.status().to_string();
    if (reply.ok())
      for (const redis::Reply& element : reply->elements()) out.push_back(element.str());
    return out;
  }
  // The ids (field "id") of every stream entry, in stream order.
  std::vector<std::string> stream_ids(const std::string& key) {
    std::vector<std::string> ids;
    auto reply = redis_->command({"XRANGE", key, "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status().to_string();
    if (!reply.ok()) return ids;
    for (const redis::Reply& entry : reply->elements()) {
      const auto& fields = entry.elements().at(1).elements();
      for (size_t i = 0; i + 1 < fields.size(); i += 2)
        if (fields[i].str() == "id") ids.push_back(fields[i + 1].str());
    }
    return ids;
  }

  // The rows parked in the task's dead-letter stream, as `courier dlq list` reads them.
  std::vector<DeadLetter> dead_letters(const TaskConfig& t) {
    RedisStreamDeadLetterStore store(*redis_, t.dead_letter_key());
    auto letters = store.receive(100);
    EXPECT_TRUE(letters.ok()) << letters.status().to_string();
    return letters.ok() ? *letters : std::vector<DeadLetter>{};
  }

  TaskConfig hash_task() const {
    TaskConfig t = task(Structure::kHash);
    t.key_template = KeyTemplate{{{false, "order:"}, {true, "id"}}};
    t.fields = {"status"};
    return t;
  }

  std::string prefix_;
  std::string redis_address_ = testing::shared_redis().address();
  std::unique_ptr<redis::Client> redis_ = redis_client({redis_address_});
};

}  // namespace courier::pg_to_redis
