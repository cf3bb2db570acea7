// Passwords never reach an error message or a description.
#include <gtest/gtest.h>

#include "config/courier_config.h"
#include "config_test_support.h"

namespace courier::config {
namespace {

using testing::load;

constexpr std::string_view kSecret = "hunter2";

void expect_secret_absent(const LoadResult& result) {
  EXPECT_EQ(result.error_report().find(kSecret), std::string::npos) << result.error_report();
  EXPECT_EQ(result.config.describe().find(kSecret), std::string::npos) << result.config.describe();
}

TEST(Secrets, AbsentFromErrorsAboutUrls) {
  LoadResult result = load(
      "postgres:\n  url: postgresql://app:hunter2@db:notaport/x?sslmod=require\n"
      "redis:\n  url: redis://:hunter2@cache/not-a-db\n");
  EXPECT_EQ(result.errors.size(), 2u);
  expect_secret_absent(result);
}

TEST(Secrets, AbsentFromErrorsAboutMisplacedPasswords) {
  LoadResult result = load(
      "postgres:\n  pasword: hunter2\n  password: [hunter2]\n"
      "redis:\n  password: {value: hunter2}\n  db: ${REDIS_PASSWORD}\n"
      "log:\n  level: ${REDIS_PASSWORD}\n",
      {{"REDIS_PASSWORD", "hunter2"}});
  EXPECT_EQ(result.errors.size(), 5u) << result.error_report();
  expect_secret_absent(result);
}

TEST(Secrets, AbsentFromErrorsAboutTheWholeUrlMisplaced) {
  LoadResult result = load("postgres: postgresql://app:hunter2@db/x\nredis: ${REDIS_URL}\n",
                           {{"REDIS_URL", "redis://:hunter2@cache"}});
  EXPECT_EQ(result.errors.size(), 2u) << result.error_report();
  expect_secret_absent(result);
}

TEST(Secrets, MaskedInDescribeButPresentInTheConfig) {
  LoadResult result =
      load("postgres:\n  password: ${PGPASSWORD}\nredis:\n  url: redis://app:hunter2@cache\n",
           {{"PGPASSWORD", "hunter2"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  expect_secret_absent(result);
  EXPECT_NE(result.config.describe().find("password=***"), std::string::npos);
  EXPECT_EQ(result.config.postgres.password, kSecret);
  EXPECT_EQ(result.config.redis.password, kSecret);
}

}  // namespace
}  // namespace courier::config
