// docs/CONFIG_GUIDE.md is a recipe people and language models follow to write tasks: every
// YAML block in it must load and read without errors (tasks and `changes:`), it must show
// every structure, and the messages its mistakes table quotes must be the ones `courier
// validate` prints. tests/integration/app/config_guide_cli_test.cpp runs the examples.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/courier_config.h"
#include "config/env_substitution.h"
#include "markdown_yaml_blocks.h"
#include "pg_to_redis/changes_config.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {
namespace {

using courier::testing::read_checkout_file;
using courier::testing::yaml_blocks;
using courier::testing::YamlBlock;

const std::string& guide() {
  static const std::string text = read_checkout_file("docs/CONFIG_GUIDE.md");
  return text;
}

struct ReadFile {
  std::vector<TaskConfig> tasks;
  std::string errors;  // as printed, one per line
};

// Loads `yaml` as courier.yaml with an empty environment (so ${VAR:-default} takes its
// default) and reads its tasks and `changes:` section, as `courier validate` does.
ReadFile read_file(std::string_view yaml) {
  config::LoadResult loaded =
      config::load_config_string(yaml, "courier.yaml", config::environment_from_map({}));
  ReadFile result;
  std::vector<config::ConfigError> errors = loaded.errors;
  for (config::ConfigError& error : read_tasks(loaded.config, result.tasks)) {
    errors.push_back(std::move(error));
  }
  ChangesConfig changes;
  for (config::ConfigError& error : read_changes_config(loaded.config, changes)) {
    errors.push_back(std::move(error));
  }
  for (const config::ConfigError& error : errors) {
    result.errors += error.to_string("courier.yaml") + "\n";
  }
  return result;
}

TEST(ConfigGuide, EveryYamlBlockLoadsAndItsTasksReadWithoutErrors) {
  std::vector<YamlBlock> blocks = yaml_blocks(guide());
  ASSERT_GE(blocks.size(), 20U) << "docs/CONFIG_GUIDE.md not found or lost its examples";
  for (const YamlBlock& block : blocks) {
    ReadFile result = read_file(block.text);
    EXPECT_EQ(result.errors, "") << "docs/CONFIG_GUIDE.md, block at line " << block.line << ":\n"
                                 << block.text;
    EXPECT_FALSE(result.tasks.empty())
        << "block at line " << block.line << " has no task; the guide is about tasks";
  }
}

TEST(ConfigGuide, WorkedExamplesShowEveryStructure) {
  std::set<Structure> shown;
  for (const YamlBlock& block : yaml_blocks(guide())) {
    for (const TaskConfig& task : read_file(block.text).tasks) shown.insert(task.structure);
  }
  for (const auto& [structure, name] : kStructureNames) {
    EXPECT_TRUE(shown.count(structure) == 1) << "no example of structure '" << name << "'";
  }
}

// A broken task and a piece of the message it must produce; the guide quotes that piece.
struct Mistake {
  std::string_view task_yaml;  // the entry under `tasks:`
  std::string_view message;
};

constexpr std::string_view kMistakeHeader = "tasks:\n";

const std::vector<Mistake>& mistakes() {
  static const std::vector<Mistake> all = {
      {"  - {name: a, table: orders, structure: queue, fields: [id]}",
       "expected one of 'map', 'list', 'set', 'sorted_set', 'stream', 'hash' or 'string', got "
       "'queue'"},
      {"  - {table: orders, fields: [id]}",
       "missing required key 'name': a unique name for the task"},
      {"  - {name: a, fields: [id]}",
       "missing required key 'table': the Postgres table, 'orders' or 'schema.orders'"},
      {"  - {name: a, table: orders, fields: [id]}\n  - {name: a, table: orders, fields: [id]}",
       "duplicate task name 'a' (first used on line 2); give each task its own name"},
      {"  - {name: a, table: orders, strucutre: map, fields: [id]}",
       "unknown key 'strucutre'; did you mean 'structure'?"},
      {"  - {name: a, table: orders, structure: map, value: status}",
       "a map task needs 'key': the column whose values become the hash's field names"},
      {"  - {name: a, table: orders, structure: list}",
       "a list task needs 'value': the column whose values are written"},
      {"  - {name: a, table: orders, structure: sorted_set, value: id}",
       "a sorted_set task needs 'score': the column that gives each member its score"},
      {"  - {name: a, table: orders}",
       "a stream task needs 'fields': the list of columns written for each row, e.g. [id, "
       "status]"},
      {"  - {name: a, table: orders, structure: list, value: id, maxlen: 100}",
       "'maxlen' applies to streams only (use 'max_length' for lists); this task's structure is "
       "'list'"},
      {"  - {name: a, table: orders, structure: set, value: id, fields: [id]}",
       "'fields' applies to stream, hash and string tasks; this task writes its 'value' column; "
       "this task's structure is 'set'"},
      {"  - {name: a, table: orders, structure: hash, key: 'o:{id}', fields: [id], alias: o}",
       "'alias' applies to tasks that write one Redis key; a hash or string task writes one key "
       "per row from its 'key' template; this task's structure is 'hash'"},
      {"  - {name: a, table: orders, structure: map, key: 'order:{id}', value: status}",
       "a map task's 'key' names a column; a per-row key template such as 'order:{id}' needs "
       "structure 'hash' or 'string'"},
      {"  - {name: a, table: orders, structure: hash, key: 'order:id', fields: [id]}",
       "malformed per-row key template: it names no column; a per-row key needs at least one, "
       "e.g. 'order:{id}'"},
      {"  - {name: a, table: orders, structure: hash, key: 'order:${id}', fields: [id]}",
       "environment variable 'id' is not set; set it, or give a default with '${id:-default}'"},
      {"  - {name: a, table: orders, fields: [id], tracking: {column: u, operator: '>='}}",
       "expected one of '>' or '<', got '>='; did you mean '>'?"},
      {"  - name: a\n    table: orders\n    fields: [id]\n    tracking:\n      column: u\n"
       "      operator: >\n",
       "expected one of '>' or '<', got ''; did you mean '>'?"},
      {"  - {name: a, table: orders, fields: [id], tracking: {operator: '>'}}",
       "missing required key 'column': the column whose values mark progress, e.g. updated_at"},
      {"  - {name: a, table: orders, fields: [id], lookback: 1m}",
       "'lookback' re-reads rows behind the tracking checkpoint and needs 'tracking'; add it or "
       "remove 'lookback'"},
      {"  - {name: a, table: orders, fields: [id], ttl: 0s}",
       "'0s' is out of range; expected at least 1ms"},
      {"  - {name: a, table: orders, fields: [id, total], column_map: {amount: total_amount}}",
       "unknown key 'amount'; valid keys here: 'id' or 'total'"},
      {"  - {name: a, table: orders, fields: [id], schedule: '@every 5 minutes'}",
       "schedule '@every 5 minutes': @every takes exactly one duration, e.g. '@every 5m' (column "
       "1)"},
      {"  - {name: a, table: orders, fields: [id], schedule: '* * * *'}",
       "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading "
       "seconds field, found 4"},
      {"  - {name: a, table: orders, fields: [id], schedule: '0 25 * * *'}",
       "hour field '25' is out of range 0-23 (column 3)"},
      {"  - name: a\n    table: orders\n    fields: [id]\n    schedule: @every 5m\n",
       "YAML syntax error: unknown token"},
      {"  - {name: a, table: orders, fields: [id], time_zone: Europe/Berln}",
       "unknown time zone 'Europe/Berln'"},
  };
  return all;
}

TEST(ConfigGuide, MistakesTableQuotesTheMessagesValidatePrints) {
  for (const Mistake& mistake : mistakes()) {
    std::string yaml = std::string(kMistakeHeader) + std::string(mistake.task_yaml) + "\n";
    ReadFile result = read_file(yaml);
    EXPECT_NE(result.errors.find(mistake.message), std::string::npos)
        << yaml << "printed:\n"
        << result.errors << "expected a message containing:\n"
        << mistake.message;
    EXPECT_NE(guide().find(std::string(mistake.message)), std::string::npos)
        << "docs/CONFIG_GUIDE.md no longer quotes: " << mistake.message;
  }
}

}  // namespace
}  // namespace courier::pg_to_redis
