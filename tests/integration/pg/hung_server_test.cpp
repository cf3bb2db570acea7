// A server that stops answering (SIGSTOP: the kernel still accepts and acks, so TCP
// keepalives cannot tell) must not block the caller: every wait for a reply is bounded by
// statement_timeout + reply_grace, after which the call fails retryably and a reconnect
// works once the server is back. Long work (migrations) is not cut short by the bound.
#include <gtest/gtest.h>

#include <chrono>

#include "pg/migrations.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ConnectionOptions short_bounds(const std::string& url) {
  auto options = ConnectionOptions::from_url(url);
  EXPECT_TRUE(options.ok()) << options.status().to_string();
  options->statement_timeout = 1s;
  options->reply_grace = 1s;
  options->connect_timeout = 2s;
  return *options;
}

std::unique_ptr<Connection> open_or_fail(const ConnectionOptions& options) {
  auto conn = Connection::open(options);
  EXPECT_TRUE(conn.ok()) << conn.status().to_string();
  return conn.ok() ? std::move(*conn) : nullptr;
}

TEST(PgHungServer, AQueryFailsRetryablyWithinTheBoundAndAReconnectWorksAfterResume) {
  auto server = courier::testing::PostgresServer::start({.logical_replication = false});
  std::unique_ptr<Connection> conn = open_or_fail(short_bounds(server->url()));
  ASSERT_NE(conn, nullptr);
  PG_ASSERT_OK(conn->execute("SELECT 1"));

  server->pause();
  auto started = Clock::now();
  auto result = conn->execute("SELECT 1");
  auto waited = Clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().retryable()) << result.status().to_string();
  EXPECT_NE(result.status().message().find("no reply within"), std::string::npos)
      << result.status().message();
  EXPECT_GE(waited, 2s) << "statement_timeout + reply_grace is given to a slow server";
  EXPECT_LT(waited, 5s) << "but no longer";
  EXPECT_FALSE(conn->is_open());

  server->resume();
  ASSERT_TRUE(eventually([&] { return conn->reconnect().ok(); }, 20s));
  EXPECT_EQ(scalar(*conn, "SELECT 41 + 1"), "42");
}

TEST(PgHungServer, StreamingAndCopyOutAreBoundedToo) {
  auto server = courier::testing::PostgresServer::start({.logical_replication = false});
  std::unique_ptr<Connection> conn = open_or_fail(short_bounds(server->url()));
  ASSERT_NE(conn, nullptr);
  server->pause();
  auto started = Clock::now();
  Status streamed = conn->stream("SELECT 1", {}, [](const Row&) { return true; });
  EXPECT_EQ(streamed.code(), StatusCode::kUnavailable) << streamed.to_string();
  EXPECT_LT(Clock::now() - started, 5s);

  server->resume();
  ASSERT_TRUE(eventually([&] { return conn->reconnect().ok(); }, 20s));
  server->pause();
  started = Clock::now();
  Status copied =
      conn->copy_out("COPY (SELECT 1) TO STDOUT", [](std::string_view) { return true; });
  EXPECT_EQ(copied.code(), StatusCode::kUnavailable) << copied.to_string();
  EXPECT_LT(Clock::now() - started, 5s);
}

class PgStatementTimeout : public PgDatabaseTest {};

TEST_F(PgStatementTimeout, TheServerCancelsALongStatementRetryably) {
  std::unique_ptr<Connection> conn = open_or_fail(short_bounds(url()));
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(scalar(*conn, "SHOW statement_timeout"), "1s") << "sent at connect";
  auto slept = conn->execute("SELECT pg_sleep(3)");
  ASSERT_FALSE(slept.ok());
  EXPECT_EQ(slept.status().detail(), "57014");
  EXPECT_TRUE(slept.status().retryable());
  EXPECT_TRUE(conn->is_open()) << "the server answered in time: the session is kept";
}

TEST_F(PgStatementTimeout, MigrationsRunLongerThanTheTimeoutAndRestoreIt) {
  std::unique_ptr<Connection> conn = open_or_fail(short_bounds(url()));
  ASSERT_NE(conn, nullptr);
  std::vector<Migration> migrations = {
      {.version = 1,
       .name = "slow",
       .sql = "SELECT pg_sleep(2.5); CREATE TABLE slow_done (id int)"}};
  auto report = apply_migrations(*conn, migrations, {.scope = "hung_server_test"});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->applied, std::vector<int64_t>{1});
  EXPECT_EQ(scalar(*conn, "SHOW statement_timeout"), "1s") << "put back afterwards";
  EXPECT_EQ(conn->statement_timeout(), 1s);
}

}  // namespace
}  // namespace courier::pg
