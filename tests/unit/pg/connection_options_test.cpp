#include "pg/connection_options.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>

namespace courier::pg {
namespace {

using namespace std::chrono_literals;

ConnectionOptions parse_ok(std::string_view url) {
  auto options = ConnectionOptions::from_url(url);
  EXPECT_TRUE(options.ok()) << url << ": " << options.status().to_string();
  return options.ok() ? *options : ConnectionOptions{};
}

Status parse_error(std::string_view url) {
  auto options = ConnectionOptions::from_url(url);
  EXPECT_FALSE(options.ok()) << url << " parsed, but should not";
  return options.status();
}

// What libpq itself reads from a conninfo string: keyword -> value.
std::map<std::string, std::string> libpq_reading(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
      PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  if (error != nullptr) {
    ADD_FAILURE() << "libpq rejected the conninfo: " << error;
    PQfreemem(error);
  }
  std::map<std::string, std::string> values;
  for (PQconninfoOption* option = parsed.get(); option && option->keyword; ++option) {
    if (option->val != nullptr) values[option->keyword] = option->val;
  }
  return values;
}

TEST(PgConnectionOptions, DefaultsConnectTimeoutAndApplicationName) {
  ConnectionOptions options;
  EXPECT_EQ(options.connect_timeout, 10s);
  EXPECT_EQ(options.application_name, "courier");
  EXPECT_EQ(options.port, 5432);
  EXPECT_TRUE(options.validate().ok());
}

TEST(PgConnectionOptions, ParsesEveryPartOfAUrl) {
  ConnectionOptions options = parse_ok(
      "postgresql://alice:s3cret@db.example.com:6543/shop?sslmode=require&connect_timeout=5"
      "&application_name=sync");
  EXPECT_EQ(options.user, "alice");
  EXPECT_EQ(options.password, "s3cret");
  EXPECT_EQ(options.host, "db.example.com");
  EXPECT_EQ(options.port, 6543);
  EXPECT_EQ(options.dbname, "shop");
  EXPECT_EQ(options.sslmode, "require");
  EXPECT_EQ(options.connect_timeout, 5s);
  EXPECT_EQ(options.application_name, "sync");
}

TEST(PgConnectionOptions, AcceptsThePostgresScheme) {
  ConnectionOptions options = parse_ok("postgres://bob@127.0.0.1/orders");
  EXPECT_EQ(options.user, "bob");
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.dbname, "orders");
}

TEST(PgConnectionOptions, PortDefaultsTo5432) {
  EXPECT_EQ(parse_ok("postgresql://u@host/db").port, 5432);
}

TEST(PgConnectionOptions, MissingPartsKeepTheirDefaults) {
  ConnectionOptions options = parse_ok("postgresql://");
  // Was "localhost": the configuration file's reading (and libpq's) won when the two url
  // readers became one. An empty host is libpq's default, the local Unix socket.
  EXPECT_EQ(options.host, "");
  EXPECT_EQ(options.port, 5432);
  EXPECT_EQ(options.user, "");
  EXPECT_EQ(options.password, "");
  EXPECT_EQ(options.dbname, "");
  EXPECT_EQ(options.sslmode, "prefer");
  EXPECT_EQ(options.connect_timeout, 10s);
}

TEST(PgConnectionOptions, DecodesPercentEncodedParts) {
  ConnectionOptions options =
      parse_ok("postgresql://us%65r:p%40ss%3Aw%2Fo%25rd%20x@h/my%20db?application_name=a%26b");
  EXPECT_EQ(options.user, "user");
  EXPECT_EQ(options.password, "p@ss:w/o%rd x");
  EXPECT_EQ(options.dbname, "my db");
  EXPECT_EQ(options.application_name, "a&b");
}

TEST(PgConnectionOptions, LastAtSignEndsTheUserInfo) {
  EXPECT_EQ(parse_ok("postgresql://u:p@ss@h/db").password, "p@ss");
  // Was refused (as libpq would read the '/' as the path's start): the configuration
  // file's reading won when the two url readers became one. The url never reaches libpq.
  EXPECT_EQ(parse_ok("postgresql://u:pa/ss@h/db").password, "pa/ss");
}

TEST(PgConnectionOptions, ParsesBracketedIpv6Host) {
  ConnectionOptions options = parse_ok("postgresql://u@[::1]:6000/db");
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 6000);
}

TEST(PgConnectionOptions, QueryParametersOverrideAndPassThrough) {
  ConnectionOptions options = parse_ok(
      "postgresql://h/db?user=carol&password=pw&port=7000&target_session_attrs=read-write");
  EXPECT_EQ(options.user, "carol");
  EXPECT_EQ(options.password, "pw");
  EXPECT_EQ(options.port, 7000);
  ASSERT_EQ(options.extra_parameters.size(), 1u);
  EXPECT_EQ(options.extra_parameters[0].first, "target_session_attrs");
  EXPECT_EQ(options.extra_parameters[0].second, "read-write");
}

TEST(PgConnectionOptions, RejectsMalformedUrlsWithAClearReason) {
  EXPECT_NE(parse_error("mysql://u@h/db").message().find("postgresql://"), std::string::npos);
  // Was "port is not a number": the configuration file's message won when the two url
  // readers became one (it does not say which of host and port is wrong on purpose: a badly
  // encoded password may have spilled into either).
  EXPECT_NE(parse_error("postgresql://h:abc/db").message().find("host or port"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h:0/db").message().find("port"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h:70000/db").message().find("port"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/d%zzb").message().find("database name"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/db?sslmode=sometimes").message().find("sslmode"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/db?sslmode").message().find("key=value"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/db?connect_timeout=-1").message().find("connect_timeout"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql://h1,h2/db").message().find("several hosts"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/d%00b").message().find("NUL"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://[::1/db").message().find("]"), std::string::npos);
}

TEST(PgConnectionOptions, MalformedUrlErrorsAreInvalidArgument) {
  EXPECT_EQ(parse_error("postgresql://h:x/db").code(), StatusCode::kInvalidArgument);
}

// Was MalformedUrlErrorQuotesTheUrlWithPasswordMasked: the url is no longer quoted at all,
// as in the configuration file's errors. Masking could not catch every misplaced password
// (text without a scheme, such as a bare password, was quoted whole).
TEST(PgConnectionOptions, MalformedUrlErrorsDoNotQuoteTheUrl) {
  EXPECT_EQ(parse_error("postgresql://u:pw@h:x/db").message().find("postgresql://u"),
            std::string::npos);
  EXPECT_EQ(parse_error("Zebra-Secret-77").message().find("Zebra"), std::string::npos);
}

TEST(PgConnectionOptions, ErrorsNeverContainThePassword) {
  const std::string secret = "Zebra-Secret-77";
  for (const std::string& url : {
           "postgresql://u:" + secret + "@h:notaport/db",
           "postgresql://u:" + secret + "%zz@h/db",
           "postgresql://u:" + secret,
           "postgresql://u:pa?" + secret + "@h/db",
           "postgresql://u:pa#" + secret + "@h/db",
           "postgresql://u:" + secret + "/db?sslmode=bogus",
           "postgresql://u@h/db?password=" + secret + "&sslmode=bogus",
           "postgresql://u@h/db?sslpassword=" + secret + "&port=x",
       }) {
    Status status = parse_error(url);
    EXPECT_EQ(status.message().find(secret), std::string::npos) << status.message();
    EXPECT_EQ(status.to_string().find(secret), std::string::npos);
  }
}

TEST(PgConnectionOptions, DescribeNeverContainsThePassword) {
  ConnectionOptions options =
      parse_ok("postgresql://alice:Zebra-Secret-77@db:5433/shop?sslpassword=Other-Secret-88");
  std::string described = options.describe();
  EXPECT_EQ(described.find("Zebra-Secret-77"), std::string::npos) << described;
  EXPECT_EQ(described.find("Other-Secret-88"), std::string::npos) << described;
  EXPECT_NE(described.find("alice:***@db:5433/shop"), std::string::npos) << described;
}

TEST(PgConnectionOptions, DescribeShowsWhereItConnects) {
  ConnectionOptions options;
  options.host = "127.0.0.1";
  options.port = 6000;
  options.user = "app";
  options.dbname = "orders";
  EXPECT_EQ(options.describe(),
            "postgresql://app@127.0.0.1:6000/orders?sslmode=prefer&connect_timeout=10"
            "&application_name=courier");
}

TEST(PgConnectionOptions, ConninfoQuotesValuesSoLibpqReadsThemBack) {
  ConnectionOptions options;
  options.host = "db host";
  options.user = "o'brien";
  options.password = R"(it's a \ 'secret' = x)";
  options.dbname = "shop db";
  options.extra_parameters = {{"target_session_attrs", "read-write"}};
  std::map<std::string, std::string> read = libpq_reading(options.conninfo());
  EXPECT_EQ(read["host"], "db host");
  EXPECT_EQ(read["user"], "o'brien");
  EXPECT_EQ(read["password"], options.password);
  EXPECT_EQ(read["dbname"], "shop db");
  EXPECT_EQ(read["port"], "5432");
  EXPECT_EQ(read["sslmode"], "prefer");
  EXPECT_EQ(read["connect_timeout"], "10");
  EXPECT_EQ(read["application_name"], "courier");
  EXPECT_EQ(read["target_session_attrs"], "read-write");
}

TEST(PgConnectionOptions, TlsFilesReachLibpqAndOnlyThePassphraseIsMasked) {
  ConnectionOptions options = parse_ok(
      "postgresql://app@db/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem"
      "&sslcert=/etc/client.crt&sslkey=/etc/client.key&sslpassword=key-secret");
  std::map<std::string, std::string> read = libpq_reading(options.conninfo());
  EXPECT_EQ(read["sslrootcert"], "/etc/ca.pem");
  EXPECT_EQ(read["sslcert"], "/etc/client.crt");
  EXPECT_EQ(read["sslkey"], "/etc/client.key");
  EXPECT_EQ(read["sslpassword"], "key-secret");
  EXPECT_EQ(options.describe(),
            "postgresql://app@db:5432/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem"
            "&sslcert=/etc/client.crt&sslkey=/etc/client.key&sslpassword=***"
            "&connect_timeout=10&application_name=courier");
  EXPECT_EQ(libpq_reading(ConnectionOptions{}.conninfo()).count("sslrootcert"), 0u)
      << "unset: libpq's own default";
}

TEST(PgConnectionOptions, AnEmptyHostLeavesTheChoiceToLibpq) {
  ConnectionOptions options = parse_ok("postgresql:///shop");
  EXPECT_TRUE(options.validate().ok());
  std::map<std::string, std::string> read = libpq_reading(options.conninfo());
  EXPECT_EQ(read.count("host"), 0u) << "libpq then takes PGHOST or its Unix socket";
  EXPECT_EQ(read["dbname"], "shop");
}

TEST(PgConnectionOptions, ConninfoDetectsADeadPeerByDefault) {
  std::map<std::string, std::string> read = libpq_reading(ConnectionOptions{}.conninfo());
  EXPECT_EQ(read["keepalives"], "1");
  EXPECT_EQ(read["keepalives_idle"], "10");
  EXPECT_EQ(read["keepalives_interval"], "5");
  EXPECT_EQ(read["keepalives_count"], "3");
  EXPECT_EQ(read["tcp_user_timeout"], "20000");
  EXPECT_EQ(read.count("options"), 0u) << "no statement_timeout unless one is asked for";
}

TEST(PgConnectionOptions, ConninfoSendsTheStatementTimeoutBeforeTheCallersOptions) {
  ConnectionOptions options;
  options.statement_timeout = 60s;
  options.extra_parameters = {{"options", "-c search_path=app"}};
  std::map<std::string, std::string> read = libpq_reading(options.conninfo());
  EXPECT_EQ(read["options"], "-c statement_timeout=60000 -c search_path=app")
      << "libpq keeps one `options`: both settings must be in it";
}

TEST(PgConnectionOptions, UrlOverridesKeepalivesAndTcpUserTimeoutInLibpqUnits) {
  ConnectionOptions options = parse_ok(
      "postgresql://h/db?keepalives_idle=30&keepalives_interval=2&keepalives_count=9"
      "&tcp_user_timeout=1500");
  EXPECT_EQ(options.keepalives_idle, 30s);
  EXPECT_EQ(options.keepalives_interval, 2s);
  EXPECT_EQ(options.keepalives_count, 9);
  EXPECT_EQ(options.tcp_user_timeout, 1500ms);
  EXPECT_TRUE(options.extra_parameters.empty()) << "fields, not repeated pass-through keywords";
  EXPECT_FALSE(parse_ok("postgresql://h/db?keepalives=0").keepalives);
  std::map<std::string, std::string> read =
      libpq_reading(parse_ok("postgresql://h/db?keepalives=0").conninfo());
  EXPECT_EQ(read["keepalives"], "0");
  EXPECT_EQ(read.count("keepalives_idle"), 0u);
  // Was "tcp_user_timeout 'soon' is not a whole number of milliseconds": the configuration
  // file's message (and range) won when the two url readers became one.
  EXPECT_EQ(parse_error("postgresql://h/db?tcp_user_timeout=soon").message(),
            "the url's tcp_user_timeout must be a whole number in 1..86400000");
}

TEST(PgConnectionOptions, ValidateRejectsNegativeTimeouts) {
  ConnectionOptions options;
  options.statement_timeout = -1ms;
  EXPECT_EQ(options.validate().code(), StatusCode::kInvalidArgument);
}

TEST(PgConnectionOptions, ValidateRejectsExtraParametersThatShadowFields) {
  ConnectionOptions options;
  options.extra_parameters = {{"password", "x"}};
  EXPECT_EQ(options.validate().code(), StatusCode::kInvalidArgument);
  options.extra_parameters = {{"bad key", "x"}};
  EXPECT_EQ(options.validate().code(), StatusCode::kInvalidArgument);
}

TEST(PgConnectionOptions, ValidateRejectsNulBytes) {
  ConnectionOptions options;
  options.password = std::string("a\0b", 3);
  EXPECT_EQ(options.validate().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace courier::pg
