#include "redis/options.h"

#include <gtest/gtest.h>

namespace courier::redis {
namespace {

TEST(ParseAddress, HostAndPort) {
  Result<NodeAddress> address = parse_address("10.0.0.7:7001");
  ASSERT_TRUE(address.ok()) << address.status().to_string();
  EXPECT_EQ(address->host, "10.0.0.7");
  EXPECT_EQ(address->port, 7001);
  EXPECT_EQ(address->to_string(), "10.0.0.7:7001");
}

TEST(ParseAddress, PortDefaultsTo6379) {
  Result<NodeAddress> address = parse_address("redis.internal");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->port, 6379);
}

TEST(ParseAddress, BracketedIpv6) {
  Result<NodeAddress> address = parse_address("[::1]:7000");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 7000);
  EXPECT_EQ(address->to_string(), "[::1]:7000");
}

TEST(ParseAddress, RejectsBadPortsAndEmptyHosts) {
  for (const char* text : {"host:", "host:0", "host:65536", "host:12ab", ":6379", "", "[::1"}) {
    Result<NodeAddress> address = parse_address(text);
    ASSERT_FALSE(address.ok()) << text;
    EXPECT_EQ(address.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(address.status().message().find("redis address"), std::string::npos);
  }
}

TEST(ParseRedisUrl, Everything) {
  Result<ConnectionOptions> options = parse_redis_url("redis://app:s3cret@cache.local:6380/2");
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  EXPECT_EQ(options->username, "app");
  EXPECT_EQ(options->password, "s3cret");
  EXPECT_EQ(options->host, "cache.local");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->db, 2);
}

TEST(ParseRedisUrl, TheSchemeIsCaseInsensitive) {
  Result<ConnectionOptions> options = parse_redis_url("REDIS://cache:6380/1");
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  EXPECT_EQ(options->host, "cache");
  EXPECT_EQ(options->db, 1);
  EXPECT_TRUE(parse_redis_url("Rediss://cache")->tls.enabled);
}

TEST(ParseRedisUrl, HostOnly) {
  Result<ConnectionOptions> options = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->db, 0);
  EXPECT_TRUE(options->password.empty());
  EXPECT_TRUE(options->username.empty());
}

TEST(ParseRedisUrl, PasswordOnly) {
  Result<ConnectionOptions> options = parse_redis_url("redis://:pw@h:1/");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->username, "");
  EXPECT_EQ(options->password, "pw");
  EXPECT_EQ(options->db, 0);
}

TEST(ParseRedisUrl, PercentEncodedCredentials) {
  Result<ConnectionOptions> options = parse_redis_url("redis://a%40b:p%3Aw%2F%25@h:1");
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  EXPECT_EQ(options->username, "a@b");
  EXPECT_EQ(options->password, "p:w/%");
}

TEST(ParseRedisUrl, RedissTurnsTlsOn) {
  Result<ConnectionOptions> tls = parse_redis_url("rediss://app:pw@cache.example.com:6380/1");
  ASSERT_TRUE(tls.ok()) << tls.status().to_string();
  EXPECT_TRUE(tls->tls.enabled);
  EXPECT_TRUE(tls->tls.verify);
  EXPECT_EQ(tls->host, "cache.example.com");
  EXPECT_EQ(tls->port, 6380);
  EXPECT_EQ(tls->username, "app");
  EXPECT_EQ(tls->db, 1);
  EXPECT_TRUE(parse_redis_url("REDISS://cache")->tls.enabled);
  EXPECT_FALSE(parse_redis_url("redis://cache")->tls.enabled);
}

TEST(ValidateClientOptions, ClientCertificateAndKeyGoTogether) {
  ClientOptions options;
  options.connection.tls = {.enabled = true, .cert_file = "client.crt"};
  Result<std::vector<NodeAddress>> checked = validate_client_options(options);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.status().message().find("tls.cert_file and tls.key_file go together"),
            std::string::npos);
}

TEST(ParseRedisUrl, RejectsWithAReason) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (Case c :
       {Case{"http://h:1", "must start with redis://"}, Case{"redis://h:1/x", "database number"},
        Case{"redis://h:1/-1", "database number"}, Case{"redis://user@h:1", "USER:PASSWORD@"},
        Case{"redis://:@h:1", "password after ':' is empty"}, Case{"redis://:p%zz@h:1", "%-escape"},
        Case{"redis://h:99999", "port"}, Case{"redis://h:1?timeout=3", "query parameters"}}) {
    Result<ConnectionOptions> options = parse_redis_url(c.url);
    ASSERT_FALSE(options.ok()) << c.url;
    EXPECT_EQ(options.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(options.status().message().find(c.says), std::string::npos)
        << c.url << " -> " << options.status().message();
  }
}

TEST(ValidateClientOptions, NodesOrTheConnectionAddress) {
  ClientOptions options;
  options.connection.host = "h";
  options.connection.port = 7;
  Result<std::vector<NodeAddress>> nodes = validate_client_options(options);
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->at(0), (NodeAddress{"h", 7}));

  options.nodes = {"a:1", "b:2"};
  nodes = validate_client_options(options);
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->size(), 2u);
  EXPECT_EQ(nodes->at(1), (NodeAddress{"b", 2}));
}

TEST(ValidateClientOptions, RejectsBadSettings) {
  ClientOptions bad_node{.nodes = {"a:1", "b:x"}};
  EXPECT_FALSE(validate_client_options(bad_node).ok());

  ClientOptions cluster_db{.nodes = {"a:1"}, .topology = Topology::kCluster};
  cluster_db.connection.db = 3;
  Result<std::vector<NodeAddress>> result = validate_client_options(cluster_db);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("db 0"), std::string::npos);

  ClientOptions negative_timeout;
  negative_timeout.connection.socket_timeout = std::chrono::milliseconds(-1);
  EXPECT_FALSE(validate_client_options(negative_timeout).ok());

  ClientOptions user_without_password;
  user_without_password.connection.username = "app";
  EXPECT_FALSE(validate_client_options(user_without_password).ok());

  ClientOptions negative_redirects{.max_redirects = -1};
  EXPECT_FALSE(validate_client_options(negative_redirects).ok());
}

}  // namespace
}  // namespace courier::redis
