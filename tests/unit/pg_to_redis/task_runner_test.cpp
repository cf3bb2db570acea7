// A table-sync task's runs — lease, checkpoint, pages, retry from the checkpoint, a lock
// held elsewhere, stop — against an in-memory Postgres session and Redis client. The same
// runner against real servers (restarts, kills, two processes) is in
// tests/integration/pg_to_redis/task_runner_test.cpp.
#include "pg_to_redis/task_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_redis_client.h"
#include "pg_to_redis/tracking_cursor.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A table `items (id int8 primary key, name text)` behind a pg::Session that understands
// what the task sends: the session settings, the advisory lock and its release, the
// tracking column's type, and the page query (`… WHERE "id" > $1 ORDER BY "id" LIMIT n`). Shared by every session the
// task opens, so that a test sees all of them.
struct FakeDatabase {
  std::map<long long, std::string> rows;  // id → name
  bool locked_elsewhere = false;
  std::map<int, Status> page_failures;  // the n-th page read (from 1) fails with this
  int sessions_opened = 0;
  int reconnects = 0;
  int page_reads = 0;
  int locks_taken = 0;
  int locks_released = 0;
};

class FakeSession : public pg::Session {
 public:
  explicit FakeSession(FakeDatabase& db) : db_(db) {}

  Result<pg::QueryResult> execute(std::string_view sql, const pg::Params& params) override {
    if (sql.find("pg_try_advisory_lock") != std::string_view::npos) {
      if (!db_.locked_elsewhere) ++db_.locks_taken;
      return boolean(!db_.locked_elsewhere);
    }
    if (sql.find("pg_advisory_unlock") != std::string_view::npos) {
      ++db_.locks_released;
      return boolean(true);
    }
    if (sql.find("FROM pg_attribute") != std::string_view::npos) {  // the tracking column's type
      return pg::QueryResult::from_values({{"atttypid", 20}, {"format_type", 25}},
                                          {{"20", "bigint"}});
    }
    if (sql.starts_with("SELECT \"name\", \"id\" FROM \"public\".\"items\"")) return page(sql, params);
    ADD_FAILURE() << "unexpected statement: " << sql;
    return Status(StatusCode::kInternal, "the fake does not know this statement");
  }
  Status execute_script(std::string_view) override { return Status::Ok(); }
  bool is_open() const override { return true; }
  Status reconnect() override {
    ++db_.reconnects;
    return Status::Ok();
  }

 private:
  static pg::QueryResult boolean(bool value) {
    return pg::QueryResult::from_values({{"locked", 16}}, {{value ? "t" : "f"}});
  }

  Result<pg::QueryResult> page(std::string_view sql, const pg::Params& params) {
    int number = ++db_.page_reads;
    if (auto failure = db_.page_failures.find(number); failure != db_.page_failures.end())
      return failure->second;
    long long after = params.empty() ? std::numeric_limits<long long>::min() : std::stoll(*params[0]);
    const std::string_view limit_text = sql.substr(sql.rfind(' ') + 1);
    int limit = 0;
    std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), limit);
    std::vector<std::vector<std::optional<std::string>>> out;
    for (auto row = db_.rows.upper_bound(after);
         row != db_.rows.end() && static_cast<int>(out.size()) < limit; ++row) {
      out.push_back({row->second, std::to_string(row->first)});
    }
    return pg::QueryResult::from_values({{"name", 25}, {"id", 20}}, out);
  }

  FakeDatabase& db_;
};

TaskConfig items_task() {
  TaskConfig t;
  t.name = "items";
  t.table.name = "items";
  t.table_as_written = "items";
  t.structure = Structure::kList;
  t.value = "name";
  t.primary_key = {"id"};
  t.tracking = TrackingConfig{.column = "id"};
  t.batch_size = 2;
  return t;
}

class TaskRunnerUnitTest : public ::testing::Test {
 protected:
  TaskConnectors connectors() {
    return TaskConnectors{
        .postgres = [this]() -> Result<std::unique_ptr<pg::Session>> {
          ++db.sessions_opened;
          return std::unique_ptr<pg::Session>(std::make_unique<FakeSession>(db));
        },
        .redis = [this]() -> Result<std::unique_ptr<redis::Client>> {
          return std::unique_ptr<redis::Client>(std::make_unique<Forwarding>(redis));
        }};
  }
  TaskRunnerOptions options() {
    return {.retry = {.max_attempts = 3, .initial_delay = 1ms, .max_delay = 1ms}};
  }
  // The names pushed onto the list, in order.
  std::vector<std::string> written() const {
    std::vector<std::string> names;
    for (const redis::Command& command : redis.applied) names.push_back(command.back());
    return names;
  }
  std::optional<std::string> checkpoint_id() {
    auto stored = redis.strings.find("checkpoint:items");
    if (stored == redis.strings.end()) return std::nullopt;
    auto cursor = TrackingCursor::decode(stored->second, "checkpoint:items");
    if (!cursor.ok()) return "undecodable";
    return cursor->values.front();
  }

  FakeDatabase db;
  FakeRedisClient redis;
  TaskConfig task = items_task();

 private:
  // Each session the runner opens is a view of the one fake Redis.
  class Forwarding : public redis::Client {
   public:
    explicit Forwarding(FakeRedisClient& to) : to_(to) {}
    Result<redis::Reply> command(const redis::Command& c) override { return to_.command(c); }
    std::vector<Result<redis::Reply>> pipeline(const std::vector<redis::Command>& c) override {
      return to_.pipeline(c);
    }
    Result<std::vector<redis::Reply>> transaction(const std::vector<redis::Command>& c) override {
      return to_.transaction(c);
    }
    Result<std::vector<redis::Reply>> guarded_transaction(
        const redis::TransactionGuard& guard, const std::vector<redis::Command>& c) override {
      return to_.guarded_transaction(guard, c);
    }
    Status ping() override { return to_.ping(); }

   private:
    FakeRedisClient& to_;
  };
};

TEST_F(TaskRunnerUnitTest, ARunWritesEveryPageWithItsCheckpointAndReleasesTheLock) {
  db.rows = {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}};
  TaskRunner runner(task, connectors(), options());
  RunOutcome outcome = runner.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_THAT(written(), ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(outcome.report.rows_written, 5u);
  EXPECT_EQ(outcome.report.batches, 3u);  // pages of 2, 2 and 1 rows
  EXPECT_EQ(outcome.report.attempts, 1u);
  EXPECT_EQ(outcome.report.checkpoint_before, std::nullopt);
  EXPECT_EQ(checkpoint_id(), "5");
  EXPECT_FALSE(outcome.report.stopped);
  EXPECT_EQ(db.locks_taken, 1);
  EXPECT_EQ(db.locks_released, 1);
}

TEST_F(TaskRunnerUnitTest, TheNextRunStartsAfterTheCheckpointOnTheSameSession) {
  db.rows = {{1, "a"}, {2, "b"}};
  TaskRunner runner(task, connectors(), options());
  ASSERT_TRUE(runner.run().status.ok());
  db.rows[3] = "c";
  db.rows[7] = "g";
  RunOutcome second = runner.run();
  ASSERT_TRUE(second.status.ok()) << second.status.to_string();
  EXPECT_THAT(written(), ElementsAre("a", "b", "c", "g"));
  EXPECT_EQ(second.report.rows_written, 2u);
  EXPECT_TRUE(second.report.checkpoint_before.has_value());
  EXPECT_EQ(checkpoint_id(), "7");
  EXPECT_EQ(db.sessions_opened, 1);
}

TEST_F(TaskRunnerUnitTest, ALockHeldElsewhereSkipsTheRunWithoutReading) {
  db.rows = {{1, "a"}};
  db.locked_elsewhere = true;
  TaskRunner runner(task, connectors(), options());
  RunOutcome outcome = runner.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_TRUE(outcome.report.locked_elsewhere);
  EXPECT_EQ(db.page_reads, 0);
  EXPECT_THAT(written(), IsEmpty());
  EXPECT_EQ(checkpoint_id(), std::nullopt);
}

TEST_F(TaskRunnerUnitTest, ALostSessionMidRunIsRetriedFromTheCheckpointWithNothingWrittenTwice) {
  db.rows = {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}};
  db.page_failures[2] = Status(StatusCode::kUnavailable, "server closed the connection");
  TaskRunner runner(task, connectors(), options());
  RunOutcome outcome = runner.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_EQ(outcome.report.attempts, 2u);
  EXPECT_EQ(db.reconnects, 1);
  EXPECT_THAT(written(), ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(checkpoint_id(), "5");
  EXPECT_EQ(db.locks_taken, 2);
  EXPECT_EQ(db.locks_released, 2);
}

TEST_F(TaskRunnerUnitTest, APermanentErrorEndsTheRunAtOnceAndKeepsTheCheckpoint) {
  db.rows = {{1, "a"}, {2, "b"}, {3, "c"}};
  db.page_failures[2] = Status(StatusCode::kInvalidArgument, "column \"nme\" does not exist");
  TaskRunner runner(task, connectors(), options());
  RunOutcome outcome = runner.run();
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_THAT(outcome.status.message(), HasSubstr("nme"));
  EXPECT_EQ(outcome.report.attempts, 1u);
  EXPECT_THAT(written(), ElementsAre("a", "b"));  // the first page stands, with its checkpoint
  EXPECT_EQ(checkpoint_id(), "2");
}

TEST_F(TaskRunnerUnitTest, RetriesEndAfterThePolicyWithTheCauseAndTheAttempts) {
  db.rows = {{1, "a"}};
  for (int read = 1; read <= 10; ++read)
    db.page_failures[read] = Status(StatusCode::kUnavailable, "connection refused");
  TaskRunner runner(task, connectors(), options());
  RunOutcome outcome = runner.run();
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_TRUE(outcome.status.retryable());
  EXPECT_THAT(outcome.status.message(), HasSubstr("connection refused"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("gave up after 3 tries"));
  EXPECT_EQ(outcome.report.attempts, 3u);
  EXPECT_EQ(db.page_reads, 3);
  EXPECT_THAT(written(), IsEmpty());
}

TEST_F(TaskRunnerUnitTest, AStopAskedForMidRunEndsAfterThePageInHandWithItsCheckpoint) {
  db.rows = {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}};
  std::stop_source stop;
  TaskRunnerOptions stopping = options();
  stopping.stop = stop.get_token();
  stopping.on_batch = [&](const RunReport&) { stop.request_stop(); };
  TaskRunner runner(task, connectors(), stopping);
  RunOutcome outcome = runner.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_TRUE(outcome.report.stopped);
  ASSERT_FALSE(written().empty());
  EXPECT_LT(written().size(), 5u);
  EXPECT_EQ(checkpoint_id(), written().back() == "b" ? "2" : "4");
  EXPECT_EQ(db.locks_released, 1);
}

}  // namespace
}  // namespace courier::pg_to_redis
