// TaskRunner against real servers that misbehave: a task leased by another session,
// Redis and Postgres killed and restarted in the middle of a run, and a Redis Cluster
// target (checkpoint in the data's slot, MISCONF on one master).
#include "task_runner_fixture.h"

namespace courier::pg_to_redis {
namespace {

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
