// A whole table-sync run against real servers: every structure end to end with the type
// rules applied, equal timestamps across batch boundaries, a late row caught by lookback,
// a bad row dead-lettered while the run goes on, WRONGTYPE leaving the checkpoint alone,
// a server that refuses writes (MISCONF) losing no row, standalone and on one cluster
// master, the advisory lock between two runners, Redis and Postgres restarted in the
// middle of a run, and a Redis Cluster target.
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
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::unique_name;
using ::testing::UnorderedElementsAre;

std::unique_ptr<redis::Client> redis_client(const std::vector<std::string>& nodes) {
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

// ---- each structure, end to end ----------------------------------------------------------

TEST_F(TaskRunnerTest, MapHoldsKeyColumnToValueColumn) {
  insert(1, 4);
  TaskConfig t = task(Structure::kMap);
  t.key = "id";
  t.value = "amount";
  RunReport report = run_ok(t);
  EXPECT_EQ(report.rows_written, 4u);
  EXPECT_EQ(report.batches, 2u);  // 3 + 1 rows
  EXPECT_THAT(list({"HGETALL", prefix_ + ":orders"}),
              ElementsAre("1", "1.25", "2", "2.50", "3", "3.75", "4", "5.00"));
}

TEST_F(TaskRunnerTest, ListAndSetHoldTheValueColumn) {
  insert(1, 4);
  TaskConfig as_list = task(Structure::kList);
  as_list.value = "status";
  as_list.alias = "recent";
  TaskConfig as_set = task(Structure::kSet);
  as_set.value = "paid";
  as_set.alias = "paid_flags";
  run_ok(as_list);
  run_ok(as_set);
  EXPECT_THAT(list({"LRANGE", prefix_ + ":recent", "0", "-1"}),
              ElementsAre("s4", "s3", "s2", "s1"));
  EXPECT_THAT(list({"SMEMBERS", prefix_ + ":paid_flags"}), UnorderedElementsAre("0", "1"));
}

TEST_F(TaskRunnerTest, SortedSetScoresComeFromTimestampsAsEpochSeconds) {
  insert(1, 2, "2024-05-01 10:00:00.5+00");
  TaskConfig t = task(Structure::kSortedSet);
  t.value = "id";
  t.score = "placed_at";
  run_ok(t);
  EXPECT_THAT(list({"ZRANGE", prefix_ + ":orders", "0", "-1", "WITHSCORES"}),
              ElementsAre("1", "1714557600.5", "2", "1714557600.5"));
}

TEST_F(TaskRunnerTest, StreamEntriesCarryFieldsNamedThroughColumnMapInListedOrder) {
  insert(1, 2);
  TaskConfig t = task(Structure::kStream);
  t.fields = {"order_id", "total", "tags", "note"};
  t.column_map = {{"order_id", "id"}, {"total", "amount"}};
  run_ok(t);
  auto reply = redis_->command({"XRANGE", prefix_ + ":orders", "-", "+"});
  ASSERT_TRUE(reply.ok());
  ASSERT_EQ(reply->elements().size(), 2u);
  std::vector<std::string> fields;
  for (const redis::Reply& f : reply->elements()[1].elements().at(1).elements())
    fields.push_back(f.str());
  EXPECT_THAT(fields,
              ElementsAre("order_id", "2", "total", "2.50", "tags", R"(["a","b c"])", "note", ""));
}

TEST_F(TaskRunnerTest, HashAndStringPerRowKeysFromTheTemplate) {
  insert(7, 7);
  TaskConfig hash = task(Structure::kHash);
  hash.key_template = KeyTemplate{{{false, "order:"}, {true, "id"}}};
  hash.fields = {"status", "placed_at", "note"};
  TaskConfig string = task(Structure::kString);
  string.key_template = KeyTemplate{{{false, "doc:"}, {true, "id"}}};
  string.fields = {"id", "paid", "note"};
  string.ttl = 1h;
  run_ok(hash);
  run_ok(string);
  EXPECT_THAT(list({"HGETALL", prefix_ + ":order:7"}),
              ElementsAre("status", "s7", "placed_at", "2024-05-01T10:00:00+00:00"));
  EXPECT_EQ(get({"GET", prefix_ + ":doc:7"}), R"({"id":"7","paid":"0","note":null})");
  EXPECT_GT(std::stoll(get({"PTTL", prefix_ + ":doc:7"})), 3'500'000);
}

// ---- exact tracking ----------------------------------------------------------------------

TEST_F(TaskRunnerTest, RowsSharingATimestampAcrossBatchesAndRunsAreAllDelivered) {
  insert(1, 7);  // seven rows, one timestamp; batches of three
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  run_ok(t);
  insert(8, 9);  // later rows with the very same timestamp: Red Courier's `>` skipped them
  RunReport second = run_ok(t);
  EXPECT_EQ(second.rows_written, 2u);
  EXPECT_THAT(stream_ids(prefix_ + ":orders"),
              ElementsAre("1", "2", "3", "4", "5", "6", "7", "8", "9"));
  EXPECT_EQ(run_ok(t).rows_fetched, 0u);  // nothing is read twice
}

TEST_F(TaskRunnerTest, ARowCommittedAfterNewerOnesIsStillDelivered) {
  // A writer's transaction takes its timestamp when it starts and commits after another
  // writer's newer row: reading past the newer row would leave the older one behind the
  // checkpoint for good. The read stops before the oldest open transaction's start.
  auto late = connect();
  ASSERT_NE(late, nullptr);
  PG_ASSERT_OK(late->execute("BEGIN"));
  PG_ASSERT_OK(late->execute(
      "INSERT INTO orders (id, status, placed_at) VALUES (1, 'late', now())"));
  std::this_thread::sleep_for(20ms);
  PG_ASSERT_OK(conn().execute(
      "INSERT INTO orders (id, status, placed_at) VALUES (2, 'early', now())"));
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  EXPECT_EQ(run_ok(t).rows_fetched, 0u);  // row 2 waits behind the open transaction
  PG_ASSERT_OK(late->execute("COMMIT"));
  run_ok(t);
  EXPECT_THAT(stream_ids(prefix_ + ":orders"), ElementsAre("1", "2"));
}

TEST_F(TaskRunnerTest, ConcurrentWritersCommittingOutOfOrderLoseNothing) {
  // Four writers whose transactions take now() and then linger before committing, so rows
  // commit out of timestamp order, while the task runs again and again.
  std::atomic<int> next_id{1};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto writer = connect();
      std::mt19937 random(w);
      std::uniform_int_distribution<int> linger_ms(0, 15);
      for (int i = 0; i < 60; ++i) {
        const std::string id = std::to_string(next_id++);
        EXPECT_TRUE(writer->execute("BEGIN").ok());
        EXPECT_TRUE(writer
                        ->execute("INSERT INTO orders (id, status, placed_at) VALUES ($1::bigint,"
                                  " 'w', now())",
                                  {id})
                        .ok());
        std::this_thread::sleep_for(std::chrono::milliseconds(linger_ms(random)));
        EXPECT_TRUE(writer->execute("COMMIT").ok());
      }
    });
  }
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  t.batch_size = 7;
  std::atomic<bool> writing{true};
  std::thread stopper([&] {
    for (std::thread& writer : writers) writer.join();
    writing = false;
  });
  while (writing) run_ok(t);
  stopper.join();
  run_ok(t);
  std::vector<std::string> ids = stream_ids(prefix_ + ":orders");
  EXPECT_EQ(ids.size(), 240u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 240u);
}

TEST_F(TaskRunnerTest, IntegerTrackingColumnIsCheckpointed) {
  insert(1, 5);
  TaskConfig t = task(Structure::kList);
  t.value = "id";
  t.tracking->column = "id";
  run_ok(t);
  EXPECT_EQ(get({"GET", "checkpoint:" + t.name}), R"(["5"])");
  insert(6, 6);
  EXPECT_EQ(run_ok(t).rows_written, 1u);
  EXPECT_THAT(list({"LRANGE", prefix_ + ":orders", "0", "-1"}),
              ElementsAre("6", "5", "4", "3", "2", "1"));
}

TEST_F(TaskRunnerTest, RowCommittedLateWithAnOlderTimestampArrivesWithinTheLookback) {
  insert(1, 3, "2024-05-01 10:00:00+00");
  TaskConfig t = task(Structure::kHash);
  t.key_template = KeyTemplate{{{false, "order:"}, {true, "id"}}};
  t.fields = {"status"};
  t.lookback = 2min;
  run_ok(t);
  insert(4, 4, "2024-05-01 09:59:00+00");  // committed after the run, dated before it
  run_ok(t);
  EXPECT_EQ(get({"HGET", prefix_ + ":order:4", "status"}), "s4");
}

TEST_F(TaskRunnerTest, WithoutTrackingEveryRunReadsTheWholeTableAndStoresNoCheckpoint) {
  insert(1, 4);
  TaskConfig t = task(Structure::kSet);
  t.value = "id";
  t.tracking.reset();
  EXPECT_EQ(run_ok(t).rows_fetched, 4u);
  EXPECT_EQ(run_ok(t).rows_fetched, 4u);
  EXPECT_EQ(get({"EXISTS", "checkpoint:" + t.name}), "0");
}

// ---- bad rows and refused writes ---------------------------------------------------------

TEST_F(TaskRunnerTest, RowWithoutAUsableScoreIsSkippedAndTheRunGoesOn) {
  insert(1, 4);
  PG_ASSERT_OK(conn().execute("ALTER TABLE orders ADD COLUMN rank numeric"));
  PG_ASSERT_OK(conn().execute("UPDATE orders SET rank = id * 10 WHERE id <> 2"));
  TaskConfig t = task(Structure::kSortedSet);
  t.value = "id";
  t.score = "rank";
  RunOutcome outcome = run(t);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_EQ(outcome.report.rows_skipped, 1u);
  EXPECT_EQ(outcome.report.rows_written, 3u);
  EXPECT_THAT(list({"ZRANGE", prefix_ + ":orders", "0", "-1"}), ElementsAre("1", "3", "4"));
  // Parked with what it takes to find and fix it: the row as Postgres returned it (the
  // columns the task reads).
  std::vector<DeadLetter> letters = dead_letters(t);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].metadata["task"], t.name);
  EXPECT_EQ(letters[0].metadata["table"], "public.orders");
  EXPECT_EQ(letters[0].metadata["primary_key"], "id=2");
  EXPECT_EQ(letters[0].error_code, "invalid_argument");
  EXPECT_THAT(letters[0].error, ::testing::HasSubstr("rank"));
  EXPECT_THAT(letters[0].payload, ::testing::HasSubstr(R"("id":"2")"));
  EXPECT_THAT(letters[0].payload, ::testing::HasSubstr(R"("rank":null)"));
}

TEST_F(TaskRunnerTest, WrongTypeOnOneRowsKeyParksThatRowAndWritesItsNeighbours) {
  insert(1, 5);
  TaskConfig t = hash_task();
  ASSERT_EQ(get({"SET", prefix_ + ":order:3", "a string, not a hash"}), "OK");
  RunOutcome outcome = run(t);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_EQ(outcome.report.rows_written, 4u);
  EXPECT_EQ(outcome.report.rows_skipped, 1u);
  for (const char* id : {"1", "2", "4", "5"})
    EXPECT_EQ(get({"HGET", prefix_ + ":order:" + id, "status"}), std::string("s") + id);
  EXPECT_NE(get({"GET", "checkpoint:" + t.name}), "(nil)");  // moved past the parked row
  EXPECT_EQ(run_ok(t).rows_fetched, 0u);
  std::vector<DeadLetter> letters = dead_letters(t);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].metadata["primary_key"], "id=3");
  EXPECT_EQ(letters[0].metadata["table"], "public.orders");
  EXPECT_EQ(letters[0].error_code, "failed_precondition");
  EXPECT_EQ(letters[0].error_detail, "WRONGTYPE");
  EXPECT_THAT(letters[0].error, ::testing::HasSubstr(prefix_ + ":order:3"));
  EXPECT_EQ(letters[0].payload, R"({"id":"3","status":"s3"})");
}

TEST_F(TaskRunnerTest, WritesRefusedByTheServersStateKeepTheCheckpointUntilTheyAreWritten) {
  auto redis = testing::RedisServer::start();
  redis_address_ = redis->address();
  redis_ = redis_client({redis_address_});
  insert(1, 5);
  TaskConfig t = hash_task();
  {
    RefusedWrites misconf(*redis, "probe");
    RunOutcome refused = run(t, {.retry = {.max_attempts = 2, .initial_delay = 10ms}});
    ASSERT_FALSE(refused.status.ok());
    EXPECT_TRUE(refused.status.retryable()) << refused.status.to_string();
    EXPECT_EQ(refused.status.detail(), "MISCONF");
    EXPECT_EQ(refused.report.rows_skipped, 0u);
    EXPECT_EQ(get({"GET", "checkpoint:" + t.name}), "(nil)");
    EXPECT_THAT(dead_letters(t), ::testing::IsEmpty());
  }
  RunReport healed = run_ok(t);
  EXPECT_EQ(healed.rows_written, 5u);
  for (const char* id : {"1", "2", "3", "4", "5"})
    EXPECT_EQ(get({"HGET", prefix_ + ":order:" + id, "status"}), std::string("s") + id);
  EXPECT_NE(get({"GET", "checkpoint:" + t.name}), "(nil)");
}

TEST_F(TaskRunnerTest, WrongTypeInRedisFailsTheRunAndKeepsTheCheckpoint) {
  insert(1, 2);
  TaskConfig t = task(Structure::kList);
  t.value = "id";
  ASSERT_EQ(get({"SET", prefix_ + ":orders", "not a list"}), "OK");
  RunOutcome outcome = run(t);
  EXPECT_FALSE(outcome.status.ok());
  EXPECT_FALSE(outcome.status.retryable());
  EXPECT_THAT(outcome.status.message(), ::testing::HasSubstr("WRONGTYPE"));
  EXPECT_EQ(get({"GET", "checkpoint:" + t.name}), "(nil)");
  ASSERT_EQ(get({"DEL", prefix_ + ":orders"}), "1");
  EXPECT_EQ(run_ok(t).rows_written, 2u);  // fixed: the rows were not lost
}

TEST_F(TaskRunnerTest, MissingTableIsAPermanentErrorNamingIt) {
  TaskConfig t = task(Structure::kSet);
  t.value = "id";
  t.table.name = "no_such_table";
  RunOutcome outcome = run(t);
  EXPECT_FALSE(outcome.status.ok());
  EXPECT_FALSE(outcome.status.retryable());
  EXPECT_EQ(outcome.report.attempts, 1u);
  EXPECT_THAT(outcome.status.message(), ::testing::HasSubstr("no_such_table"));
}

// ---- several processes -------------------------------------------------------------------

TEST_F(TaskRunnerTest, ATaskLeasedByAnotherSessionIsSkippedUntilReleased) {
  insert(1, 2);
  TaskConfig t = task(Structure::kSet);
  t.value = "id";
  std::unique_ptr<pg::Connection> other = connect();
  auto lease = TaskLease::try_acquire(*other, t.name);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  RunReport skipped = run_ok(t);
  EXPECT_TRUE(skipped.locked_elsewhere);
  EXPECT_EQ(skipped.rows_fetched, 0u);
  // The holder's session ends, as when its process dies: Postgres frees the lock.
  const std::string holder = pg::scalar(*other, "SELECT pg_backend_pid()");
  ASSERT_EQ(pg::scalar(conn(), "SELECT pg_terminate_backend($1::int)", {holder}), "t");
  RunReport taken_over = run_ok(t);
  EXPECT_FALSE(taken_over.locked_elsewhere);
  EXPECT_EQ(taken_over.rows_written, 2u);
}

// ---- servers restarted mid-run -----------------------------------------------------------

TEST_F(TaskRunnerTest, RedisKilledAndRestartedMidRunLeavesEachStreamEntryOnce) {
  auto redis = testing::RedisServer::start({.append_only = true});
  redis_address_ = redis->address();
  insert(1, 3000);
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  t.batch_size = 100;
  std::atomic<int> batches{0};
  TaskRunnerOptions options{.retry = {.max_attempts = 0, .initial_delay = 50ms, .max_delay = 500ms},
                            .on_batch = [&](const RunReport&) {
                              if (++batches == 5) {
                                redis->kill9();
                                redis->restart();
                              }
                            }};
  RunOutcome outcome = run(t, options);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_GE(batches, 30);  // Redis was killed after the fifth, and the run went on
  redis_ = redis_client({redis_address_});
  std::vector<std::string> ids = stream_ids(prefix_ + ":orders");
  EXPECT_EQ(ids.size(), 3000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3000u);
}

TEST_F(TaskRunnerTest, PostgresKilledAndRestartedMidRunLosesNoRow) {
  auto postgres = testing::PostgresServer::start();
  const std::string db = postgres->create_database("restart");
  auto own = pg::connect_to(postgres->url(db));
  ASSERT_NE(own, nullptr);
  // The harness runs Postgres with synchronous_commit off; this table must survive kill -9.
  PG_ASSERT_OK(own->execute_script(
      "SET synchronous_commit = on;"
      "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);"
      "INSERT INTO orders SELECT g, '2024-05-01' FROM generate_series(1, 3000) g"));
  own.reset();
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  t.batch_size = 100;
  std::atomic<int> batches{0};
  TaskRunner runner(t, *pg::ConnectionOptions::from_url(postgres->url(db)),
                    {.nodes = {redis_address_}},
                    {.retry = {.max_attempts = 0, .initial_delay = 50ms, .max_delay = 500ms},
                     .on_batch = [&](const RunReport&) {
                       if (++batches == 5) {
                         postgres->kill9();
                         postgres->restart();
                       }
                     }});
  RunOutcome outcome = runner.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  EXPECT_GT(outcome.report.attempts, 1u);
  std::vector<std::string> ids = stream_ids(prefix_ + ":orders");
  EXPECT_EQ(ids.size(), 3000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3000u);
}

// ---- a cluster target --------------------------------------------------------------------

TEST_F(TaskRunnerTest, ClusterTargetKeepsStreamAndCheckpointTogetherAndSpreadsHashes) {
  insert(1, 50);
  const std::vector<std::string> seeds = testing::shared_cluster().node_addresses();
  TaskConfig stream = task(Structure::kStream);
  stream.fields = {"id"};
  stream.batch_size = 20;
  TaskConfig hash = task(Structure::kHash);
  hash.key_template = KeyTemplate{{{false, "order:"}, {true, "id"}}};
  hash.fields = {"status"};
  for (const TaskConfig* t : {&stream, &hash}) {
    TaskRunner runner(*t, postgres_options(), {.nodes = seeds}, {.cluster = true});
    RunOutcome outcome = runner.run();
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
    EXPECT_EQ(outcome.report.rows_written, 50u);
  }
  redis_ = redis_client(seeds);
  EXPECT_EQ(stream_ids(prefix_ + ":orders").size(), 50u);
  EXPECT_EQ(get({"HGET", prefix_ + ":order:37", "status"}), "s37");
  // A second run finds its checkpoint (kept in the stream's slot) and writes nothing.
  TaskRunner again(stream, postgres_options(), {.nodes = seeds}, {.cluster = true});
  EXPECT_EQ(again.run().report.rows_fetched, 0u);
}

// One master refuses writes (MISCONF) while the checkpoint's master is healthy: the run
// fails retryably without moving the checkpoint, and once the master takes writes again
// the next run writes every row — none was skipped on the sick node's behalf.
TEST_F(TaskRunnerTest, MisconfOnOneClusterMasterLosesNoRowOfAHashTask) {
  constexpr int kRows = 60;
  insert(1, kRows);
  testing::RedisCluster& cluster = testing::shared_cluster();
  const std::vector<std::string> seeds = cluster.node_addresses();
  redis_ = redis_client(seeds);
  TaskConfig t = hash_task();
  t.batch_size = 100;  // one batch: its checkpoint may move only once all its rows are in
  const std::string checkpoint_key = checkpoint_key_for(t, true);
  auto row_key = [&](int id) { return prefix_ + ":order:" + std::to_string(id); };
  testing::RedisServer* checkpoint_master =
      &cluster.master_for_slot(redis::key_slot(checkpoint_key));
  int sick_row = 1;
  while (&cluster.master_for_slot(redis::key_slot(row_key(sick_row))) == checkpoint_master)
    ++sick_row;
  testing::RedisServer& sick = cluster.master_for_slot(redis::key_slot(row_key(sick_row)));
  TaskRunnerOptions options{.cluster = true, .retry = {.max_attempts = 3, .initial_delay = 10ms}};
  {
    RefusedWrites misconf(sick, "{" + row_key(sick_row) + "}probe");
    TaskRunner runner(t, postgres_options(), {.nodes = seeds}, options);
    RunOutcome refused = runner.run();
    ASSERT_FALSE(refused.status.ok());
    EXPECT_TRUE(refused.status.retryable()) << refused.status.to_string();
    EXPECT_EQ(refused.report.attempts, 3u);
    EXPECT_EQ(refused.report.rows_skipped, 0u);
    EXPECT_EQ(get({"GET", checkpoint_key}), "(nil)");
    EXPECT_EQ(get({"EXISTS", row_key(sick_row)}), "0");
    EXPECT_THAT(dead_letters(t), ::testing::IsEmpty());
  }
  TaskRunner runner(t, postgres_options(), {.nodes = seeds}, options);
  RunOutcome healed = runner.run();
  ASSERT_TRUE(healed.status.ok()) << healed.status.to_string();
  EXPECT_EQ(healed.report.rows_written, static_cast<size_t>(kRows));
  for (int id = 1; id <= kRows; ++id)
    EXPECT_EQ(get({"HGET", row_key(id), "status"}), "s" + std::to_string(id)) << id;
  EXPECT_EQ(get({"GET", checkpoint_key}), *healed.report.checkpoint_after);
  EXPECT_THAT(dead_letters(t), ::testing::IsEmpty());
}

}  // namespace
}  // namespace courier::pg_to_redis
