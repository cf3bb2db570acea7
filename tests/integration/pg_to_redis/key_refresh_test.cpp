// `refresh: merge` and `refresh: replace` against real servers (KeyRefresh): rows that left
// the query — no longer matching `where`, deleted, parked as bad — leave the map, set,
// sorted set or list; a reader during a replace sees the old set or the new, never a mix;
// the task's ttl after a replace; an empty result removes the key; a run that fails or
// stops half way leaves the old contents; and both modes on the Redis Cluster.
#include "pg_to_redis/key_refresh.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <stop_token>
#include <thread>

#include "task_runner_fixture.h"

namespace courier::pg_to_redis {
namespace {

// A `products` table: the out-of-stock SKUs, and a divisor that makes the page
// query fail (division by zero) at a chosen row. KeyRefreshTest runs `refresh: replace`;
// RefreshModeTest runs each test in both modes.
class KeyRefreshTest : public TaskRunnerTest {
 protected:
  void SetUp() override {
    TaskRunnerTest::SetUp();
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE products (sku text PRIMARY KEY, stock int NOT NULL, price numeric,"
        " divisor int NOT NULL DEFAULT 1)"));
  }

  // Products sku-<first>..sku-<last> (zero-padded, so key order is numeric order).
  void add_products(int first, int last, int stock) {
    PG_ASSERT_OK(conn().execute(
        "INSERT INTO products (sku, stock, price) SELECT 'sku-' || lpad(g::text, 6, '0'), $3,"
        " g * 0.5 FROM generate_series($1::int, $2::int) g",
        {std::to_string(first), std::to_string(last), std::to_string(stock)}));
  }
  void sql(const std::string& statement) { PG_ASSERT_OK(conn().execute_script(statement)); }

  // The task: the SKUs that are out of stock, in this test's refresh mode.
  TaskConfig out_of_stock(Structure structure = Structure::kSet) const {
    TaskConfig t = task(structure);
    t.table = TableName{"public", "products"};
    t.table_as_written = "products";
    t.alias = "out_of_stock";
    t.tracking.reset();
    t.where = "stock = 0 AND 10 / divisor > 0";
    t.key = "sku";
    t.value = structure == Structure::kMap ? "price" : "sku";
    t.score = "price";
    t.refresh = refresh_;
    return t;
  }
  std::string key() const { return prefix_ + ":out_of_stock"; }

  std::vector<std::string> members() {
    std::vector<std::string> out = list({"SMEMBERS", key()});
    std::sort(out.begin(), out.end());
    return out;
  }

  Refresh refresh_ = Refresh::kReplace;
};

class RefreshModeTest : public KeyRefreshTest, public ::testing::WithParamInterface<Refresh> {
 protected:
  void SetUp() override {
    KeyRefreshTest::SetUp();
    refresh_ = GetParam();
  }
};

std::string mode_name(const ::testing::TestParamInfo<Refresh>& info) {
  return info.param == Refresh::kMerge ? "Merge" : "Replace";
}

INSTANTIATE_TEST_SUITE_P(Modes, RefreshModeTest,
                         ::testing::Values(Refresh::kMerge, Refresh::kReplace), mode_name);

// ---- what left the query leaves the key --------------------------------------------------

TEST_P(RefreshModeTest, ARestockedSkuLeavesTheOutOfStockSetOnTheNextRun) {
  add_products(1, 10, 0);
  add_products(11, 20, 4);
  TaskConfig t = out_of_stock();
  EXPECT_EQ(run_ok(t).rows_written, 10u);
  EXPECT_EQ(get({"SCARD", key()}), "10");
  sql("UPDATE products SET stock = 3 WHERE sku = 'sku-000004'");  // restocked
  sql("UPDATE products SET stock = 0 WHERE sku = 'sku-000015'");  // sold out
  sql("DELETE FROM products WHERE sku = 'sku-000007'");
  RunReport report = run_ok(t);
  EXPECT_EQ(report.members_removed, GetParam() == Refresh::kMerge ? 2u : 0u);
  EXPECT_THAT(members(), ElementsAre("sku-000001", "sku-000002", "sku-000003", "sku-000005",
                                     "sku-000006", "sku-000008", "sku-000009", "sku-000010",
                                     "sku-000015"));
  EXPECT_EQ(get({"EXISTS", refresh_scratch_key(t)}), "0");  // nothing left behind
}

TEST_P(RefreshModeTest, MapFieldsAndSortedSetMembersThatLeftTheQueryAreRemoved) {
  add_products(1, 6, 0);
  TaskConfig as_map = out_of_stock(Structure::kMap);
  TaskConfig as_zset = out_of_stock(Structure::kSortedSet);
  as_zset.alias = "cheapest_out_of_stock";
  const std::string zset_key = prefix_ + ":cheapest_out_of_stock";
  run_ok(as_map);
  run_ok(as_zset);
  sql("UPDATE products SET stock = 1 WHERE sku IN ('sku-000002', 'sku-000005');"
      "DELETE FROM products WHERE sku = 'sku-000006';"
      "UPDATE products SET price = NULL WHERE sku = 'sku-000001'");  // no score: parked
  run_ok(as_map);
  RunOutcome zset_run = run(as_zset);
  ASSERT_TRUE(zset_run.status.ok()) << zset_run.status.to_string();
  EXPECT_EQ(zset_run.report.rows_skipped, 1u);
  // A NULL map value is "" (the map writes every row); the parked row leaves the sorted set.
  EXPECT_THAT(list({"HGETALL", key()}),
              UnorderedElementsAre("sku-000001", "", "sku-000003", "1.5", "sku-000004", "2.0"));
  EXPECT_THAT(list({"ZRANGE", zset_key, "0", "-1", "WITHSCORES"}),
              ElementsAre("sku-000003", "1.5", "sku-000004", "2"));
}

TEST_P(RefreshModeTest, AnEmptyResultRemovesTheKey) {
  add_products(1, 5, 0);
  TaskConfig t = out_of_stock();
  run_ok(t);
  ASSERT_EQ(get({"SCARD", key()}), "5");
  sql("UPDATE products SET stock = 9");
  run_ok(t);
  EXPECT_EQ(get({"EXISTS", key()}), "0");
  EXPECT_EQ(get({"EXISTS", refresh_scratch_key(t)}), "0");
}

// ---- a run that does not finish changes nothing --------------------------------------------

TEST_P(RefreshModeTest, ARunWhosePageQueryFailsHalfWayLeavesTheOldContents) {
  add_products(1, 30, 0);
  TaskConfig t = out_of_stock();
  run_ok(t);
  sql("UPDATE products SET stock = 1 WHERE sku = 'sku-000002'");  // left the query
  // Once two pages are written, the pages still to read fail (division by zero in `where`).
  TaskRunnerOptions options{.retry = {.max_attempts = 1}, .on_batch = [&](const RunReport& r) {
                              if (r.batches == 2) {
                                sql("UPDATE products SET divisor = 0 WHERE sku = 'sku-000030'");
                              }
                            }};
  RunOutcome failed = run(t, options);
  ASSERT_FALSE(failed.status.ok());
  EXPECT_THAT(failed.status.message(), ::testing::HasSubstr("division by zero"));
  EXPECT_GE(failed.report.batches, 2u);
  EXPECT_LT(failed.report.batches, 10u);
  EXPECT_EQ(get({"SCARD", key()}), "30");  // sku-000002 still there: nothing removed
  EXPECT_EQ(get({"SISMEMBER", key(), "sku-000002"}), "1");
  // What the failed run left (the staging copy, or the seen set) expires by itself.
  const long long scratch_ttl = std::stoll(get({"PTTL", refresh_scratch_key(t)}));
  EXPECT_GT(scratch_ttl, 0);
  EXPECT_LE(scratch_ttl, kRefreshScratchExpiry.count());

  sql("UPDATE products SET divisor = 1");
  EXPECT_EQ(run_ok(t).rows_written, 29u);
  EXPECT_EQ(get({"SCARD", key()}), "29");
  EXPECT_EQ(get({"SISMEMBER", key(), "sku-000002"}), "0");
  EXPECT_EQ(get({"EXISTS", refresh_scratch_key(t)}), "0");
}

TEST_P(RefreshModeTest, ARunStoppedHalfWayLeavesTheOldContents) {
  add_products(1, 10, 0);
  TaskConfig t = out_of_stock();
  run_ok(t);
  sql("UPDATE products SET stock = 1 WHERE sku IN ('sku-000001', 'sku-000009')");
  std::stop_source stop;
  RunOutcome stopped = run(t, {.stop = stop.get_token(), .on_batch = [&](const RunReport&) {
                                 stop.request_stop();
                               }});
  ASSERT_TRUE(stopped.status.ok()) << stopped.status.to_string();
  EXPECT_TRUE(stopped.report.stopped);
  EXPECT_EQ(get({"SCARD", key()}), "10");
  EXPECT_EQ(run_ok(t).rows_written, 8u);
  EXPECT_EQ(get({"SCARD", key()}), "8");
}

// ---- replace: one step, the task's ttl, a list ------------------------------------------

TEST_F(KeyRefreshTest, AReaderDuringTheRefreshOfALargeSetSeesTheOldSizeOrTheNew) {
  add_products(1, 40000, 1);
  sql("UPDATE products SET stock = 0 WHERE sku <= 'sku-020000'");
  TaskConfig t = out_of_stock();
  t.batch_size = 4000;
  run_ok(t);
  ASSERT_EQ(get({"SCARD", key()}), "20000");
  sql("UPDATE products SET stock = CASE WHEN sku BETWEEN 'sku-010001' AND 'sku-035000'"
      " THEN 0 ELSE 1 END");  // 25000 out of stock, 15000 of them not before

  std::atomic<bool> done{false};
  std::vector<long long> sizes_seen;
  std::thread reader([&, reader_client = redis_client({redis_address_})] {
    for (bool last = false; !last;) {  // the last read starts after the run ended
      last = done;
      auto size = reader_client->command({"SCARD", key()});
      if (size.ok()) sizes_seen.push_back(size->integer());
    }
  });
  RunReport report = run_ok(t);
  done = true;
  reader.join();
  EXPECT_EQ(report.batches, 7u);  // several pages: 6 full, 1 short
  EXPECT_EQ(get({"SCARD", key()}), "25000");
  EXPECT_GT(sizes_seen.size(), 10u);
  std::set<long long> distinct(sizes_seen.begin(), sizes_seen.end());
  EXPECT_THAT(distinct, ElementsAre(20000, 25000)) << sizes_seen.size() << " reads";
}

TEST_F(KeyRefreshTest, AfterAReplaceTheKeyExpiresAsTheTaskSays) {
  add_products(1, 4, 0);
  TaskConfig t = out_of_stock();
  t.ttl = std::chrono::minutes(10);
  run_ok(t);
  const long long ttl = std::stoll(get({"PTTL", key()}));
  EXPECT_GT(ttl, 590'000);  // the task's 10 minutes, not the staging key's day
  EXPECT_LE(ttl, 600'000);
  t.ttl.reset();
  run_ok(t);
  EXPECT_EQ(get({"PTTL", key()}), "-1");  // no ttl: none carried over from staging
}

TEST_F(KeyRefreshTest, ReplaceRefusesToOverwriteAKeyOfAnotherType) {
  add_products(1, 2, 0);
  TaskConfig t = out_of_stock();
  ASSERT_EQ(get({"SET", key(), "someone else's"}), "OK");
  RunOutcome outcome = run(t);
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_FALSE(outcome.status.retryable());
  EXPECT_THAT(outcome.status.message(), ::testing::HasSubstr("holds a string, not a set"));
  EXPECT_EQ(get({"GET", key()}), "someone else's");
}

TEST_F(KeyRefreshTest, AListIsWrittenInTheOrderMergeWritesIt) {
  add_products(1, 7, 0);
  TaskConfig merged = out_of_stock(Structure::kList);
  merged.refresh = Refresh::kMerge;
  merged.alias = "merged";
  TaskConfig replaced = merged;
  replaced.refresh = Refresh::kReplace;
  replaced.alias = "replaced";
  run_ok(merged);
  run_ok(replaced);
  const std::vector<std::string> newest_first = {"sku-000007", "sku-000006", "sku-000005",
                                                 "sku-000004", "sku-000003", "sku-000002",
                                                 "sku-000001"};
  EXPECT_EQ(list({"LRANGE", prefix_ + ":merged", "0", "-1"}), newest_first);
  EXPECT_EQ(list({"LRANGE", prefix_ + ":replaced", "0", "-1"}), newest_first);
  sql("UPDATE products SET stock = 2 WHERE sku = 'sku-000006'");
  run_ok(replaced);  // a fresh list, not appended to
  EXPECT_THAT(list({"LRANGE", prefix_ + ":replaced", "0", "-1"}),
              ElementsAre("sku-000007", "sku-000005", "sku-000004", "sku-000003", "sku-000002",
                          "sku-000001"));
}

// ---- the cluster ---------------------------------------------------------------------------

TEST_P(RefreshModeTest, OnTheClusterEveryKeyNameRefreshesInItsOwnSlot) {
  add_products(1, 30, 0);
  const std::vector<std::string> seeds = testing::shared_cluster().node_addresses();
  redis_ = redis_client(seeds);
  TaskConfig plain = out_of_stock();
  TaskConfig tagged = out_of_stock();
  tagged.alias = "{shop-eu}:out_of_stock";
  TaskConfig braces = out_of_stock();
  braces.alias = "odd}name";  // a '}' but no tag: the scratch key needs a tag of its slot
  for (TaskConfig* t : {&plain, &tagged, &braces}) t->batch_size = 7;
  tagged.name += "_tagged";
  braces.name += "_braces";
  auto run_on_cluster = [&](const TaskConfig& t) {
    TaskRunner runner(t, postgres_options(), {.nodes = seeds}, {.cluster = true});
    RunOutcome outcome = runner.run();
    EXPECT_TRUE(outcome.status.ok()) << t.alias << ": " << outcome.status.to_string();
  };
  for (const TaskConfig* t : {&plain, &tagged, &braces}) run_on_cluster(*t);
  sql("UPDATE products SET stock = 5 WHERE sku > 'sku-000010'");
  for (const TaskConfig* t : {&plain, &tagged, &braces}) {
    run_on_cluster(*t);
    EXPECT_EQ(get({"SCARD", t->redis_key()}), "10") << t->redis_key();
    EXPECT_EQ(get({"EXISTS", refresh_scratch_key(*t)}), "0") << t->redis_key();
  }
}

}  // namespace
}  // namespace courier::pg_to_redis
