// The harness itself: servers start, die, come back, and a cluster fails over.
#include "servers.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

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

}  // namespace
}  // namespace courier::testing
