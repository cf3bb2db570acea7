#include "pg/identifier.h"

#include <gtest/gtest.h>

#include <string>

namespace courier::pg {
namespace {

std::string quoted(std::string_view name) {
  auto result = quote_identifier(name);
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  return result.value_or("");
}

std::string qualified(std::string_view name) {
  auto result = quote_qualified_name(name);
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  return result.value_or("");
}

TEST(PgQuoteIdentifier, WrapsNameInDoubleQuotes) {
  EXPECT_EQ(quoted("orders"), "\"orders\"");
  EXPECT_EQ(quoted("Order Items"), "\"Order Items\"");
  EXPECT_EQ(quoted("select"), "\"select\"");
}

TEST(PgQuoteIdentifier, DoublesEmbeddedQuotes) {
  EXPECT_EQ(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(quoted("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
}

TEST(PgQuoteIdentifier, KeepsDotsAndUnicodeInsideOneName) {
  EXPECT_EQ(quoted("a.b"), "\"a.b\"");
  EXPECT_EQ(quoted("größe"), "\"größe\"");
}

TEST(PgQuoteIdentifier, RejectsEmptyNulAndOverlongNames) {
  EXPECT_EQ(quote_identifier("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(quote_identifier(std::string("a\0b", 3)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(quote_identifier(std::string(63, 'x')).ok());
  EXPECT_EQ(quote_identifier(std::string(64, 'x')).status().code(), StatusCode::kInvalidArgument);
}

TEST(PgQuoteQualifiedName, QuotesEachPart) {
  EXPECT_EQ(qualified("orders"), "\"orders\"");
  EXPECT_EQ(qualified("sales.orders"), "\"sales\".\"orders\"");
  EXPECT_EQ(qualified("db.sales.orders"), "\"db\".\"sales\".\"orders\"");
  EXPECT_EQ(qualified("my\"schema.t"), "\"my\"\"schema\".\"t\"");
}

TEST(PgQuoteQualifiedName, RejectsEmptyPartsTooManyPartsAndNul) {
  for (std::string_view bad : {"", ".", "sales.", ".orders", "a..b", "a.b.c.d"}) {
    auto result = quote_qualified_name(bad);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  auto with_nul = quote_qualified_name(std::string("s.t\0x", 5));
  EXPECT_EQ(with_nul.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with_nul.status().message().find('\0'), std::string::npos);
}

}  // namespace
}  // namespace courier::pg
