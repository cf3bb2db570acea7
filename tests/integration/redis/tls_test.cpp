// Redis over TLS (rediss://) against redis-server started with --tls-port and throw-away
// certificates from the harness: round trips, the cluster, and every refusal's message.
#include <gtest/gtest.h>

#include <set>

#include "redis/client.h"
#include "redis/connection.h"
#include "redis/slot.h"
#include "redis_fixture.h"
#include "servers.h"

namespace courier::redis::test {
namespace {

using courier::testing::RedisCluster;
using courier::testing::RedisServer;
using courier::testing::test_certificates;
using courier::testing::unique_name;

RedisServer& tls_redis() {
  static std::unique_ptr<RedisServer> server = RedisServer::start({.tls = true});
  return *server;
}

ConnectionOptions tls_connection(const RedisServer& server) {
  ConnectionOptions options;
  options.host = server.host();
  options.port = server.tls_port();
  options.tls = {.enabled = true, .ca_file = test_certificates().ca_file};
  return options;
}

ClientOptions tls_client_options(const RedisServer& server) {
  ClientOptions options;
  options.nodes = {server.tls_address()};
  options.topology = Topology::kStandalone;
  options.connection.tls = tls_connection(server).tls;
  return options;
}

::testing::AssertionResult mentions(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

std::string open_error(const ConnectionOptions& options) {
  Result<Connection> connection = Connection::open(options);
  if (connection.ok()) return "connected";
  return connection.status().message();
}

TEST(RedisTls, SetGetAndPipelineRoundTrip) {
  Result<std::unique_ptr<Client>> client = make_client(tls_client_options(tls_redis()));
  ASSERT_TRUE(client.ok()) << client.status().to_string();
  std::string key = unique_name("tls");
  EXPECT_TRUE(has_text((*client)->command({"SET", key, std::string("a\0b", 3)}), "OK"));
  EXPECT_TRUE(has_text((*client)->command({"GET", key}), std::string("a\0b", 3)));

  std::vector<Command> commands;
  for (int i = 0; i < 20000; ++i) commands.push_back({"INCR", key + ":n"});
  std::vector<Result<Reply>> replies = (*client)->pipeline(commands);
  ASSERT_EQ(replies.size(), commands.size());
  ASSERT_TRUE(replies.back().ok()) << replies.back().status().to_string();
  EXPECT_EQ(replies.back()->integer(), 20000);
}

TEST(RedisTls, PlainConnectionToTheTlsPortFailsAndTlsToThePlainPortToo) {
  ConnectionOptions plain = tls_connection(tls_redis());
  plain.tls.enabled = false;
  Result<Connection> connection = Connection::open(plain);
  if (connection.ok()) {
    EXPECT_FALSE(connection->run({"PING"}).ok());
  }
  ConnectionOptions to_plain_port = tls_connection(tls_redis());
  to_plain_port.port = tls_redis().port();
  EXPECT_TRUE(mentions(open_error(to_plain_port), "TLS handshake failed"));
}

TEST(RedisTls, AclUserAuthenticatesOverTls) {
  std::string user = unique_name("tls_user");
  tls_redis().command({"ACL", "SETUSER", user, "on", ">s3cret", "~*", "+@all"});
  ConnectionOptions options = tls_connection(tls_redis());
  options.username = user;
  options.password = "s3cret";
  Result<Connection> connection = Connection::open(options);
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  EXPECT_TRUE(has_text(connection->run({"ACL", "WHOAMI"}), user));
  options.password = "wrong";
  EXPECT_TRUE(mentions(open_error(options), "AUTH as user '" + user + "' failed"));
}

TEST(RedisTls, WrongCaIsRefusedNamingTheSetting) {
  ConnectionOptions options = tls_connection(tls_redis());
  options.tls.ca_file = test_certificates().other_ca_file;
  std::string error = open_error(options);
  EXPECT_TRUE(
      mentions(error, "redis TLS: certificate verify failed for " + tls_redis().tls_address()));
  EXPECT_TRUE(mentions(error, "check redis.tls.ca_file"));
}

TEST(RedisTls, WrongServerNameIsRefusedNamingTheSetting) {
  ConnectionOptions options = tls_connection(tls_redis());
  options.tls.server_name = "cache.example.com";
  std::string error = open_error(options);
  EXPECT_TRUE(mentions(error, "certificate verify failed"));
  EXPECT_TRUE(mentions(error, "check redis.tls.server_name"));
  options.tls.server_name = "localhost";  // in the certificate
  EXPECT_EQ(open_error(options), "connected");
}

TEST(RedisTls, ExpiredCertificateIsRefused) {
  auto server = RedisServer::start({.tls = true, .tls_expired_certificate = true});
  std::string error = open_error(tls_connection(*server));
  EXPECT_TRUE(mentions(error, "certificate has expired"));
  EXPECT_TRUE(mentions(error, "renew the server's certificate"));
}

TEST(RedisTls, VerifyFalseAcceptsAnUntrustedCertificate) {
  ConnectionOptions options = tls_connection(tls_redis());
  options.tls.ca_file = test_certificates().other_ca_file;
  options.tls.server_name = "cache.example.com";
  options.tls.verify = false;
  Result<Connection> connection = Connection::open(options);
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  EXPECT_TRUE(has_text(connection->run({"PING"}), "PONG"));
}

TEST(RedisTls, ClientCertificateRequiredByTheServer) {
  auto server = RedisServer::start({.tls = true, .tls_auth_clients = true});
  ConnectionOptions options = tls_connection(*server);
  Result<Connection> without = Connection::open(options);
  if (without.ok()) {
    Result<Reply> reply = without->run({"PING"});
    ASSERT_FALSE(reply.ok());
    EXPECT_TRUE(mentions(reply.status().message(), "certificate"));
  }
  options.tls.cert_file = test_certificates().client_cert_file;
  options.tls.key_file = test_certificates().client_key_file;
  Result<Connection> with = Connection::open(options);
  ASSERT_TRUE(with.ok()) << with.status().to_string();
  EXPECT_TRUE(has_text(with->run({"PING"}), "PONG"));
}

TEST(RedisTls, HungServerTimesOutAndTheConnectionIsBrokenForGood) {
  auto server = RedisServer::start({.tls = true});
  ConnectionOptions options = tls_connection(*server);
  options.socket_timeout = std::chrono::milliseconds(300);
  Result<Connection> connection = Connection::open(options);
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  server->pause();
  Result<Reply> reply = connection->run({"PING"});
  server->resume();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(mentions(reply.status().message(), "read failed: timed out after 300 ms"));
  EXPECT_FALSE(connection->healthy());
}

TEST(RedisTls, MissingCaFileIsRefusedNamingIt) {
  ConnectionOptions options = tls_connection(tls_redis());
  options.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_TRUE(mentions(open_error(options), "redis.tls.ca_file '/nonexistent/ca.pem'"));
}

// Only the seed is given: the other masters come from CLUSTER SLOTS, which a node with
// tls-cluster yes answers with TLS ports on a TLS connection. Every connection, to the
// nodes learnt too, authenticates as the ACL user.
TEST(RedisTls, ClusterLearnsTheOtherNodesAndReachesThemOverTlsAsTheAclUser) {
  auto cluster = RedisCluster::start({.tls = true});
  const std::string user = unique_name("tls_cluster_user");
  for (size_t i = 0; i < cluster->size(); ++i)
    cluster->node(i).command({"ACL", "SETUSER", user, "on", ">s3cret", "~*", "+@all"});
  ClientOptions options;
  options.nodes = {cluster->node(0).tls_address()};
  options.topology = Topology::kCluster;
  options.connection.tls = tls_connection(cluster->node(0)).tls;
  options.connection.username = user;
  options.connection.password = "s3cret";
  Result<std::unique_ptr<Client>> client = make_client(options);
  ASSERT_TRUE(client.ok()) << client.status().to_string();

  std::string prefix = unique_name("tls_cluster");
  std::vector<Command> sets;
  for (int i = 0; i < 300; ++i) sets.push_back({"SET", prefix + ":" + std::to_string(i), "v"});
  std::vector<Result<Reply>> replies = (*client)->pipeline(sets);
  for (const Result<Reply>& reply : replies) ASSERT_TRUE(has_text(reply, "OK"));
  std::set<int> masters_written;
  for (const Command& set : sets) {
    RedisServer& master = cluster->master_for_slot(key_slot(set[1]));
    EXPECT_EQ(master.command({"GET", set[1]}), "v");  // checked on the master's plain port
    masters_written.insert(master.port());
  }
  EXPECT_EQ(masters_written.size(), 3u);
  for (RedisServer* master : cluster->masters())
    EXPECT_NE(master->command({"CLIENT", "LIST"}).find("user=" + user), std::string::npos)
        << "no connection as '" << user << "' on " << master->address();
}

}  // namespace
}  // namespace courier::redis::test
