// Migrations against a real server: applied once and recorded, idempotent on a second
// run, two concurrent appliers apply each script exactly once, a changed applied script
// is refused by name, a failing script rolls back with its history row, scopes are apart.
#include "pg/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "pg/errors.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

const std::vector<Migration> kOrders = {
    {1, "create_orders", "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);"},
    {2, "add_note",
     "ALTER TABLE orders ADD COLUMN note text; INSERT INTO orders VALUES (1, 2, 'x');"},
};

class MigrationsTest : public PgDatabaseTest {};

TEST_F(MigrationsTest, AppliesPendingMigrationsInOrderAndRecordsThem) {
  auto report = apply_migrations(conn(), {kOrders[1], kOrders[0]});
  PG_ASSERT_OK(report);
  EXPECT_EQ(report->applied, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(report->already_applied.empty());
  EXPECT_EQ(scalar(conn(), "SELECT note FROM orders WHERE id = 1"), "x");
  EXPECT_EQ(scalar(conn(),
                   "SELECT string_agg(version || ':' || name || ':' || checksum, ',' "
                   "ORDER BY version) FROM courier_schema_migrations"),
            "1:create_orders:" + migration_checksum(kOrders[0].sql) +
                ",2:add_note:" + migration_checksum(kOrders[1].sql));
}

TEST_F(MigrationsTest, SecondRunAppliesNothingAndLaterMigrationsAreAdded) {
  PG_ASSERT_OK(apply_migrations(conn(), {kOrders[0]}));
  auto again = apply_migrations(conn(), kOrders);
  PG_ASSERT_OK(again);
  EXPECT_EQ(again->applied, (std::vector<int64_t>{2}));
  EXPECT_EQ(again->already_applied, (std::vector<int64_t>{1}));
  auto third = apply_migrations(conn(), kOrders);
  PG_ASSERT_OK(third);
  EXPECT_TRUE(third->applied.empty());
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM orders"), "1");
}

TEST_F(MigrationsTest, ConcurrentAppliersApplyEachMigrationExactlyOnce) {
  // A migration that is not idempotent: run twice, it would fail (duplicate key) or
  // double the counter.
  std::vector<Migration> migrations = kOrders;
  migrations.push_back(
      {3, "slow_count",
       "CREATE TABLE runs (n int); SELECT pg_sleep(0.2); INSERT INTO runs VALUES (1);"});
  constexpr int kAppliers = 4;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kAppliers; ++i) connections.push_back(connect());
  std::vector<Result<MigrationReport>> reports(kAppliers, Status(StatusCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kAppliers; ++i)
    threads.emplace_back([&, i] { reports[i] = apply_migrations(*connections[i], migrations); });
  for (auto& thread : threads) thread.join();
  size_t applied_in_total = 0;
  for (const auto& report : reports) {
    PG_ASSERT_OK(report);
    applied_in_total += report->applied.size();
  }
  EXPECT_EQ(applied_in_total, 3u);
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM runs"), "1");
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM courier_schema_migrations"), "3");
}

TEST_F(MigrationsTest, ChangedAppliedMigrationIsAnErrorNamingIt) {
  PG_ASSERT_OK(apply_migrations(conn(), kOrders));
  std::vector<Migration> edited = kOrders;
  edited[0].sql = "CREATE TABLE orders (id int PRIMARY KEY);";
  edited.push_back({3, "never_applied", "CREATE TABLE later (id int);"});
  auto report = apply_migrations(conn(), edited);
  ASSERT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("0001_create_orders"), std::string::npos)
      << report.status().message();
  // Nothing after the mismatch was applied.
  EXPECT_EQ(scalar(conn(), "SELECT to_regclass('later') IS NULL"), "t");
}

TEST_F(MigrationsTest, FailingMigrationRollsBackItselfAndKeepsEarlierOnes) {
  std::vector<Migration> migrations = kOrders;
  migrations.push_back(
      {3, "broken", "CREATE TABLE half_done (id int); INSERT INTO missing_table VALUES (1);"});
  auto report = apply_migrations(conn(), migrations);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().detail(), sqlstate::kUndefinedTable);
  EXPECT_NE(report.status().message().find("0003_broken"), std::string::npos);
  EXPECT_EQ(scalar(conn(), "SELECT to_regclass('half_done') IS NULL"), "t");
  EXPECT_EQ(scalar(conn(), "SELECT max(version) FROM courier_schema_migrations"), "2");
  EXPECT_FALSE(conn().in_transaction());
  // Fixed, it applies on the next run.
  migrations[2].sql = "CREATE TABLE half_done (id int);";
  auto fixed = apply_migrations(conn(), migrations);
  PG_ASSERT_OK(fixed);
  EXPECT_EQ(fixed->applied, (std::vector<int64_t>{3}));
}

TEST_F(MigrationsTest, ScopesAreRecordedApartAndUnknownVersionsAreReported) {
  PG_ASSERT_OK(apply_migrations(conn(), kOrders, {.scope = "orders"}));
  auto other = apply_migrations(conn(), {{1, "create_events", "CREATE TABLE events (id int);"}},
                                {.scope = "events"});
  PG_ASSERT_OK(other);
  EXPECT_EQ(other->applied, (std::vector<int64_t>{1}));
  auto older_release = apply_migrations(conn(), {kOrders[0]}, {.scope = "orders"});
  PG_ASSERT_OK(older_release);
  EXPECT_EQ(older_release->unknown_applied, (std::vector<int64_t>{2}));
}

TEST_F(MigrationsTest, SchemaQualifiedHistoryTableIsCreated) {
  PG_ASSERT_OK(conn().execute_script("CREATE SCHEMA ops"));
  PG_ASSERT_OK(apply_migrations(conn(), kOrders, {.history_table = "ops.migrations"}));
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM ops.migrations"), "2");
  // The lock is released: another session can take it at once.
  auto other = connect();
  EXPECT_EQ(scalar(*other,
                   "SELECT pg_try_advisory_lock(hashtextextended("
                   "'courier migrations ops.migrations', 0))"),
            "t");
}

}  // namespace
}  // namespace courier::pg
