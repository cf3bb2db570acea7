// The harness itself: servers start, die, come back, and a cluster fails over.
#include "servers.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>

namespace courier::testing {
namespace {

bool postgres_answers(const PostgresServer& server, const std::string& db) {
  PGconn* conn = PQconnectdb((server.url(db) + "?connect_timeout=2").c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  PQfinish(conn);
  return ok;
}

TEST(PostgresServer, StartsKillsAndRestartsKeepingData) {
  auto server = PostgresServer::start();
  std::string db = server->create_database("harness");
  EXPECT_TRUE(postgres_answers(*server, db));

  server->kill9();
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(postgres_answers(*server, db));

  server->restart();
  EXPECT_TRUE(server->running());
  EXPECT_TRUE(postgres_answers(*server, db)) << "the database survives a crash and restart";
}

// True when the statement sent on `conn` has its reply within `wait`.
bool replies_within(PGconn* conn, std::chrono::milliseconds wait) {
  pollfd fd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
  if (poll(&fd, 1, static_cast<int>(wait.count())) <= 0) return false;
  PQconsumeInput(conn);
  return !PQisBusy(conn);
}

using Clock = std::chrono::steady_clock;

TEST(PostgresServer, PausedServerAnswersNothingUntilResumed) {
  auto server = PostgresServer::start();
  PGconn* conn = PQconnectdb((server->url() + "?connect_timeout=2").c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);

  server->pause();
  EXPECT_TRUE(server->running()) << "a paused server has not exited";
  ASSERT_EQ(PQsendQuery(conn, "SELECT 1"), 1) << "the kernel still takes the request";
  EXPECT_FALSE(replies_within(conn, std::chrono::milliseconds(1500)))
      << "the open session's backend is stopped too";
  EXPECT_FALSE(postgres_answers(*server, "postgres")) << "the postmaster is stopped";

  server->resume();
  EXPECT_TRUE(replies_within(conn, std::chrono::milliseconds(10'000)));
  while (PGresult* result = PQgetResult(conn)) PQclear(result);
  EXPECT_TRUE(postgres_answers(*server, "postgres"));
  PQfinish(conn);
}

TEST(PostgresServer, PausedServerIsDestroyedPromptly) {
  auto server = PostgresServer::start();
  server->pause();
  auto started = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5))
      << "the destructor resumes the server before asking it to shut down";
}

TEST(PostgresServer, EachDatabaseIsFresh) {
  std::string first = shared_postgres().create_database("iso");
  std::string second = shared_postgres().create_database("iso");
  EXPECT_NE(first, second);
}

TEST(RedisServer, KilledServerComesBackWithAppendOnlyData) {
  auto server = RedisServer::start({.append_only = true});
  EXPECT_EQ(server->command({"SET", "k", "v"}), "OK");
  server->kill9();
  EXPECT_FALSE(server->wait_ready(std::chrono::milliseconds(100)));
  EXPECT_THROW(server->command({"PING"}), std::runtime_error);
  server->restart();
  EXPECT_EQ(server->command({"GET", "k"}), "v");
}

TEST(RedisServer, PausedServerAnswersNothingUntilResumed) {
  auto server = RedisServer::start();
  server->pause();
  EXPECT_TRUE(server->running());
  EXPECT_THROW(server->command({"PING"}), std::runtime_error) << "no reply within 5 s";
  server->resume();
  EXPECT_EQ(server->command({"PING"}), "PONG");

  server->pause();
  auto started = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5)) << "destroyed promptly while paused";
}

TEST(RedisServer, PasswordIsRequired) {
  auto server = RedisServer::start({.password = "s3cret"});
  EXPECT_EQ(server->command({"PING"}), "PONG");  // the harness authenticates
}

TEST(RedisCluster, FailsOverWhenAMasterIsKilledAndTheOldMasterRejoins) {
  auto cluster = RedisCluster::start();
  ASSERT_EQ(cluster->masters().size(), 3u);
  ASSERT_EQ(cluster->replicas().size(), 3u);

  RedisServer& victim = cluster->master_for_slot(0);
  victim.kill9();
  ASSERT_TRUE(cluster->wait_healthy()) << "a replica should be promoted";
  EXPECT_NE(cluster->master_for_slot(0).port(), victim.port());
  EXPECT_EQ(cluster->masters().size(), 3u);

  victim.restart();
  ASSERT_TRUE(cluster->wait_healthy());
  EXPECT_EQ(cluster->replicas().size(), 3u) << "the old master comes back as a replica";
}

TEST(RedisCluster, OneNodeCanBePausedWhileTheOthersAnswer) {
  RedisCluster& cluster = shared_cluster();
  std::vector<RedisServer*> replicas = cluster.replicas();
  ASSERT_FALSE(replicas.empty());
  RedisServer& paused = *replicas.front();
  paused.pause();
  EXPECT_THROW(paused.command({"PING"}), std::runtime_error);
  EXPECT_EQ(cluster.master_for_slot(0).command({"PING"}), "PONG");
  paused.resume();
  EXPECT_EQ(paused.command({"PING"}), "PONG");
  EXPECT_TRUE(cluster.wait_healthy());
}

}  // namespace
}  // namespace courier::testing
