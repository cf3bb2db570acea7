// UTF-8 validation: what may go into JSON as a string as it is.
#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace courier::text {
namespace {

TEST(IsValidUtf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6"));  // é € 📦
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));
}

TEST(IsValidUtf8, RefusesMalformedSequences) {
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // cut short
  EXPECT_FALSE(is_valid_utf8("\xc3\x28"));          // bad continuation
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST(IsValidUtf8, AcceptsTheLargestCodePointOfEachLength) {
  EXPECT_TRUE(
      is_valid_utf8("\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf"));  // U+7F U+7FF U+FFFF U+10FFFF
}

TEST(IsValidUtf8, RefusesACutSequenceAtTheEnd) {
  EXPECT_FALSE(is_valid_utf8("ok \xe2\x82"));   // € without its last byte
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));  // overlong '/' in three bytes
  EXPECT_FALSE(is_valid_utf8("\x80"));          // a continuation byte alone
}

}  // namespace
}  // namespace courier::text
