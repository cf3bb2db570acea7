// Hex digits and hex text to bytes.
#include "text/hex.h"

#include <gtest/gtest.h>

namespace courier::text {
namespace {

TEST(Hex, DigitValues) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('9'), 9);
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value('%'), -1);
}

TEST(Hex, DecodesPairsIntoBytes) {
  EXPECT_EQ(decode_hex(""), "");
  EXPECT_EQ(decode_hex("4869"), "Hi");
  EXPECT_EQ(decode_hex("00fFaB"), std::string("\x00\xff\xab", 3));
  EXPECT_EQ(decode_hex("486"), std::nullopt);
  EXPECT_EQ(decode_hex("4g"), std::nullopt);
}

}  // namespace
}  // namespace courier::text
