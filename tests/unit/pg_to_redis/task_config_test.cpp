// The `tasks:` section as a user writes it: Red Courier's files load unchanged, defaults are
// filled in, and each kind of mistake gives one clear error at its line:column.
#include "pg_to_redis/task_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "red_courier_readme.h"
#include "task_config_test_support.h"

namespace courier::pg_to_redis {
namespace {

using courier::testing::kReadmeConfig;
using courier::testing::kReadmeStreamTask;

// ---- Red Courier's files -------------------------------------------------------------------

TEST(TaskConfigRedCourier, ReadmeConfigurationLoadsUnchanged) {
  ReadTasks result = read(kReadmeConfig);
  ASSERT_TRUE(result.errors.empty()) << result.report();
  ASSERT_EQ(result.tasks.size(), 1U);
  const TaskConfig& task = result.tasks[0];
  EXPECT_EQ(task.name, "recent_orders");
  EXPECT_EQ(task.table.schema, "public");
  EXPECT_EQ(task.table.name, "orders");
  EXPECT_EQ(task.structure, Structure::kMap);
  EXPECT_EQ(task.key, "id");
  EXPECT_EQ(task.value, "status");
  EXPECT_EQ(task.schedule, "@every 30s");
  EXPECT_EQ(task.redis_key(), "orders");
  ASSERT_TRUE(task.tracking.has_value());
  EXPECT_EQ(task.tracking->column, "updated_at");
  EXPECT_EQ(task.tracking->op, TrackingOperator::kGreater);
  EXPECT_EQ(task.tracking->last_value_key, "checkpoint:recent_orders");
}

TEST(TaskConfigRedCourier, ReadmeStreamExampleLoadsUnchanged) {
  ReadTasks result = read(kReadmeStreamTask);
  ASSERT_TRUE(result.errors.empty()) << result.report();
  ASSERT_EQ(result.tasks.size(), 1U);
  const TaskConfig& task = result.tasks[0];
  EXPECT_EQ(task.structure, Structure::kStream);
  EXPECT_EQ(task.redis_key(), "order:stream");
  EXPECT_EQ(task.fields, (std::vector<std::string>{"id", "status", "total_amount", "created_at"}));
  // Red Courier's column_map: the field's name → the Postgres column behind it.
  EXPECT_EQ(task.column_for("total_amount"), "amount");
  EXPECT_EQ(task.column_for("status"), "status");
  EXPECT_EQ(task.schedule, "@every 10s");
  EXPECT_EQ(task.tracking->column, "created_at");
  EXPECT_EQ(task.tracking->last_value_key, "checkpoint:order_stream");
}

TEST(TaskConfigRedCourier, KeysItsReadmeDocumentsButItsCodeIgnoresStillLoad) {
  // Red Courier's README lists 'key' for sorted sets and 'fields' for lists; its code
  // never used them. Files written from that README must keep loading.
  ReadTasks result = read(R"(tasks:
  - name: leaderboard
    table: scores
    structure: sorted_set
    key: id
    score: points
    value: player
  - name: recent
    table: orders
    structure: list
    fields: [id, status]
    value: id
)");
  EXPECT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.size(), 2U);
}

TEST(TaskConfigRedCourier, KeysTheReadmeOmitsAreUnderstood) {
  ReadTasks result = read(R"(log_sql: true
tasks:
  - name: paid
    table: sales.orders
    structure: list
    value: id
    where: status = 'paid'
    key_prefix: "shop:"
    log_sql: false
  - name: all
    table: orders
    structure: set
    value: id
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  ASSERT_EQ(result.tasks.size(), 2U);
  EXPECT_EQ(result.tasks[0].table.schema, "sales");
  EXPECT_EQ(result.tasks[0].table.name, "orders");
  EXPECT_EQ(result.tasks[0].where, "status = 'paid'");
  EXPECT_EQ(result.tasks[0].redis_key(), "shop:sales.orders");
  EXPECT_FALSE(result.tasks[0].log_sql);
  EXPECT_TRUE(result.tasks[1].log_sql) << "the root log_sql is the default";
}

// ---- defaults ------------------------------------------------------------------------------

TEST(TaskConfigDefaults, AreFilledInWhereTheFileIsSilent) {
  ReadTasks result = read(R"(tasks:
  - name: orders_stream
    table: orders
    fields: [id]
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  const TaskConfig& task = result.tasks.at(0);
  EXPECT_EQ(task.structure, Structure::kStream);
  EXPECT_EQ(task.schedule, "@every 5m");
  EXPECT_EQ(task.schedule_location.path, "tasks[0]") << "no schedule: errors point at the task";
  EXPECT_EQ(task.table.qualified(), "public.orders");
  EXPECT_EQ(task.redis_key(), "orders");
  EXPECT_FALSE(task.tracking.has_value());
  EXPECT_TRUE(task.primary_key.empty()) << "empty: read from the catalog at start-up";
  EXPECT_EQ(task.batch_size, 1000);
  EXPECT_EQ(task.lookback.count(), 0);
  EXPECT_FALSE(task.ttl.has_value());
  EXPECT_FALSE(task.maxlen.has_value());
  EXPECT_FALSE(task.log_sql);
  EXPECT_EQ(task.dead_letter_key(), "courier:dead:orders_stream");
}

TEST(TaskConfigAdditions, DeadLetterStreamNamesWhereRowsAreParkedWithoutTheKeyPrefix) {
  ReadTasks result = read(R"(tasks:
  - name: orders_stream
    table: orders
    fields: [id]
    key_prefix: "shop:"
    dead_letter_stream: ops:dead:orders
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).dead_letter_key(), "ops:dead:orders");
}

TEST(TaskConfigDefaults, TrackingOperatorIsGreaterAndCheckpointKeyFollowsTheName) {
  ReadTasks result = read(R"(tasks:
  - name: orders_stream
    table: orders
    fields: [id]
    tracking:
      column: updated_at
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).tracking->op, TrackingOperator::kGreater);
  EXPECT_EQ(result.tasks.at(0).tracking->last_value_key, "checkpoint:orders_stream");
}

TEST(TaskConfigDefaults, ScheduleKeepsItsTextAndPositionForTheScheduleParser) {
  ReadTasks result = read(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    schedule: "*/5 * * * *"
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  const TaskConfig& task = result.tasks.at(0);
  EXPECT_EQ(task.schedule, "*/5 * * * *");
  EXPECT_EQ(task.schedule_location.path, "tasks[0].schedule");
  EXPECT_EQ(task.schedule_location.position.line, 5);
  EXPECT_EQ(task.schedule_location.position.column, 15);
  EXPECT_EQ(task.schedule_location.error("bad").to_string("courier.yaml"),
            "courier.yaml:5:15: tasks[0].schedule: bad");
}

TEST(TaskConfigDefaults, NoTasksSectionMeansNoTasks) {
  ReadTasks result = read("redis:\n  addr: localhost:6379\n");
  EXPECT_TRUE(result.errors.empty()) << result.report();
  EXPECT_TRUE(result.tasks.empty());
}

// ---- Courier's additions -------------------------------------------------------------------

TEST(TaskConfigAdditions, AreReadWithTheirTypes) {
  ReadTasks result = read(R"(tasks:
  - name: orders_stream
    table: orders
    fields: [id, status]
    primary_key: [tenant_id, id]
    batch_size: 500
    ttl: 1h
    maxlen: 100000
    tracking:
      column: updated_at
      operator: "<"
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  const TaskConfig& task = result.tasks.at(0);
  EXPECT_EQ(task.primary_key, (std::vector<std::string>{"tenant_id", "id"}));
  EXPECT_EQ(task.batch_size, 500);
  EXPECT_EQ(task.ttl, std::chrono::hours(1));
  EXPECT_EQ(task.maxlen, 100000);
  EXPECT_EQ(task.tracking->op, TrackingOperator::kLess);
}

TEST(TaskConfigAdditions, HashTaskTakesAPerRowKeyTemplate) {
  ReadTasks result = read(R"(tasks:
  - name: order_hashes
    table: orders
    structure: hash
    key: "order:{tenant}:{id}"
    fields: [status, total]
    max_length: 5
)");
  ASSERT_EQ(result.errors.size(), 1U) << result.report();
  EXPECT_NE(result.errors[0].find("courier.yaml:7:17: tasks[0].max_length: 'max_length' applies "
                                  "to lists only"),
            std::string::npos)
      << result.errors[0];
  const TaskConfig& task = result.tasks.at(0);
  EXPECT_EQ(task.key_template.to_string(), "order:{tenant}:{id}");
  EXPECT_EQ(task.key_template.columns(), (std::vector<std::string>{"tenant", "id"}));
  EXPECT_TRUE(task.key.empty());
}

TEST(TaskConfigAdditions, StringTaskWithColumnMapAndTtl) {
  ReadTasks result = read(R"(tasks:
  - name: order_docs
    table: orders
    structure: string
    key: "order:{id}"
    fields: [id, amount]
    column_map:
      amount: total_amount
    ttl: 24h
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  const TaskConfig& task = result.tasks.at(0);
  EXPECT_EQ(task.structure, Structure::kString);
  EXPECT_EQ(task.column_for("amount"), "total_amount");
  EXPECT_EQ(task.describe(),
            "order_docs: public.orders -> string 'order:{id}' (fields id, amount); schedule "
            "'@every 5m'; no tracking (whole table each run); each key expires 24h after its "
            "last write; batch 1000");
}

TEST(TaskConfigDefaults, ScheduleTimeZoneIsUtcUnlessGiven) {
  ReadTasks result = read(R"(tasks:
  - name: t
    table: orders
    fields: [id]
  - name: u
    table: orders
    fields: [id]
    schedule: "0 9 * * MON-FRI"
    time_zone: Europe/Berlin
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks[0].time_zone, "UTC");
  EXPECT_EQ(result.tasks[1].time_zone, "Europe/Berlin");
}

TEST(TaskConfigAdditions, LookbackIsReadForIdempotentStructures) {
  ReadTasks result = read(R"(tasks:
  - name: order_docs
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [id, status]
    lookback: 2m
    tracking:
      column: updated_at
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).lookback, std::chrono::minutes(2));
}

// ---- the reference page -------------------------------------------------------------------

TEST(TaskConfigReference, EveryTasksExampleInTheDocsReadsWithoutErrors) {
  const std::string text = configuration_reference();
  const std::string open = "```yaml\n";
  int examples = 0;
  for (std::size_t start = text.find(open); start != std::string::npos;
       start = text.find(open, start)) {
    start += open.size();
    std::string block = text.substr(start, text.find("```", start) - start);
    if (block.find("tasks:") == std::string::npos) continue;
    ++examples;
    ReadTasks result = read(block);
    EXPECT_TRUE(result.errors.empty()) << block << result.report();
  }
  EXPECT_GE(examples, 2) << "docs/configuration.md lost its tasks examples";
}

}  // namespace
}  // namespace courier::pg_to_redis

namespace courier::pg_to_redis {
namespace {

TEST(RefreshKey, DefaultsToMergeAndReadsReplace) {
  ReadTasks result = read(R"(tasks:
  - name: out_of_stock
    table: products
    structure: set
    value: sku
    where: stock = 0
    refresh: replace
  - name: prices
    table: products
    structure: map
    key: sku
    value: price
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks[0].refresh, Refresh::kReplace);
  EXPECT_EQ(result.tasks[1].refresh, Refresh::kMerge);
}

TEST(RefreshKey, ReplaceWithTrackingIsRefusedAtRefresh) {
  expect_one_error(R"(tasks:
  - name: out_of_stock
    table: products
    structure: set
    value: sku
    refresh: replace
    tracking:
      column: updated_at
)",
                   "courier.yaml:6:14: tasks[0].refresh:", "reads only what changed");
}

TEST(RefreshKey, RefreshOnAPerRowOrStreamTaskIsRefused) {
  expect_one_error(R"(tasks:
  - name: orders
    table: orders
    fields: [id]
    refresh: replace
)",
                   "courier.yaml:5:14: tasks[0].refresh:", "map, list, set and sorted_set");
}

TEST(RefreshKey, AWalTaskHasNoRefresh) {
  expect_one_error(R"(tasks:
  - name: out_of_stock
    table: products
    structure: set
    value: sku
    capture: wal
    refresh: replace
)",
                   "courier.yaml:7:14: tasks[0].refresh:", "'capture: wal' receives each change");
}

}  // namespace
}  // namespace courier::pg_to_redis
