#include "net/url.h"

#include <gtest/gtest.h>

namespace courier::net {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

Url parse_ok(std::string_view text) {
  Result<Url> url = parse_url(text, {"postgresql", "redis"});
  EXPECT_TRUE(url.ok()) << text << ": " << url.status().to_string();
  return url.ok() ? *url : Url{};
}

std::string parse_error(std::string_view text) {
  Result<Url> url = parse_url(text, {"postgresql", "redis"});
  EXPECT_FALSE(url.ok()) << text << " parsed, but should not";
  EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument);
  return url.status().message();
}

// ---- percent_decode ----------------------------------------------------------------------

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(percent_decode("p%40ss%3aw%2Fo%25rd%20x").value(), "p@ss:w/o%rd x");
  EXPECT_EQ(percent_decode("plain").value(), "plain");
  EXPECT_EQ(percent_decode("").value(), "");
}

TEST(PercentDecode, RejectsIncompleteEscapesNamingThePartButNotTheText) {
  for (std::string_view bad : {"secret%", "secret%4", "secret%zz", "secret%4g"}) {
    Result<std::string> decoded = percent_decode(bad, "the password");
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_NE(decoded.status().message().find("'%' escape in the password"), std::string::npos);
    EXPECT_EQ(decoded.status().message().find("secret"), std::string::npos);
  }
}

// ---- host and port -----------------------------------------------------------------------

TEST(SplitHostPort, CutsHostAndPortWithoutCheckingThem) {
  Result<HostPortText> parts = split_host_port("db:5432");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->host, "db");
  EXPECT_EQ(parts->port, "5432");
  EXPECT_EQ(split_host_port("db")->port, std::nullopt);
  EXPECT_EQ(split_host_port("db:")->port, "");
  EXPECT_EQ(split_host_port(":x")->host, "");
}

TEST(SplitHostPort, ReadsBracketedIpv6) {
  EXPECT_EQ(split_host_port("[::1]:7000")->host, "::1");
  EXPECT_EQ(split_host_port("[::1]:7000")->port, "7000");
  EXPECT_EQ(split_host_port("[::1]")->port, std::nullopt);
}

TEST(SplitHostPort, RejectsBadBracketsAndBareIpv6) {
  EXPECT_NE(split_host_port("[::1").status().message().find("missing ']'"), std::string::npos);
  EXPECT_NE(split_host_port("[::1]x").status().message().find("after ']'"), std::string::npos);
  EXPECT_NE(split_host_port("::1").status().message().find("without brackets"), std::string::npos);
}

TEST(ParsePort, AcceptsDigitsInRangeOnly) {
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("65535"), 65535);
  EXPECT_EQ(parse_port("0", 0), 0);
  for (std::string_view bad : {"", "0", "65536", "99999999999", "+80", "-1", "80x", " 80"}) {
    EXPECT_EQ(parse_port(bad), std::nullopt) << bad;
  }
}

TEST(ParseHostPort, UsesTheDefaultPortOnlyWhenNoneIsWritten) {
  EXPECT_EQ(parse_host_port("cache", 6379).value(), (HostPort{"cache", 6379}));
  EXPECT_EQ(parse_host_port("cache:6380", 6379).value(), (HostPort{"cache", 6380}));
  EXPECT_EQ(parse_host_port("[::1]", 6379).value(), (HostPort{"::1", 6379}));
  EXPECT_EQ(parse_host_port("[::1]:0", std::nullopt, 0).value(), (HostPort{"::1", 0}));
  EXPECT_EQ(parse_host_port("cache", std::nullopt).status().message(),
            "missing port in 'cache'; expected 'host:port'");
}

TEST(ParseHostPort, MessagesQuoteTheTextAndSayWhatIsExpected) {
  EXPECT_EQ(parse_host_port("b:x", 6379).status().message(),
            "invalid port in 'b:x'; expected an integer in 1..65535");
  EXPECT_EQ(parse_host_port("b:", 6379, 0).status().message(),
            "invalid port in 'b:'; expected an integer in 0..65535");
  for (std::string_view bad : {":6379", "", "[]:1", "[::1", "[::1]x", "::1", "h:0"}) {
    Result<HostPort> endpoint = parse_host_port(bad, 6379);
    ASSERT_FALSE(endpoint.ok()) << bad;
    EXPECT_NE(endpoint.status().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << endpoint.status().message();
  }
}

TEST(FormatHostPort, BracketsIpv6Hosts) {
  EXPECT_EQ(format_host_port("db", 5432), "db:5432");
  EXPECT_EQ(format_host_port("::1", 6379), "[::1]:6379");
}

// ---- urls --------------------------------------------------------------------------------

TEST(ParseUrl, SplitsEveryPart) {
  Url url = parse_ok("postgresql://al%69ce:s3cret@db:5433/shop%20db?sslmode=require&a%26b=c%3Dd");
  EXPECT_EQ(url.scheme, "postgresql");
  EXPECT_EQ(url.username, "alice");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_TRUE(url.has_password);
  EXPECT_EQ(url.hosts, "db:5433");
  EXPECT_EQ(url.path, "shop%20db");  // its meaning, and so its decoding, is the scheme's
  EXPECT_EQ(url.query, (Query{{"sslmode", "require"}, {"a&b", "c=d"}}));
}

TEST(ParseUrl, MissingPartsAreEmpty) {
  Url url = parse_ok("redis://");
  EXPECT_EQ(url.scheme, "redis");
  EXPECT_EQ(url.username, "");
  EXPECT_FALSE(url.has_password);
  EXPECT_EQ(url.hosts, "");
  EXPECT_EQ(url.path, "");
  EXPECT_TRUE(url.query.empty());
  EXPECT_EQ(parse_ok("postgresql:///db").path, "db");
  EXPECT_EQ(parse_ok("redis://h/").path, "");
}

TEST(ParseUrl, TellsAnEmptyPasswordFromNone) {
  EXPECT_FALSE(parse_ok("redis://word@h").has_password);
  EXPECT_EQ(parse_ok("redis://word@h").username, "word");
  EXPECT_TRUE(parse_ok("redis://u:@h").has_password);
  Url password_only = parse_ok("redis://:pw@h");
  EXPECT_EQ(password_only.username, "");
  EXPECT_EQ(password_only.password, "pw");
}

TEST(ParseUrl, TheLastAtSignBeforeTheQueryEndsTheUserInfo) {
  Url url = parse_ok("postgresql://u:p@ss:w/rd@db/x?application_name=me@home");
  EXPECT_EQ(url.password, "p@ss:w/rd");
  EXPECT_EQ(url.hosts, "db");
  EXPECT_EQ(url.path, "x");
  EXPECT_EQ(url.query, (Query{{"application_name", "me@home"}}));
}

TEST(ParseUrl, KeepsHostsAsWritten) {
  EXPECT_EQ(parse_ok("postgresql://a:1,[::1]:2/db").hosts, "a:1,[::1]:2");
  EXPECT_EQ(parse_ok("postgresql://%2Ftmp/db").hosts, "%2Ftmp");
}

TEST(ParseUrl, SkipsEmptyQueryParametersAndKeepsTheOrder) {
  EXPECT_EQ(parse_ok("redis://h?b=2&&a=1&").query, (Query{{"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(parse_ok("redis://h?a=").query, (Query{{"a", ""}}));
}

TEST(ParseUrl, SchemesAreCaseInsensitiveAndChecked) {
  EXPECT_EQ(parse_ok("PostgreSQL://h").scheme, "postgresql");
  EXPECT_EQ(parse_error("mysql://h/db"),
            "unsupported url scheme 'mysql'; expected a url like postgresql://… or redis://…");
  EXPECT_EQ(parse_error("db:5432"), "expected a url like postgresql://… or redis://…");
  EXPECT_EQ(parse_error("://h"), "expected a url like postgresql://… or redis://…");
}

TEST(ParseUrl, RejectsMalformedPartsSayingWhich) {
  EXPECT_NE(parse_error("redis://u%zz:p@h").find("in the user name"), std::string::npos);
  EXPECT_NE(parse_error("redis://u:p%zz@h").find("in the password"), std::string::npos);
  EXPECT_NE(parse_error("redis://h?a=1&sslmode")
                .find("query parameter 2 must have the form "
                      "key=value"),
            std::string::npos);
  EXPECT_NE(parse_error("redis://h?=1").find("key=value"), std::string::npos);
  EXPECT_NE(parse_error("redis://h?k%zz=1").find("the name of query parameter 1"),
            std::string::npos);
  EXPECT_NE(parse_error("redis://h?k=%zz").find("the value of query parameter 1"),
            std::string::npos);
}

TEST(ParseUrl, ErrorsNeverContainThePassword) {
  const std::string secret = "Zebra-Secret-77";
  for (const std::string& text : {
           "redis://u:" + secret + "%zz@h",
           "redis://" + secret + "%@h",
           "redis://u:pa?" + secret + "@h",
           "redis://u:pa?" + secret + "=%zz@h",
           "redis://u:pa?" + secret + "%zz=1@h",
           "http://u:" + secret + "@h",
           "u:" + secret + "@h://x",
       }) {
    std::string message = parse_error(text);
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace courier::net
