// Every YAML example in docs/configuration.md loads without errors, so the reference
// cannot drift from what the loader accepts.
#include <gtest/gtest.h>

#include "config/courier_config.h"
#include "config_test_support.h"
#include "markdown_yaml_blocks.h"

namespace courier::config {
namespace {

using courier::testing::yaml_blocks;
using courier::testing::YamlBlock;

std::string read_reference() {
  return courier::testing::read_checkout_file("docs/configuration.md");
}

TEST(ConfigurationReference, EveryYamlExampleLoadsWithoutErrors) {
  std::vector<YamlBlock> blocks = yaml_blocks(read_reference());
  ASSERT_GE(blocks.size(), 8u) << "docs/configuration.md not found or lost its examples";
  for (const YamlBlock& block : blocks) {
    LoadResult result =
        testing::load(block.text, {{"PGPASSWORD", "pg-secret"}, {"REDIS_PASSWORD", "r-secret"}});
    EXPECT_TRUE(result.ok()) << "block at line " << block.line << ":\n"
                             << block.text << "\n"
                             << result.error_report();
  }
}

TEST(ConfigurationReference, CompleteExampleSpellsOutTheDefaults) {
  LoadResult example =
      testing::load(yaml_blocks(read_reference()).at(0).text, {{"PGPASSWORD", "x"}});
  LoadResult empty = testing::load("");
  EXPECT_EQ(example.config.postgres.host, empty.config.postgres.host);
  EXPECT_EQ(example.config.postgres.port, empty.config.postgres.port);
  EXPECT_EQ(example.config.postgres.sslmode, empty.config.postgres.sslmode);
  EXPECT_EQ(example.config.postgres.connect_timeout, empty.config.postgres.connect_timeout);
  EXPECT_EQ(example.config.postgres.application_name, empty.config.postgres.application_name);
  EXPECT_EQ(example.config.redis.addr, empty.config.redis.addr);
  EXPECT_EQ(example.config.redis.db, empty.config.redis.db);
  EXPECT_EQ(example.config.redis.connect_timeout, empty.config.redis.connect_timeout);
  EXPECT_EQ(example.config.redis.socket_timeout, empty.config.redis.socket_timeout);
  EXPECT_EQ(example.config.http.listen, empty.config.http.listen);
  EXPECT_EQ(example.config.log.level, empty.config.log.level);
  EXPECT_EQ(example.config.log.format, empty.config.log.format);
  EXPECT_EQ(example.config.log.log_sql, empty.config.log.log_sql);
}

}  // namespace
}  // namespace courier::config
