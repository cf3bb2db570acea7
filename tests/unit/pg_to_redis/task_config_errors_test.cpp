// The `tasks:` section's mistakes: each kind gives one clear error at its line:column,
// and several broken tasks report every error at once.
#include <gtest/gtest.h>

#include <string>

#include "pg_to_redis/task_config.h"
#include "task_config_test_support.h"

namespace courier::pg_to_redis {
namespace {

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

}  // namespace
}  // namespace courier::pg_to_redis
