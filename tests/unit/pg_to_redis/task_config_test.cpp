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

#include "config/courier_config.h"
#include "config/env_substitution.h"
#include "red_courier_readme.h"

namespace courier::pg_to_redis {
namespace {

struct ReadTasks {
  std::vector<TaskConfig> tasks;
  std::vector<std::string> errors;  // as printed: "courier.yaml:4:16: tasks[0].structure: …"

  std::string report() const {
    std::string out;
    for (const std::string& error : errors) out += error + '\n';
    return out;
  }
};

ReadTasks read(std::string_view yaml) {
  config::LoadResult loaded =
      config::load_config_string(yaml, "courier.yaml", config::environment_from_map({}));
  ReadTasks result;
  for (const config::ConfigError& error : loaded.errors) {
    result.errors.push_back(error.to_string("courier.yaml"));
  }
  for (const config::ConfigError& error : read_tasks(loaded.config, result.tasks)) {
    result.errors.push_back(error.to_string("courier.yaml"));
  }
  return result;
}

// Exactly one error, printed with `where` ("courier.yaml:4:16: tasks[0].structure:") and
// containing `says`.
void expect_one_error(std::string_view yaml, const std::string& where, const std::string& says) {
  ReadTasks result = read(yaml);
  ASSERT_EQ(result.errors.size(), 1U) << result.report();
  EXPECT_EQ(result.errors[0].rfind(where, 0), 0U) << "expected at " << where << ":\n"
                                                  << result.errors[0];
  EXPECT_NE(result.errors[0].find(says), std::string::npos) << result.errors[0];
}

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
            "'@every 5m'; no tracking (whole table each run); batch 1000");
}

// ---- one clear error per mistake -----------------------------------------------------------

TEST(TaskConfigErrors, UnknownStructureListsTheAllowedOnes) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: queue
)",
                   "courier.yaml:4:16: tasks[0].structure:",
                   "expected one of 'map', 'list', 'set', 'sorted_set', 'stream', 'hash' or "
                   "'string', got 'queue'");
}

TEST(TaskConfigErrors, UnsupportedTrackingOperator) {
  expect_one_error(
      R"(tasks:
  - name: t
    table: orders
    fields: [id]
    tracking:
      column: updated_at
      operator: ">="
)",
      "courier.yaml:7:17: tasks[0].tracking.operator:", "expected one of '>' or '<', got '>='");
}

TEST(TaskConfigErrors, TrackingWithoutColumn) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    tracking:
      operator: ">"
)",
                   "courier.yaml:6:7: tasks[0].tracking:", "missing required key 'column'");
}

TEST(TaskConfigErrors, MapWithoutValue) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: map
    key: id
)",
                   "courier.yaml:2:5: tasks[0]:", "a map task needs 'value'");
}

TEST(TaskConfigErrors, MapWithoutKey) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: map
    value: status
)",
                   "courier.yaml:2:5: tasks[0]:", "a map task needs 'key'");
}

TEST(TaskConfigErrors, ListAndSetWithoutValue) {
  for (const char* structure : {"list", "set"}) {
    expect_one_error(
        std::string("tasks:\n  - name: t\n    table: orders\n    structure: ") + structure + "\n",
        "courier.yaml:2:5: tasks[0]:", std::string("a ") + structure + " task needs 'value'");
  }
}

TEST(TaskConfigErrors, SortedSetWithoutScore) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: sorted_set
    value: id
)",
                   "courier.yaml:2:5: tasks[0]:", "a sorted_set task needs 'score'");
}

TEST(TaskConfigErrors, StreamWithoutFields) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
)",
                   "courier.yaml:2:5: tasks[0]:", "a stream task needs 'fields'");
}

TEST(TaskConfigErrors, StreamWithEmptyFields) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: []
)",
                   "courier.yaml:4:13: tasks[0].fields:", "must list at least one column");
}

TEST(TaskConfigErrors, HashWithoutKeyTemplate) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: hash
    fields: [status]
)",
                   "courier.yaml:2:5: tasks[0]:",
                   "a hash task needs 'key': a template for each row's Redis key");
}

TEST(TaskConfigErrors, StringWithoutFields) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: string
    key: "order:{id}"
)",
                   "courier.yaml:2:5: tasks[0]:", "a string task needs 'fields'");
}

TEST(TaskConfigErrors, KeyTemplateWithoutColumn) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: hash
    key: "order"
    fields: [status]
)",
                   "courier.yaml:5:10: tasks[0].key:", "names no column");
}

TEST(TaskConfigErrors, KeyTemplateWithUnclosedBrace) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: hash
    key: "order:{id"
    fields: [status]
)",
                   "courier.yaml:5:10: tasks[0].key:", "is not closed by '}'");
}

TEST(TaskConfigErrors, MapKeyIsAColumnNotATemplate) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: map
    key: "order:{id}"
    value: status
)",
                   "courier.yaml:5:10: tasks[0].key:", "needs structure 'hash' or 'string'");
}

TEST(TaskConfigErrors, DuplicateTaskNameIsReportedAtTheSecond) {
  expect_one_error(
      R"(tasks:
  - name: orders
    table: orders
    fields: [id]
  - name: orders
    table: orders
    fields: [id]
)",
      "courier.yaml:5:11: tasks[1].name:", "duplicate task name 'orders' (first used on line 2)");
}

TEST(TaskConfigErrors, ABadScheduleIsReportedAtTheSchedule) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    schedule: "61 * * * *"
)",
                   "courier.yaml:5:15: tasks[0].schedule:", "minute field '61' is out of range");
}

TEST(TaskConfigErrors, AnUnknownTimeZoneIsReportedAtTimeZone) {
  expect_one_error(
      R"(tasks:
  - name: t
    table: orders
    fields: [id]
    schedule: "0 9 * * *"
    time_zone: Mars/Olympus_Mons
)",
      "courier.yaml:6:16: tasks[0].time_zone:", "unknown time zone 'Mars/Olympus_Mons'");
}

TEST(TaskConfigErrors, AnUnknownTimeZoneIsReportedOnAnEverySchedule) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    time_zone: Europe/Berln
)",
                   "courier.yaml:5:16: tasks[0].time_zone:", "unknown time zone 'Europe/Berln'");
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

TEST(TaskConfigErrors, OptionsOnTheWrongStructure) {
  struct Case {
    const char* structure_lines;
    const char* option_line;
    const char* expected;
  };
  const Case cases[] = {
      {"structure: list\n    value: id", "maxlen: 10", "'maxlen' applies to streams only"},
      {"fields: [id]", "max_length: 10", "'max_length' applies to lists only"},
      {"structure: map\n    key: id\n    value: v", "score: s",
       "'score' applies to sorted_set tasks only"},
      {"fields: [id]", "value: v", "'value' applies to map, list, set and sorted_set tasks"},
      {"structure: set\n    value: v", "fields: [a]",
       "'fields' applies to stream, hash and string"},
      {"fields: [id]", "key: id", "'key' applies to map, hash and string tasks"},
      {"structure: hash\n    key: \"o:{id}\"\n    fields: [a]", "alias: x",
       "'alias' applies to tasks that write one Redis key"},
  };
  for (const Case& c : cases) {
    std::string yaml = std::string("tasks:\n  - name: t\n    table: orders\n    ") +
                       c.structure_lines + "\n    " + c.option_line + "\n";
    ReadTasks result = read(yaml);
    ASSERT_EQ(result.errors.size(), 1U) << yaml << result.report();
    EXPECT_NE(result.errors[0].find(c.expected), std::string::npos) << result.errors[0];
    std::string option(c.option_line, std::string_view(c.option_line).find(':'));
    EXPECT_NE(result.errors[0].find("tasks[0]." + option + ":"), std::string::npos)
        << "at the option itself: " << result.errors[0];
  }
}

TEST(TaskConfigErrors, UnknownKeySuggestsTheNearestOne) {
  expect_one_error(
      R"(tasks:
  - name: t
    table: orders
    fields: [id]
    shedule: "@every 1m"
)",
      "courier.yaml:5:5: tasks[0].shedule:", "unknown key 'shedule'; did you mean 'schedule'?");
}

TEST(TaskConfigErrors, ColumnMapEntryForAFieldTheTaskDoesNotUse) {
  expect_one_error(
      R"(tasks:
  - name: t
    table: orders
    fields: [id, total_amount]
    column_map:
      total_amont: amount
)",
      "courier.yaml:6:7: tasks[0].column_map.total_amont:", "did you mean 'total_amount'?");
}

TEST(TaskConfigErrors, BatchSizeMustBeAnInteger) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    batch_size: abc
)",
                   "courier.yaml:5:17: tasks[0].batch_size:", "expected an integer, got 'abc'");
}

TEST(TaskConfigErrors, BatchSizeMustBePositive) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    fields: [id]
    batch_size: 0
)",
                   "courier.yaml:5:17: tasks[0].batch_size:", "out of range");
}

TEST(TaskConfigErrors, EmptyNameAndTable) {
  ReadTasks result = read(R"(tasks:
  - name: ""
    table: ""
    fields: [id]
)");
  ASSERT_EQ(result.errors.size(), 2U) << result.report();
  EXPECT_EQ(result.errors[0].rfind("courier.yaml:2:11: tasks[0].name: must not be empty", 0), 0U)
      << result.errors[0];
  EXPECT_EQ(result.errors[1].rfind("courier.yaml:3:12: tasks[0].table: must not be empty", 0), 0U)
      << result.errors[1];
}

TEST(TaskConfigErrors, MissingNameAndTable) {
  ReadTasks result = read(R"(tasks:
  - fields: [id]
)");
  ASSERT_EQ(result.errors.size(), 2U) << result.report();
  EXPECT_NE(result.errors[0].find("courier.yaml:2:5: tasks[0]: missing required key 'name'"),
            std::string::npos);
  EXPECT_NE(result.errors[1].find("courier.yaml:2:5: tasks[0]: missing required key 'table'"),
            std::string::npos);
}

TEST(TaskConfigErrors, MalformedTableName) {
  expect_one_error(R"(tasks:
  - name: t
    table: a.b.c
    fields: [id]
)",
                   "courier.yaml:3:12: tasks[0].table:", "expected 'table' or 'schema.table'");
}

TEST(TaskConfigErrors, LookbackNeedsTracking) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: set
    value: id
    lookback: 5m
)",
                   "courier.yaml:6:15: tasks[0].lookback:", "needs 'tracking'");
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

TEST(TaskConfigErrors, LookbackOnAnAppendingStructureWouldDuplicate) {
  expect_one_error(R"(tasks:
  - name: t
    table: orders
    structure: list
    value: id
    lookback: 5m
    tracking:
      column: updated_at
)",
                   "courier.yaml:6:15: tasks[0].lookback:", "append them a second time");
}

TEST(TaskConfigErrors, TasksMustBeAList) {
  expect_one_error("tasks:\n  name: t\n", "courier.yaml:2:3: tasks:", "expected a list");
}

TEST(TaskConfigErrors, SeveralBrokenTasksReportEveryErrorAtOnceSortedByLine) {
  ReadTasks result = read(R"(tasks:
  - name: a
    table: orders
    structure: queue
  - name: b
    table: orders
    structure: sorted_set
    value: id
  - name: a
    table: orders
    fields: [id]
    batch_size: abc
    tracking:
      column: updated_at
      operator: "=="
)");
  ASSERT_EQ(result.errors.size(), 5U) << result.report();
  EXPECT_EQ(result.errors[0].rfind("courier.yaml:4:16: tasks[0].structure:", 0), 0U);
  EXPECT_EQ(
      result.errors[1].rfind("courier.yaml:5:5: tasks[1]: a sorted_set task needs 'score'", 0), 0U);
  EXPECT_EQ(result.errors[2].rfind("courier.yaml:9:11: tasks[2].name: duplicate task name 'a'", 0),
            0U);
  EXPECT_EQ(result.errors[3].rfind("courier.yaml:12:17: tasks[2].batch_size:", 0), 0U);
  EXPECT_EQ(result.errors[4].rfind("courier.yaml:15:17: tasks[2].tracking.operator:", 0), 0U);
  EXPECT_EQ(result.tasks.size(), 3U) << "tasks with mistakes are still listed";
}

// ---- the reference page -------------------------------------------------------------------

TEST(TaskConfigReference, EveryTasksExampleInTheDocsReadsWithoutErrors) {
  std::ifstream in(std::filesystem::path(COURIER_SOURCE_DIR) / "docs/configuration.md");
  std::ostringstream markdown;
  markdown << in.rdbuf();
  const std::string text = markdown.str();
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
