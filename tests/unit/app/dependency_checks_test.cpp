// The /health probes against stores that are down (nothing listens on port 1): they say
// which store failed, never its address or who logs in.
#include "app/dependency_checks.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace courier::app {
namespace {

void expect_no_address(const std::string& detail) {
  for (const char* secret : {"127.0.0.1", ":1", "port 1", "leaky_user", "leaky_database"})
    EXPECT_EQ(detail.find(secret), std::string::npos) << "'" << secret << "' in " << detail;
}

TEST(DependencyChecks, PostgresDownIsReportedWithoutHostUserOrDatabase) {
  prometheus::Registry registry;
  prometheus::Gauge& up = dependency_up_family(registry).Add({{"dependency", "postgres"}});
  pg::ConnectionOptions stopped;
  stopped.host = "127.0.0.1";
  stopped.port = 1;
  stopped.user = "leaky_user";
  stopped.dbname = "leaky_database";
  http::HealthReport report = PostgresCheck(stopped, up).probe();
  EXPECT_FALSE(report.healthy);
  EXPECT_EQ(report.detail, "postgres unavailable (details in the log)");
  expect_no_address(report.detail);
  EXPECT_EQ(up.Value(), 0);
}

TEST(DependencyChecks, RedisDownIsReportedWithoutItsAddress) {
  prometheus::Registry registry;
  prometheus::Gauge& up = dependency_up_family(registry).Add({{"dependency", "redis"}});
  redis::ClientOptions stopped;
  stopped.nodes = {"127.0.0.1:1"};
  stopped.connection.username = "leaky_user";
  http::HealthReport report = RedisCheck(stopped, up).probe();
  EXPECT_FALSE(report.healthy);
  EXPECT_EQ(report.detail, "redis unavailable (details in the log)");
  expect_no_address(report.detail);
}

}  // namespace
}  // namespace courier::app
