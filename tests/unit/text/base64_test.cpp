// Base64 encoding against RFC 4648's vectors.
#include "text/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace courier::text {
namespace {

TEST(Base64Encode, MatchesTheRfc4648TestVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(Base64Encode, EveryCharacterOfTheAlphabet) {
  std::string bytes;
  for (int i = 0; i < 64; i += 4) {
    // Four 6-bit values i, i+1, i+2, i+3 packed into three bytes.
    bytes.push_back(static_cast<char>(i << 2 | (i + 1) >> 4));
    bytes.push_back(static_cast<char>(((i + 1) & 0xf) << 4 | (i + 2) >> 2));
    bytes.push_back(static_cast<char>(((i + 2) & 0x3) << 6 | (i + 3)));
  }
  EXPECT_EQ(base64_encode(bytes),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

}  // namespace
}  // namespace courier::text
