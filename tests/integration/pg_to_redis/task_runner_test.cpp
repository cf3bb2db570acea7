// A whole table-sync run against real servers: every structure end to end with the type
// rules applied, equal timestamps across batch boundaries, rows committed late (an open
// transaction, concurrent writers), a late row caught by lookback, a bad row dead-lettered
// while the run goes on, WRONGTYPE leaving the checkpoint alone, and a server that refuses
// writes (MISCONF) losing no row. Faults and the cluster: task_runner_faults_test.cpp.
#include "task_runner_fixture.h"

namespace courier::pg_to_redis {
namespace {

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
  EXPECT_EQ(get({"GET", prefix_ + ":doc:7"}), R"({"id":7,"paid":false,"note":null})");
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

}  // namespace
}  // namespace courier::pg_to_redis
