#include "app/connection_settings.h"

#include <gtest/gtest.h>

namespace courier::app {
namespace {

TEST(ConnectionSettings, PostgresKeepsEveryFieldAndRoundsTheTimeoutUp) {
  config::PostgresConfig config;
  config.host = "db.internal";
  config.port = 6432;
  config.user = "sync";
  config.password = "pw";
  config.dbname = "shop";
  config.sslmode = config::PostgresSslMode::kVerifyFull;
  config.connect_timeout = std::chrono::milliseconds(1500);
  pg::ConnectionOptions options = postgres_options(config);
  EXPECT_EQ(options.host, "db.internal");
  EXPECT_EQ(options.port, 6432);
  EXPECT_EQ(options.user, "sync");
  EXPECT_EQ(options.password, "pw");
  EXPECT_EQ(options.dbname, "shop");
  EXPECT_EQ(options.sslmode, "verify-full");
  EXPECT_EQ(options.connect_timeout, std::chrono::seconds(2));
}

TEST(ConnectionSettings, PostgresGetsTheTlsFiles) {
  config::PostgresConfig config;
  config.sslrootcert = "/etc/courier/pg-ca.pem";
  config.sslcert = "/etc/courier/pg-client.crt";
  config.sslkey = "/etc/courier/pg-client.key";
  config.sslpassword = "key-secret";
  pg::ConnectionOptions options = postgres_options(config);
  EXPECT_EQ(options.sslrootcert, "/etc/courier/pg-ca.pem");
  EXPECT_EQ(options.sslcert, "/etc/courier/pg-client.crt");
  EXPECT_EQ(options.sslkey, "/etc/courier/pg-client.key");
  EXPECT_EQ(options.sslpassword, "key-secret");
}

TEST(ConnectionSettings, PostgresGetsTheStatementTimeoutAndKeepalives) {
  config::PostgresConfig defaults;
  pg::ConnectionOptions options = postgres_options(defaults);
  EXPECT_EQ(options.statement_timeout, std::chrono::seconds(60)) << "the data path's default";
  EXPECT_EQ(options.keepalives_idle, std::chrono::seconds(10));
  EXPECT_EQ(options.tcp_user_timeout, std::chrono::seconds(20));

  config::PostgresConfig config;
  config.statement_timeout = std::chrono::milliseconds(2500);
  config.keepalives_idle = std::chrono::milliseconds(1500);
  config.keepalives_interval = std::chrono::seconds(4);
  config.keepalives_count = 7;
  config.tcp_user_timeout = std::chrono::seconds(9);
  options = postgres_options(config);
  EXPECT_EQ(options.statement_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(options.keepalives_idle, std::chrono::seconds(2)) << "whole seconds, rounded up";
  EXPECT_EQ(options.keepalives_interval, std::chrono::seconds(4));
  EXPECT_EQ(options.keepalives_count, 7);
  EXPECT_EQ(options.tcp_user_timeout, std::chrono::seconds(9));
}

TEST(ConnectionSettings, RedisStandaloneUsesTheAddress) {
  config::RedisConfig config;
  config.addr = {"10.0.0.5", 6380};
  config.password = "pw";
  config.db = 3;
  redis::ClientOptions options = redis_options(config);
  EXPECT_EQ(options.topology, redis::Topology::kStandalone);
  ASSERT_EQ(options.nodes.size(), 1u);
  EXPECT_EQ(options.nodes[0], "10.0.0.5:6380");
  EXPECT_EQ(options.connection.password, "pw");
  EXPECT_EQ(options.connection.db, 3);
}

TEST(ConnectionSettings, RedisTlsReachesEveryConnection) {
  config::RedisConfig config;
  config.nodes = {{"127.0.0.1", 7000}};
  config.tls = {.enabled = true,
                .ca_file = "/ca.pem",
                .cert_file = "/c.crt",
                .key_file = "/c.key",
                .server_name = "cache.internal",
                .verify = false};
  redis::TlsOptions tls = redis_options(config).connection.tls;
  EXPECT_EQ(tls, (redis::TlsOptions{.enabled = true,
                                    .ca_file = "/ca.pem",
                                    .cert_file = "/c.crt",
                                    .key_file = "/c.key",
                                    .server_name = "cache.internal",
                                    .verify = false}));
}

TEST(ConnectionSettings, RedisNodesMeanACluster) {
  config::RedisConfig config;
  config.nodes = {{"127.0.0.1", 7000}, {"127.0.0.1", 7001}};
  config.read_from_replicas = true;
  redis::ClientOptions options = redis_options(config);
  EXPECT_EQ(options.topology, redis::Topology::kCluster);
  EXPECT_EQ(options.nodes, (std::vector<std::string>{"127.0.0.1:7000", "127.0.0.1:7001"}));
  EXPECT_TRUE(options.read_from_replicas);
}

TEST(ConnectionSettings, HttpKeepsEveryLimit) {
  config::HttpConfig config;
  config.listen = {"0.0.0.0", 9000};
  config.workers = 4;
  config.max_connections = 40;
  config.max_body_bytes = 5000;
  config.max_header_bytes = 3000;
  config.read_timeout = std::chrono::milliseconds(1500);
  http::ServerOptions options = http_server_options(config);
  EXPECT_EQ(options.host, "0.0.0.0");
  EXPECT_EQ(options.port, 9000);
  EXPECT_EQ(options.worker_threads, 4);
  EXPECT_EQ(options.max_connections, 40);
  EXPECT_EQ(options.max_body_bytes, 5000u);
  EXPECT_EQ(options.max_header_bytes, 3000u);
  EXPECT_EQ(options.read_timeout, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace courier::app
