// Red Courier's config files (seeds/red-courier.md) load unchanged.
#include <gtest/gtest.h>

#include "config/courier_config.h"
#include "config/reader.h"
#include "config_test_support.h"
#include "red_courier_readme.h"

namespace courier::config {
namespace {

using testing::load;

using courier::testing::kReadmeConfig;
using courier::testing::kReadmeStreamTask;

TEST(RedCourierConfig, ReadmeConfigurationLoadsWithoutErrors) {
  LoadResult result = load(kReadmeConfig);
  ASSERT_TRUE(result.ok()) << result.error_report();
  const CourierConfig& config = result.config;
  EXPECT_EQ(config.postgres.host, "localhost");
  EXPECT_EQ(config.postgres.port, 5432);
  EXPECT_EQ(config.postgres.user, "postgres");
  EXPECT_EQ(config.postgres.password, "secret");
  EXPECT_EQ(config.postgres.dbname, "ecommerce");
  EXPECT_EQ(config.postgres.sslmode, PostgresSslMode::kDisable);
  EXPECT_EQ(config.redis.addr, (HostPort{"localhost", 6379}));
  EXPECT_EQ(config.redis.password, "");
  EXPECT_EQ(config.redis.db, 0);
  ASSERT_NE(config.reserved_section("tasks"), nullptr);
}

TEST(RedCourierConfig, ReadmeTaskIsKeptForTheTableSyncModule) {
  LoadResult result = load(kReadmeConfig);
  ConfigErrors errors;
  ReadContext context(errors);
  ValueReader tasks = open_reserved_section(*result.config.reserved_section("tasks"), context);
  MappingReader task = tasks.as_sequence()->item(0).as_mapping().value();
  EXPECT_EQ(task.string("schedule"), "@every 30s");
  MappingReader tracking = task.mapping("tracking").value();
  EXPECT_EQ(tracking.path(), "tasks[0].tracking");
  EXPECT_EQ(tracking.string("operator"), ">");
  EXPECT_EQ(tracking.string("last_value_key"), "checkpoint:recent_orders");
  EXPECT_TRUE(errors.empty());
}

TEST(RedCourierConfig, ReadmeStreamTaskLoadsWithoutErrors) {
  LoadResult result = load(kReadmeStreamTask);
  ASSERT_TRUE(result.ok()) << result.error_report();
  ConfigErrors errors;
  ReadContext context(errors);
  ValueReader tasks = open_reserved_section(*result.config.reserved_section("tasks"), context);
  MappingReader task = tasks.as_sequence()->item(0).as_mapping().value();
  EXPECT_EQ(task.string_list("fields"),
            (std::vector<std::string>{"id", "status", "total_amount", "created_at"}));
}

TEST(RedCourierConfig, RootKeysServerPortAndLogSqlAreUnderstood) {
  std::string yaml(kReadmeConfig);
  yaml += "log_sql: true\nserver_port:\n  port: 8081\n";
  LoadResult result = load(yaml);
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_TRUE(result.config.log.log_sql);
  EXPECT_EQ(result.config.http.listen, (HostPort{"127.0.0.1", 8081}));
}

}  // namespace
}  // namespace courier::config
