#include "config/connection_urls.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

using std::chrono::seconds;

PostgresConfig postgres_from(std::string_view url) {
  PostgresConfig config;
  Status status = apply_postgres_url(url, config);
  EXPECT_TRUE(status.ok()) << status.to_string();
  return config;
}

std::string postgres_url_error(std::string_view url) {
  PostgresConfig config;
  Status status = apply_postgres_url(url, config);
  EXPECT_FALSE(status.ok()) << "expected an error for " << url;
  return status.message();
}

RedisConfig redis_from(std::string_view url) {
  RedisConfig config;
  Status status = apply_redis_url(url, config);
  EXPECT_TRUE(status.ok()) << status.to_string();
  return config;
}

std::string redis_url_error(std::string_view url) {
  RedisConfig config;
  Status status = apply_redis_url(url, config);
  EXPECT_FALSE(status.ok()) << "expected an error for " << url;
  return status.message();
}

TEST(ParseHostPort, ReadsHostAndPort) {
  Result<HostPort> endpoint = parse_host_port("redis.internal:6380", 6379, 1);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(*endpoint, (HostPort{"redis.internal", 6380}));
}

TEST(ParseHostPort, UsesTheDefaultPortWhenOneIsGiven) {
  EXPECT_EQ(parse_host_port("localhost", 6379, 1).value(), (HostPort{"localhost", 6379}));
  EXPECT_FALSE(parse_host_port("localhost", std::nullopt, 1).ok());
}

TEST(ParseHostPort, ReadsBracketedIpv6) {
  EXPECT_EQ(parse_host_port("[::1]:7000", std::nullopt, 1).value(), (HostPort{"::1", 7000}));
  EXPECT_EQ(parse_host_port("[::1]", 6379, 1).value(), (HostPort{"::1", 6379}));
  EXPECT_EQ((HostPort{"::1", 7000}).to_string(), "[::1]:7000");
}

TEST(ParseHostPort, RejectsBadInputWithAMessageQuotingIt) {
  for (std::string_view bad : {"localhost:abc", "localhost:0", "localhost:65536", ":6379", "::1",
                               "[::1", "[::1]x", "", "host:-1", "host:+80"}) {
    Result<HostPort> endpoint = parse_host_port(bad, 6379, 1);
    ASSERT_FALSE(endpoint.ok()) << bad;
    EXPECT_NE(endpoint.status().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << endpoint.status().message();
  }
}

TEST(ParseHostPort, PortZeroOnlyWhereAllowed) {
  EXPECT_EQ(parse_host_port("127.0.0.1:0", std::nullopt, 0).value().port, 0);
  EXPECT_FALSE(parse_host_port("127.0.0.1:0", std::nullopt, 1).ok());
}

TEST(PostgresUrl, SetsEveryConnectionField) {
  PostgresConfig config = postgres_from(
      "postgresql://app:s3cret@db.internal:5433/shop?sslmode=require"
      "&connect_timeout=3&application_name=sync");
  EXPECT_EQ(config.user, "app");
  EXPECT_EQ(config.password, "s3cret");
  EXPECT_EQ(config.host, "db.internal");
  EXPECT_EQ(config.port, 5433);
  EXPECT_EQ(config.dbname, "shop");
  EXPECT_EQ(config.sslmode, PostgresSslMode::kRequire);
  EXPECT_EQ(config.connect_timeout, seconds(3));
  EXPECT_EQ(config.application_name, "sync");
}

TEST(PostgresUrl, TakesKeepalivesAndTcpUserTimeoutInLibpqUnits) {
  PostgresConfig config = postgres_from(
      "postgresql://db/shop?keepalives_idle=30&keepalives_interval=2&keepalives_count=9"
      "&tcp_user_timeout=1500");
  EXPECT_EQ(config.keepalives_idle, seconds(30));
  EXPECT_EQ(config.keepalives_interval, seconds(2));
  EXPECT_EQ(config.keepalives_count, 9);
  EXPECT_EQ(config.tcp_user_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(postgres_url_error("postgresql://db/shop?keepalives_count=0"),
            "the url's keepalives_count must be a whole number in 1..100");
}

TEST(PostgresUrl, DecodesPercentEscapesAndAllowsSpecialCharactersInThePassword) {
  PostgresConfig config = postgres_from("postgres://app:p%40ss:w@rd/x@db/shop%20db");
  EXPECT_EQ(config.user, "app");
  EXPECT_EQ(config.password, "p@ss:w@rd/x");
  EXPECT_EQ(config.host, "db");
  EXPECT_EQ(config.port, 5432);
  EXPECT_EQ(config.dbname, "shop db");
}

TEST(PostgresUrl, EmptyHostMeansTheLocalSocketAndTheQueryMayNameIt) {
  EXPECT_EQ(postgres_from("postgresql:///shop").host, "");
  PostgresConfig config = postgres_from("postgresql:///shop?host=/var/run/postgresql&port=5434");
  EXPECT_EQ(config.host, "/var/run/postgresql");
  EXPECT_EQ(config.port, 5434);
}

TEST(PostgresUrl, RejectsWhatLibpqWouldMisread) {
  EXPECT_NE(postgres_url_error("mysql://db/x").find("unsupported url scheme 'mysql'"),
            std::string::npos);
  EXPECT_NE(postgres_url_error("db.internal:5432").find("expected a url like"), std::string::npos);
  EXPECT_NE(postgres_url_error("postgresql://a,b/x").find("several hosts"), std::string::npos);
  EXPECT_NE(postgres_url_error("postgresql://db:99999/x").find("host or port"), std::string::npos);
  EXPECT_NE(postgres_url_error("postgresql://db/x?sslmode=sometimes").find("verify-full"),
            std::string::npos);
  EXPECT_NE(postgres_url_error("postgresql://db/x?connect_timeout=soon").find("connect_timeout"),
            std::string::npos);
  EXPECT_NE(postgres_url_error("postgresql://u:%zz@db/x").find("'%' escape"), std::string::npos);
}

TEST(PostgresUrl, UnknownParameterGetsASuggestion) {
  EXPECT_NE(
      postgres_url_error("postgresql://db/x?ssl_mode=require").find("did you mean 'sslmode'?"),
      std::string::npos);
}

TEST(PostgresUrl, KeepalivesAreAlwaysOnSoTheSwitchIsUnsupported) {
  EXPECT_NE(postgres_url_error("postgresql://db/x?keepalives=0")
                .find("unsupported url parameter 'keepalives'"),
            std::string::npos);
}

TEST(PostgresUrl, ErrorsNeverRepeatThePassword) {
  for (std::string_view url :
       {"postgresql://app:hunter2@db:notaport/x", "postgresql://app:hunter2@db/x?bogus=1",
        "postgresql://app:hunter2%zz@db/x", "hunter2",
        "postgresql://app:hunter2@db/x?password=%"}) {
    EXPECT_EQ(postgres_url_error(url).find("hunter2"), std::string::npos) << url;
  }
}

TEST(RedisUrl, SetsAddressCredentialsAndDatabase) {
  RedisConfig config = redis_from("redis://app:s3cret@cache:6380/2");
  EXPECT_EQ(config.addr, (HostPort{"cache", 6380}));
  EXPECT_EQ(config.username, "app");
  EXPECT_EQ(config.password, "s3cret");
  EXPECT_EQ(config.db, 2);
}

TEST(RedisUrl, UserinfoWithoutAColonIsAPassword) {
  RedisConfig config = redis_from("redis://s3cret@cache");
  EXPECT_EQ(config.username, "");
  EXPECT_EQ(config.password, "s3cret");
  EXPECT_EQ(config.addr, (HostPort{"cache", 6379}));
  EXPECT_EQ(config.db, 0);
  EXPECT_EQ(redis_from("redis://:s3cret@cache/").password, "s3cret");
}

TEST(RedisUrl, RedissTurnsTlsOn) {
  RedisConfig config = redis_from("rediss://app:pw@cache:6380/2");
  EXPECT_TRUE(config.tls.enabled);
  EXPECT_EQ(config.addr, (HostPort{"cache", 6380}));
  EXPECT_EQ(config.username, "app");
  EXPECT_EQ(config.db, 2);
  EXPECT_TRUE(redis_from("rediss://s3cret@cache").tls.enabled);  // password-only form
  EXPECT_EQ(redis_from("rediss://s3cret@cache").password, "s3cret");
  EXPECT_FALSE(redis_from("redis://cache").tls.enabled);
}

TEST(RedisUrl, RejectsQueriesAndBadDatabases) {
  EXPECT_NE(redis_url_error("rediss://cache?x=1").find("no '?' parameters"), std::string::npos);
  EXPECT_NE(redis_url_error("http://cache").find("unsupported url scheme"), std::string::npos);
  EXPECT_NE(redis_url_error("redis://cache/x").find("database"), std::string::npos);
  EXPECT_NE(redis_url_error("redis://cache/-1").find("database"), std::string::npos);
  EXPECT_NE(redis_url_error("redis://cache?timeout=1").find("no '?' parameters"),
            std::string::npos);
  EXPECT_NE(redis_url_error("redis:///0").find("missing host"), std::string::npos);
}

TEST(RedisUrl, TheRedisClientsRulesDecide) {
  // Whatever redis::parse_redis_url refuses is refused here too, in its words.
  EXPECT_NE(redis_url_error("redis://:@cache").find("password after ':' is empty"),
            std::string::npos);
  EXPECT_NE(redis_url_error("redis://cache:0").find("port"), std::string::npos);
  EXPECT_EQ(redis_from("redis://app:pw@[::1]:7000/3").addr, (HostPort{"::1", 7000}));
}

TEST(RedisUrl, ErrorsNeverRepeatThePassword) {
  for (std::string_view url :
       {"redis://:hunter2@cache:port", "redis://:hunter2@cache/db", "redis://:hunter2%g@cache",
        "rediss://:hunter2@cache:x", "redis://:hunter2@cache?x=1", "redis://:hun?ter2@cache:x"}) {
    EXPECT_EQ(redis_url_error(url).find("hunter2"), std::string::npos) << url;
  }
}

}  // namespace
}  // namespace courier::config
