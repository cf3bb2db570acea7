// examples/ecommerce against a real Postgres: schema.sql loads, and every task of its
// config.yaml finds its table, columns and primary key and reads the rows its README and
// docs/CONFIG_GUIDE.md describe — so the example the guide points to cannot rot.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../pg/pg_fixture.h"
#include "config/courier_config.h"
#include "config/env_substitution.h"
#include "markdown_yaml_blocks.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {
namespace {

using pg::PgDatabaseTest;

class EcommerceExampleTest : public PgDatabaseTest {
 protected:
  // The example's tasks, read as `courier validate` reads them (empty environment: every
  // ${VAR:-default} takes its default; the connection settings are not used here).
  static std::vector<TaskConfig> example_tasks() {
    std::string path =
        (std::filesystem::path(COURIER_SOURCE_DIR) / "examples/ecommerce/config.yaml").string();
    config::LoadResult loaded = config::load_config_file(path, config::environment_from_map({}));
    EXPECT_TRUE(loaded.ok()) << loaded.error_report();
    std::vector<TaskConfig> tasks;
    for (const config::ConfigError& error : read_tasks(loaded.config, tasks)) {
      ADD_FAILURE() << error.to_string(path);
    }
    return tasks;
  }

  // Every row a first run of `task` reads: column name → text, in read order.
  std::vector<std::map<std::string, std::string>> first_run(const TaskConfig& task) {
    std::vector<std::map<std::string, std::string>> rows;
    Result<TableReader> reader = TableReader::open(conn(), task);
    if (!reader.ok()) {
      ADD_FAILURE() << task.name << ": " << reader.status().to_string();
      return rows;
    }
    Result<Batch> batch = reader->first_batch(std::nullopt);
    while (batch.ok() && !batch->empty()) {
      for (int r = 0; r < batch->rows.row_count(); ++r) {
        std::map<std::string, std::string>& row = rows.emplace_back();
        for (const std::string& column : reader->query().columns()) {
          row[column] =
              std::string(batch->rows.get(r, *batch->rows.column_index(column)).value_or("NULL"));
        }
      }
      batch = reader->next_batch(batch->after);
    }
    EXPECT_TRUE(batch.ok()) << task.name << ": " << batch.status().to_string();
    return rows;
  }
};

TEST_F(EcommerceExampleTest, SchemaLoadsAndEveryTaskReadsTheRowsItsReadmeDescribes) {
  PG_ASSERT_OK(
      conn().execute_script(courier::testing::read_checkout_file("examples/ecommerce/schema.sql")));
  std::vector<TaskConfig> tasks = example_tasks();
  ASSERT_EQ(tasks.size(), 7U);

  std::map<std::string, std::vector<std::map<std::string, std::string>>> read;
  for (const TaskConfig& task : tasks) read[task.name] = first_run(task);

  EXPECT_EQ(read["order_events"].size(), 60U) << "every order, equal created_at included";
  EXPECT_EQ(read["recent_orders"].size(), 60U);
  EXPECT_EQ(read["order_documents"].size(), 60U);
  EXPECT_EQ(read["product_prices"].size(), 5U);
  EXPECT_EQ(read["product_cards"].size(), 5U);

  std::set<std::string> vips;
  for (const auto& row : read["vip_customers"]) vips.insert(row.at("id"));
  EXPECT_EQ(vips, (std::set<std::string>{"1", "3"})) << "the ids the README shows";

  std::map<std::string, std::string> units_sold;
  for (const auto& row : read["top_products"])
    units_sold[row.at("product_id")] = row.at("units_sold");
  EXPECT_EQ(units_sold, (std::map<std::string, std::string>{
                            {"1", "48"}, {"2", "24"}, {"3", "48"}, {"4", "48"}, {"5", "24"}}))
      << "the scores docs/CONFIG_GUIDE.md shows";

  ASSERT_FALSE(read["product_prices"].empty());
  EXPECT_EQ(read["product_prices"][0].at("id"), "1");
  EXPECT_EQ(read["product_prices"][0].at("price"), "24.90") << "the price the README shows";
}

}  // namespace
}  // namespace courier::pg_to_redis
