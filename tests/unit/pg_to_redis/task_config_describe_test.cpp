// The line `courier validate` prints per task shows every key that changes what the task
// reads or writes, in the words of the documentation; and a task remembers where the keys
// that name columns were written, so a check against the database reports there.
#include <gtest/gtest.h>

#include <string>

#include "task_config_test_support.h"

namespace courier::pg_to_redis {
namespace {

// docs/configuration.md shows these lines as `validate` prints them.
void expect_in_reference(const std::string& line) {
  EXPECT_NE(configuration_reference().find("task " + line + "\n"), std::string::npos)
      << "docs/configuration.md no longer shows: " << line;
}

TEST(TaskConfigDescribe, SingleKeyTaskShowsFilterPrefixExpiryAndRefresh) {
  ReadTasks result = read(R"(tasks:
  - name: out_of_stock
    table: products
    structure: set
    value: sku
    where: stock = 0
    key_prefix: "shop:"
    ttl: 1h
    refresh: replace
    schedule: "@every 1m"
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).describe(),
            "out_of_stock: public.products -> set 'shop:products' (value sku); only rows where "
            "stock = 0; schedule '@every 1m'; no tracking (whole table each run); refresh replace "
            "(each run's result swapped in whole, in one step); the key expires 1h after its last "
            "write; batch 1000");
  expect_in_reference(result.tasks.at(0).describe());
}

TEST(TaskConfigDescribe, RefreshMergeIsShownAsTheDefault) {
  ReadTasks result = read(R"(tasks:
  - name: statuses
    table: orders
    structure: map
    key: id
    value: status
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).describe(),
            "statuses: public.orders -> map 'orders' (field id, value status); schedule "
            "'@every 5m'; no tracking (whole table each run); refresh merge (written in place, then "
            "what left the query removed); batch 1000");
}

TEST(TaskConfigDescribe, JsonValuesKeptAsTextAreShown) {
  ReadTasks result = read(R"(tasks:
  - name: docs
    table: orders
    structure: string
    key: "order:{id}"
    fields: [id, total]
    json_values: text
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_NE(result.tasks.at(0).describe().find("; every JSON value a string;"), std::string::npos)
      << result.tasks.at(0).describe();
}

TEST(TaskConfigDescribe, TrackingShowsLookbackAndPerRowExpiry) {
  ReadTasks result = read(R"(tasks:
  - name: order_docs
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [status]
    ttl: 30m
    lookback: 10m
    tracking:
      column: updated_at
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).describe(),
            "order_docs: public.orders -> hash 'order:{id}' (fields status); schedule '@every "
            "5m'; tracking updated_at > (checkpoint 'checkpoint:order_docs'), re-reading the last "
            "10m each run; each key expires 30m after its last write; batch 1000");
  expect_in_reference(result.tasks.at(0).describe());
}

TEST(TaskConfigDescribe, TrimsOfStreamsAndListsAreShown) {
  ReadTasks result = read(R"(tasks:
  - name: events
    table: events
    fields: [id]
    maxlen: 5000
  - name: recent
    table: events
    structure: list
    value: id
    max_length: 100
    tracking:
      column: id
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).describe(),
            "events: public.events -> stream 'events' (fields id); schedule '@every 5m'; no "
            "tracking (whole table each run); trimmed to about 5000 entries; batch 1000");
  EXPECT_EQ(result.tasks.at(1).describe(),
            "recent: public.events -> list 'events' (value id); schedule '@every 5m'; tracking "
            "id > (checkpoint 'checkpoint:recent'); trimmed to the newest 100 entries; batch 1000");
}

TEST(TaskConfigDescribe, WalTaskShowsItsFilter) {
  ReadTasks result = read(R"(tasks:
  - name: open_orders
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [status]
    where: status <> 'closed'
    capture: wal
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks.at(0).describe(),
            "open_orders: public.orders -> hash 'order:{id}' (fields status); only rows where "
            "status <> 'closed'; changes from the write-ahead log; batch 1000");
}

TEST(TaskConfigLocations, KeysNamingColumnsAreFoundAtTheirLineAndColumn) {
  ReadTasks result = read(R"(tasks:
  - name: order_stream
    table: orders
    fields: [id, status, total]
    column_map:
      total: amount
    tracking:
      column: updated_at
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  const TaskConfig& task = result.tasks.at(0);
  auto at = [&](const std::string& key) {
    const SourceLocation& location = task.location_of(key);
    return location.path + " " + std::to_string(location.position.line) + ":" +
           std::to_string(location.position.column);
  };
  EXPECT_EQ(at("table"), "tasks[0].table 3:12");
  EXPECT_EQ(at("fields[1]"), "tasks[0].fields[1] 4:18");
  EXPECT_EQ(at("column_map.total"), "tasks[0].column_map.total 6:14");
  EXPECT_EQ(at("tracking.column"), "tasks[0].tracking.column 8:15");
  EXPECT_EQ(at("score"), "tasks[0] 2:5") << "a key not written: the task's own place";
}

}  // namespace
}  // namespace courier::pg_to_redis
