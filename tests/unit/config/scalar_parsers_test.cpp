#include "config/scalar_parsers.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseByteSize, ReadsPostgresUnitsInAnyCaseAsPowersOf1024) {
  EXPECT_EQ(parse_byte_size("4096"), 4096);
  EXPECT_EQ(parse_byte_size("100B"), 100);
  EXPECT_EQ(parse_byte_size("64kB"), 64 * 1024);
  EXPECT_EQ(parse_byte_size("512mb"), std::int64_t{512} << 20);
  EXPECT_EQ(parse_byte_size("1GB"), std::int64_t{1} << 30);
  EXPECT_EQ(parse_byte_size("2TB"), std::int64_t{2} << 40);
}

TEST(ParseByteSize, RefusesWhatIsNotASize) {
  for (const char* text : {"", "GB", "1.5GB", "-1", "1 GB", "1GiB", "10000000000TB", "1G"}) {
    EXPECT_FALSE(parse_byte_size(text).has_value()) << text;
  }
}

TEST(ParseDuration, ReadsEachUnit) {
  EXPECT_EQ(parse_duration("100ms"), milliseconds(100));
  EXPECT_EQ(parse_duration("5s"), milliseconds(5'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
}

TEST(ParseDuration, ReadsCombinations) {
  EXPECT_EQ(parse_duration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("1h2m3s4ms"), milliseconds(3'723'004));
  EXPECT_EQ(parse_duration("1s500ms"), milliseconds(1'500));
}

TEST(ParseDuration, APlainNumberIsMilliseconds) {
  EXPECT_EQ(parse_duration("1500"), milliseconds(1'500));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (std::string_view bad : {"", "abc", "1.5s", "-5s", "5 s", "s", "5x", "5sms", "1m30", "ms",
                               " 5s", "99999999999999999999ms"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseDuration, RejectsAbsurdlyLargeValuesInsteadOfOverflowing) {
  EXPECT_EQ(parse_duration("9999999999999999h"), std::nullopt);
  EXPECT_EQ(parse_duration("999999999999999999"), std::nullopt);
}

TEST(FormatDuration, WritesTheShortestForm) {
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(3'723'004)), "1h2m3s4ms");
}

TEST(FormatDuration, RoundTripsThroughParseDuration) {
  for (long ms : {1L, 999L, 1'000L, 61'001L, 86'400'000L}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms));
  }
}

TEST(ParseInteger, ReadsDecimalWithOptionalSign) {
  EXPECT_EQ(parse_integer("5432"), 5432);
  EXPECT_EQ(parse_integer("-7"), -7);
  EXPECT_EQ(parse_integer("+3"), 3);
  EXPECT_EQ(parse_integer("0"), 0);
}

TEST(ParseInteger, RejectsEverythingElse) {
  for (std::string_view bad :
       {"", "abc", "12a", "0x10", "1.0", " 1", "-", "+", "1e3", "99999999999999999999"}) {
    EXPECT_EQ(parse_integer(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseBoolean, ReadsTheYamlSpellingsInAnyCase) {
  for (std::string_view yes : {"true", "True", "TRUE", "yes", "on"}) {
    EXPECT_EQ(parse_boolean(yes), true) << yes;
  }
  for (std::string_view no : {"false", "False", "no", "off", "OFF"}) {
    EXPECT_EQ(parse_boolean(no), false) << no;
  }
  for (std::string_view bad : {"", "1", "0", "maybe", "y"}) {
    EXPECT_EQ(parse_boolean(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace courier::config
