#include "pg/copy_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace courier::pg {
namespace {

std::string field(CopyField value) {
  std::string out;
  append_copy_field(out, value);
  return out;
}

TEST(PgCopyText, NullIsBackslashN) {
  EXPECT_EQ(field(std::nullopt), "\\N");
}

TEST(PgCopyText, EmptyStringIsNotNull) {
  EXPECT_EQ(field(""), "");
}

TEST(PgCopyText, PlainTextIsUnchanged) {
  EXPECT_EQ(field("hello, 'world' \"x\" {\"a\": 1}"), "hello, 'world' \"x\" {\"a\": 1}");
}

TEST(PgCopyText, EscapesTabsNewlinesCarriageReturnsAndBackslashes) {
  EXPECT_EQ(field("a\tb"), "a\\tb");
  EXPECT_EQ(field("line1\nline2"), "line1\\nline2");
  EXPECT_EQ(field("cr\r"), "cr\\r");
  EXPECT_EQ(field("back\\slash"), "back\\\\slash");
  EXPECT_EQ(field("\b\f\v"), "\\b\\f\\v");
}

TEST(PgCopyText, LiteralBackslashNIsNotReadAsNull) {
  EXPECT_EQ(field("\\N"), "\\\\N");
}

TEST(PgCopyText, KeepsMultibyteUtf8) {
  EXPECT_EQ(field("größe\t€"), "größe\\t€");
}

TEST(PgCopyText, RowSeparatesFieldsByTabsAndEndsWithNewline) {
  std::string line;
  append_copy_row(line, {CopyField("42"), std::nullopt, CopyField("a\tb")});
  EXPECT_EQ(line, "42\t\\N\ta\\tb\n");
}

TEST(PgCopyText, RowFromSpanAppends) {
  std::vector<CopyField> fields = {CopyField("1"), CopyField("x\ny")};
  std::string lines = "0\tz\n";
  append_copy_row(lines, fields);
  EXPECT_EQ(lines, "0\tz\n1\tx\\ny\n");
}

}  // namespace
}  // namespace courier::pg
