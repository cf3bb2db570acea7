// parse_integer: whole-text decimals, each caller's sign rule and range.
#include "text/integer.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace courier::text {
namespace {

TEST(ParseInteger, ReadsTheWholeText) {
  EXPECT_EQ(parse_integer("42"), 42);
  EXPECT_EQ(parse_integer("-7"), -7);
  EXPECT_EQ(parse_integer("-9223372036854775808"), INT64_MIN);
  for (const char* bad : {"", "-", "+", " 1", "1 ", "0x10", "1e3", "1.0", "12a", "--1"})
    EXPECT_EQ(parse_integer(bad), std::nullopt) << bad;
}

TEST(ParseInteger, SignsAreTheCallersChoice) {
  EXPECT_EQ(parse_integer("+3"), std::nullopt);  // kMinus by default, like from_chars
  EXPECT_EQ(parse_integer("+3", {.signs = Signs::kPlusMinus}), 3);
  EXPECT_EQ(parse_integer("-3", {.signs = Signs::kPlusMinus}), -3);
  EXPECT_EQ(parse_integer("+-3", {.signs = Signs::kPlusMinus}), std::nullopt);
  EXPECT_EQ(parse_integer("-3", {.signs = Signs::kNone}), std::nullopt);
  EXPECT_EQ(parse_integer("3", {.signs = Signs::kNone}), 3);
}

TEST(ParseInteger, RangeAndTypeLimitsRefuse) {
  EXPECT_EQ(parse_integer<int>("2147483647"), 2147483647);
  EXPECT_EQ(parse_integer<int>("2147483648"), std::nullopt);
  EXPECT_EQ(parse_integer("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_integer<int>("-1", {.min = 0}), std::nullopt);
  EXPECT_EQ(parse_integer<int>("16384", {.min = 0, .max = 16383}), std::nullopt);
  EXPECT_EQ(parse_integer<int>("16383", {.min = 0, .max = 16383}), 16383);
  EXPECT_EQ(parse_integer<std::size_t>("-1"), std::nullopt);
  EXPECT_EQ(parse_integer<std::size_t>("18446744073709551615"), SIZE_MAX);
}

}  // namespace
}  // namespace courier::text
