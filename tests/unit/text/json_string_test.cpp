// JSON string literals in both control-character styles.
#include "text/json_string.h"

#include <gtest/gtest.h>

namespace courier::text {
namespace {

TEST(JsonString, QuotesAndEscapes) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("say \"hi\" \\"), R"("say \"hi\" \\")");
  EXPECT_EQ(json_string("Grüße/\x7f"), "\"Grüße/\x7f\"");  // UTF-8, '/' and DEL kept
}

TEST(JsonString, ShortFormsWhereJsonHasThem) {
  EXPECT_EQ(json_string(std::string("\b\f\n\r\t\x01\0", 7)),
            R"("\b\f\n\r\t\u0001\u0000")");
}

TEST(JsonString, UnicodeEscapesForEveryControlCharacter) {
  EXPECT_EQ(json_string("a\nb\x1f", ControlEscapes::kUnicode), R"("a\u000ab\u001f")");
  std::string out = "[";
  append_json_string(out, "\t", ControlEscapes::kUnicode);
  EXPECT_EQ(out, R"(["\u0009")");
}

}  // namespace
}  // namespace courier::text
