// `courier run` as a process: serves /health and /metrics against real servers, reports
// an outage and its end, and stops cleanly on SIGTERM and SIGINT.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "courier_process.h"

namespace courier::testing {
namespace {

using namespace std::chrono_literals;

TEST(CourierRun, ServesHealthAndMetricsAndStopsOnSigterm) {
  PostgresServer& pg = shared_postgres();
  CourierProcess courier(pg, pg.create_database("app"), shared_redis());
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();

  std::string metrics;
  EXPECT_EQ(courier.get_status("/metrics", &metrics), 200);
  EXPECT_NE(metrics.find("courier_dependency_up{dependency=\"postgres\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("courier_build_info{version="), std::string::npos);

  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
}

TEST(CourierRun, HealthReportsARedisOutageAndItsEnd) {
  PostgresServer& pg = shared_postgres();
  auto redis = RedisServer::start();
  CourierProcess courier(pg, pg.create_database("app"), *redis);
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();

  redis->kill9();
  ASSERT_TRUE(courier.wait_for_health(503)) << courier.log();
  std::string body;
  courier.get_status("/health", &body);
  EXPECT_NE(body.find("\"redis\":{\"detail\":\"redis unavailable"), std::string::npos) << body;
  EXPECT_NE(body.find("\"postgres\":{\"detail\":\"select 1 ok"), std::string::npos) << body;
  EXPECT_EQ(body.find(std::to_string(redis->port())), std::string::npos) << body;  // no address

  redis->restart();
  EXPECT_TRUE(courier.wait_for_health(200)) << courier.log();
  EXPECT_EQ(exit_code_after(courier.process(), SIGINT), 0) << courier.log();
}

TEST(CourierRun, HealthReportsAPostgresOutageAndItsEnd) {
  auto pg = PostgresServer::start();
  CourierProcess courier(*pg, pg->create_database("app"), shared_redis());
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();
  pg->kill9();
  ASSERT_TRUE(courier.wait_for_health(503)) << courier.log();
  pg->restart();
  EXPECT_TRUE(courier.wait_for_health(200)) << courier.log();
  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
}

// Resident memory of a process in kB, from /proc/<pid>/status (VmRSS).
long resident_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

TEST(CourierRun, AHugeBodyIsRefusedWith413WithoutBeingReadAndTheConfiguredLimitHolds) {
  PostgresServer& pg = shared_postgres();
  // Lines indented under the connection sections' last one, http:.
  CourierProcess courier(pg, pg.create_database("app"), shared_redis(), "  max_body_bytes: 4096\n");
  ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();
  long before_kb = resident_kb(courier.process().pid());

  httplib::Client client("127.0.0.1", courier.http_port());
  client.set_read_timeout(10, 0);
  auto small = client.Post("/metrics", std::string(4000, 'x'), "text/plain");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 404);  // within the limit: read, then routed
  auto over = client.Post("/metrics", std::string(5000, 'x'), "text/plain");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 413);

  // 200 MB announced and streamed: the server answers 413 before reading it, and closes
  // while this client is still sending (SIGPIPE must not end the test).
  auto previous_sigpipe = signal(SIGPIPE, SIG_IGN);
  constexpr size_t kHuge = 200u << 20;
  std::string chunk(1 << 20, 'y');
  httplib::Client huge_client("127.0.0.1", courier.http_port());
  huge_client.set_write_timeout(10, 0);
  auto huge = huge_client.Post(
      "/metrics", kHuge,
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(chunk.data(), std::min(length, chunk.size()));
        return offset < kHuge;
      },
      "application/octet-stream");
  if (huge) {  // the server may close before the client has read the answer
    EXPECT_EQ(huge->status, 413);
  }
  signal(SIGPIPE, previous_sigpipe);
  EXPECT_EQ(courier.get_status("/health"), 200) << courier.log();
  long after_kb = resident_kb(courier.process().pid());
  ASSERT_GT(before_kb, 0);
  EXPECT_LT(after_kb - before_kb, 20 * 1024) << "RSS grew from " << before_kb << " kB";
  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
}

TEST(CourierRun, ABusyHttpPortIsAClearStartupFailure) {
  PostgresServer& pg = shared_postgres();
  std::string db = pg.create_database("app");
  CourierProcess first(pg, db, shared_redis());
  ASSERT_TRUE(first.wait_for_health(200)) << first.log();
  // A second process on the same port must refuse, not share it.
  std::string dir = make_temp_dir("app-busy");
  std::ofstream(dir + "/courier.yaml")
      << "postgres:\n  host: 127.0.0.1\n  port: " << pg.port()
      << "\nredis:\n  addr: " << shared_redis().address()
      << "\nhttp:\n  listen: 127.0.0.1:" << first.http_port() << "\n";
  CommandOutput second = run_command({COURIER_BINARY, "run", "-c", dir + "/courier.yaml"}, "", 30s);
  remove_tree(dir);
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find("127.0.0.1:" + std::to_string(first.http_port())), std::string::npos)
      << second.output;
}

}  // namespace
}  // namespace courier::testing
