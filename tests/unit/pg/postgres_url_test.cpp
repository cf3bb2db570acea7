#include "pg/postgres_url.h"

#include <gtest/gtest.h>

namespace courier::pg {
namespace {

using namespace std::chrono_literals;
using Parameters = std::vector<std::pair<std::string, std::string>>;

PostgresUrl parse_ok(std::string_view url) {
  Result<PostgresUrl> parsed = parse_postgres_url(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().to_string();
  return parsed.ok() ? *parsed : PostgresUrl{};
}

std::string parse_error(std::string_view url) {
  Result<PostgresUrl> parsed = parse_postgres_url(url);
  EXPECT_FALSE(parsed.ok()) << url << " parsed, but should not";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(ParsePostgresUrl, SettingsTheUrlLeavesOutAreAbsent) {
  PostgresUrl url = parse_ok("postgresql://app@db/shop");
  EXPECT_EQ(url.host, "db");
  EXPECT_EQ(url.port, kDefaultPostgresPort);
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.dbname, "shop");
  EXPECT_FALSE(url.sslmode);
  EXPECT_FALSE(url.connect_timeout);
  EXPECT_FALSE(url.application_name);
  EXPECT_FALSE(url.keepalives);
  EXPECT_FALSE(url.keepalives_idle);
  EXPECT_FALSE(url.keepalives_count);
  EXPECT_FALSE(url.tcp_user_timeout);
  EXPECT_TRUE(url.other_parameters.empty());
}

TEST(ParsePostgresUrl, ReadsEveryQuerySettingInLibpqUnits) {
  PostgresUrl url = parse_ok(
      "postgresql://db/shop?sslmode=Verify-Full&connect_timeout=%2B3&application_name=a%26b"
      "&keepalives=0&keepalives_idle=30&keepalives_interval=2&keepalives_count=9"
      "&tcp_user_timeout=1500");
  EXPECT_EQ(url.sslmode, "verify-full");  // any case, kept in libpq's spelling
  EXPECT_EQ(url.connect_timeout, 3s);
  EXPECT_EQ(url.application_name, "a&b");
  EXPECT_EQ(url.keepalives, false);
  EXPECT_EQ(url.keepalives_idle, 30s);
  EXPECT_EQ(url.keepalives_interval, 2s);
  EXPECT_EQ(url.keepalives_count, 9);
  EXPECT_EQ(url.tcp_user_timeout, 1500ms);
}

TEST(ParsePostgresUrl, ReadsTheTlsFilesAsDecodedPaths) {
  PostgresUrl url = parse_ok(
      "postgresql://db/shop?sslmode=verify-full&sslrootcert=%2Fetc%2Fpg%20ca.pem"
      "&sslcert=/etc/client.crt&sslkey=/etc/client.key&sslpassword=p%26w");
  EXPECT_EQ(url.sslrootcert, "/etc/pg ca.pem");
  EXPECT_EQ(url.sslcert, "/etc/client.crt");
  EXPECT_EQ(url.sslkey, "/etc/client.key");
  EXPECT_EQ(url.sslpassword, "p&w");
  EXPECT_TRUE(url.other_parameters.empty()) << "fields, not pass-through parameters";
  EXPECT_TRUE(parse_ok("postgresql://db/shop").sslrootcert.empty());
  EXPECT_NE(parse_error("postgresql://db/x?sslrootcert=%00").find("sslrootcert"),
            std::string::npos);
}

TEST(ParsePostgresUrl, EmptyHostIsLibpqsDefaultAndPortsMayStillBeGiven) {
  EXPECT_EQ(parse_ok("postgresql:///shop").host, "");
  PostgresUrl url = parse_ok("postgresql://:6000/shop");
  EXPECT_EQ(url.host, "");
  EXPECT_EQ(url.port, 6000);
  EXPECT_EQ(parse_ok("postgresql://db:/shop").port, kDefaultPostgresPort);  // as in libpq
  EXPECT_EQ(parse_ok("postgresql://%2Fvar%2Frun%2Fpostgresql/shop").host, "/var/run/postgresql");
}

TEST(ParsePostgresUrl, TheQueryOverridesTheAuthorityAndKeepsOtherKeysInOrder) {
  PostgresUrl url = parse_ok(
      "postgresql://u:p@db:5433/shop?target_session_attrs=any&host=/tmp&port=5434&user=v"
      "&password=q&dbname=orders&options=-c%20x%3D1");
  EXPECT_EQ(url.host, "/tmp");
  EXPECT_EQ(url.port, 5434);
  EXPECT_EQ(url.user, "v");
  EXPECT_EQ(url.password, "q");
  EXPECT_EQ(url.dbname, "orders");
  EXPECT_EQ(url.other_parameters,
            (Parameters{{"target_session_attrs", "any"}, {"options", "-c x=1"}}));
}

TEST(ParsePostgresUrl, RangesAreTheSameForEveryReader) {
  EXPECT_EQ(parse_error("postgresql://db/x?connect_timeout=0"),
            "the url's connect_timeout must be whole seconds in 1..86400");
  EXPECT_EQ(parse_error("postgresql://db/x?connect_timeout=86401"),
            "the url's connect_timeout must be whole seconds in 1..86400");
  EXPECT_EQ(parse_error("postgresql://db/x?keepalives_count=101"),
            "the url's keepalives_count must be a whole number in 1..100");
  EXPECT_EQ(parse_error("postgresql://db/x?keepalives_idle=0"),
            "the url's keepalives_idle must be a whole number in 1..86400");
  EXPECT_EQ(parse_error("postgresql://db/x?tcp_user_timeout=-5"),
            "the url's tcp_user_timeout must be a whole number in 1..86400000");
  EXPECT_EQ(parse_error("postgresql://db/x?keepalives=yes"), "the url's keepalives must be 0 or 1");
  EXPECT_EQ(parse_error("postgresql://db/x?port=0"),
            "the url's port parameter must be an integer in 1..65535");
}

TEST(ParsePostgresUrl, RefusesWhatWouldBeMisread) {
  EXPECT_NE(parse_error("postgresql://a,b/x").find("several hosts"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://db/x?application_name=a#b").find("%23"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://db/x%00y").find("database name contains a NUL"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql://db/x?sslkey=a%00b").find("NUL"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://::1/x").find("host or port"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://db/x?sslmode=on").find("verify-full"), std::string::npos);
}

TEST(ParsePostgresUrl, ErrorsNeverQuoteTheUrl) {
  for (std::string_view url :
       {"postgresql://app:hunter2@db:notaport/x", "postgresql://app:hunter2%zz@db/x", "hunter2",
        "postgresql://app:hunter2@db/x?password=%", "postgresql://app:hun#ter2@db/x",
        "postgresql://app:hunter2@db/x%00", "postgresql://app:hunter2",
        "postgresql://app@db/x?password=hunter2&port=x"}) {
    EXPECT_EQ(parse_error(url).find("hunter2"), std::string::npos) << url;
  }
}

}  // namespace
}  // namespace courier::pg
