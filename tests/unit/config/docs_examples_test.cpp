// Every YAML example in docs/configuration.md loads without errors, so the reference
// cannot drift from what the loader accepts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/courier_config.h"
#include "config_test_support.h"

namespace courier::config {
namespace {

std::string read_reference() {
  std::ifstream in(std::filesystem::path(COURIER_SOURCE_DIR) / "docs/configuration.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> yaml_blocks(const std::string& markdown) {
  const std::string open = "```yaml\n";
  const std::string close = "```";
  std::vector<std::string> blocks;
  for (std::size_t start = markdown.find(open); start != std::string::npos;
       start = markdown.find(open, start)) {
    start += open.size();
    std::size_t end = markdown.find(close, start);
    blocks.push_back(markdown.substr(start, end - start));
  }
  return blocks;
}

TEST(ConfigurationReference, EveryYamlExampleLoadsWithoutErrors) {
  std::vector<std::string> blocks = yaml_blocks(read_reference());
  ASSERT_GE(blocks.size(), 8u) << "docs/configuration.md not found or lost its examples";
  for (const std::string& block : blocks) {
    LoadResult result =
        testing::load(block, {{"PGPASSWORD", "pg-secret"}, {"REDIS_PASSWORD", "r-secret"}});
    EXPECT_TRUE(result.ok()) << block << "\n" << result.error_report();
  }
}

TEST(ConfigurationReference, CompleteExampleSpellsOutTheDefaults) {
  LoadResult example = testing::load(yaml_blocks(read_reference()).at(0), {{"PGPASSWORD", "x"}});
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
