// `capture: wal` on a task and the `changes:` section: what a wal task may not have, and
// each setting of the slot read or refused at its line:column.
#include <gtest/gtest.h>

#include <string>

#include "pg_to_redis/changes_config.h"
#include "task_config_test_support.h"

namespace courier::pg_to_redis {
namespace {

struct ReadChanges {
  ChangesConfig changes;
  std::vector<std::string> errors;
};

ReadChanges read_changes(std::string_view yaml) {
  config::LoadResult loaded =
      config::load_config_string(yaml, "courier.yaml", config::environment_from_map({}));
  ReadChanges result;
  for (const config::ConfigError& error : loaded.errors)
    result.errors.push_back(error.to_string("courier.yaml"));
  for (const config::ConfigError& error : read_changes_config(loaded.config, result.changes))
    result.errors.push_back(error.to_string("courier.yaml"));
  return result;
}

TEST(CaptureKey, WalTaskIsReadAndDescribedWithoutASchedule) {
  ReadTasks result = read(R"(tasks:
  - name: accounts
    table: accounts
    structure: hash
    key: "acct:{id}"
    fields: [balance]
    capture: wal
  - name: polled
    table: orders
    fields: [id]
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks[0].capture, Capture::kWal);
  EXPECT_EQ(result.tasks[1].capture, Capture::kPoll);
  EXPECT_EQ(result.tasks[0].describe(),
            "accounts: public.accounts -> hash 'acct:{id}' (fields balance); changes from the "
            "write-ahead log; batch 1000");
}

TEST(CaptureKey, PollingKeysOnAWalTaskAreEachRefused) {
  ReadTasks result = read(R"(tasks:
  - name: accounts
    table: accounts
    structure: set
    value: owner
    capture: wal
    schedule: "@every 1m"
    tracking:
      column: updated_at
)");
  ASSERT_EQ(result.errors.size(), 2u) << result.report();
  EXPECT_EQ(result.errors[0].rfind("courier.yaml:7:15: tasks[0].schedule:", 0), 0u)
      << result.errors[0];
  EXPECT_NE(result.errors[0].find("'capture: wal' receives each change as it commits"),
            std::string::npos);
  EXPECT_EQ(result.errors[1].rfind("courier.yaml:9:7: tasks[0].tracking:", 0), 0u)
      << result.errors[1];
}

TEST(CaptureKey, AWalStreamCannotHaveAFieldNamedOp) {
  expect_one_error(R"(tasks:
  - name: events
    table: events
    fields: [id, op]
    capture: wal
)",
                   "courier.yaml:4:13: tasks[0].fields:", "starts with the field 'op'");
}

TEST(CaptureKey, AnUnknownCaptureListsTheTwo) {
  expect_one_error(R"(tasks:
  - name: events
    table: events
    fields: [id]
    capture: logical
)",
                   "courier.yaml:5:14: tasks[0].capture:",
                   "expected one of 'poll' or 'wal', got 'logical'");
}

TEST(ChangesSection, DefaultsWhenAbsentAndEachKeyRead) {
  ReadChanges none = read_changes("log_sql: false\n");
  EXPECT_TRUE(none.errors.empty());
  EXPECT_EQ(none.changes.slot, "courier");
  EXPECT_EQ(none.changes.describe(),
            "slot 'courier', publication 'courier', status every 1s, heartbeat 30s, max_lag "
            "1073741824 bytes");
  ReadChanges set = read_changes(R"(changes:
  slot: shop_cdc
  publication: shop_pub
  status_interval: 250ms
  heartbeat: 0s
  max_lag: 64MB
)");
  ASSERT_TRUE(set.errors.empty()) << set.errors.front();
  EXPECT_EQ(set.changes.describe(),
            "slot 'shop_cdc', publication 'shop_pub', status every 250ms, heartbeat off, "
            "max_lag 67108864 bytes");
}

TEST(ChangesSection, BadValuesAreRefusedWhereTheyAre) {
  ReadChanges result = read_changes(R"(changes:
  slot: Shop-CDC
  status_interval: 10ms
  max_lag: 1.5GB
  slots: x
)");
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_NE(result.errors[0].find("courier.yaml:2:9: changes.slot: 'Shop-CDC' is not a usable "
                                  "name; use 1 to 63 lower-case letters, digits and '_'"),
            std::string::npos)
      << result.errors[0];
  EXPECT_NE(result.errors[1].find("courier.yaml:3:20: changes.status_interval:"),
            std::string::npos)
      << result.errors[1];
  EXPECT_NE(result.errors[2].find("courier.yaml:4:12: changes.max_lag: expected a size such as "
                                  "'1GB', '512MB' or '64kB' (or whole bytes), got '1.5GB'"),
            std::string::npos)
      << result.errors[2];
  EXPECT_NE(result.errors[3].find("courier.yaml:5:3: changes.slots:"), std::string::npos)
      << result.errors[3];
}

}  // namespace
}  // namespace courier::pg_to_redis
