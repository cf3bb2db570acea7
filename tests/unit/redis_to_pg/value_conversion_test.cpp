// Per-column conversions: decimal and 0x hex numbers of any size, bigint ranges, unix
// seconds, the reference's hex-without-prefix log_index, and every bad input refused with
// what was expected and what arrived.
#include "redis_to_pg/value_conversion.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace courier::redis_to_pg {
namespace {

using nlohmann::json;

// The test's value written as JSON text and read back the way stream ingest reads payloads.
Result<std::optional<std::string>> convert_json(const json& value, const ColumnMapping& column) {
  thread_local simdjson::dom::parser parser;
  return convert_value(ColumnInput(parser.parse(value.dump()).value()), column);
}

simdjson::dom::element nullptr_element() {
  thread_local simdjson::dom::parser parser;
  return parser.parse(std::string_view("null")).value();
}

std::string converted(const json& value, ValueType type, bool hex_without_prefix = false) {
  ColumnMapping column{.column = "c", .type = type, .hex_without_prefix = hex_without_prefix};
  auto text = convert_json(value, column);
  EXPECT_TRUE(text.ok()) << value.dump() << ": " << text.status().to_string();
  return text.ok() && *text ? **text : "<null>";
}

std::string refused(const json& value, ValueType type) {
  auto text = convert_json(value, ColumnMapping{.column = "c", .type = type});
  EXPECT_FALSE(text.ok()) << value.dump() << " was accepted";
  if (!text.ok()) {
    EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument);
  }
  return text.ok() ? "" : text.status().message();
}

TEST(ValueConversion, HexOfAnySizeBecomesDecimal) {
  EXPECT_EQ(hex_to_decimal("0"), "0");
  EXPECT_EQ(hex_to_decimal("ff"), "255");
  EXPECT_EQ(hex_to_decimal("FFFFFFFFFFFFFFFF"), "18446744073709551615");
  // 2^256 - 1: a uint256 amount.
  EXPECT_EQ(hex_to_decimal(std::string(64, 'f')),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_EQ(hex_to_decimal("3b9aca00"), "1000000000");
  EXPECT_FALSE(hex_to_decimal("12g").has_value());
}

TEST(ValueConversion, NumericAcceptsDecimalAndPrefixedHex) {
  EXPECT_EQ(converted("1000000000000000000000", ValueType::kNumeric), "1000000000000000000000");
  EXPECT_EQ(converted("0x3635c9adc5dea00000", ValueType::kNumeric), "1000000000000000000000");
  EXPECT_EQ(converted("-12.50", ValueType::kNumeric), "-12.50");
  EXPECT_EQ(converted(42, ValueType::kNumeric), "42");
  EXPECT_EQ(converted("33", ValueType::kNumeric), "33");
  EXPECT_EQ(converted("33", ValueType::kNumeric, true), "51");
}

TEST(ValueConversion, NumericRefusesWhatIsNotANumber) {
  EXPECT_NE(refused("12abc", ValueType::kNumeric)
                .find("expected a decimal or 0x hex number, got '12abc'"),
            std::string::npos);
  refused("0x", ValueType::kNumeric);
  refused("1.", ValueType::kNumeric);
  refused("", ValueType::kNumeric);
  refused(json::object(), ValueType::kNumeric);
  EXPECT_NE(refused(1e30, ValueType::kNumeric).find("too large to be exact"), std::string::npos);
}

TEST(ValueConversion, BigintAcceptsDecimalHexAndJsonIntegersWithinRange) {
  EXPECT_EQ(converted(18500000, ValueType::kBigint), "18500000");
  EXPECT_EQ(converted("0x11a49a0", ValueType::kBigint), "18500000");
  EXPECT_EQ(converted("-5", ValueType::kBigint), "-5");
  EXPECT_EQ(converted("9223372036854775807", ValueType::kBigint), "9223372036854775807");
  EXPECT_EQ(converted("0x7fffffffffffffff", ValueType::kBigint), "9223372036854775807");
}

TEST(ValueConversion, BigintRefusesOverflowFractionsAndText) {
  EXPECT_NE(refused("9223372036854775808", ValueType::kBigint).find("does not fit"),
            std::string::npos);
  EXPECT_NE(refused("0x8000000000000000", ValueType::kBigint).find("does not fit"),
            std::string::npos);
  refused(1.5, ValueType::kBigint);
  refused("1.5", ValueType::kBigint);
  refused(true, ValueType::kBigint);
  refused("ten", ValueType::kBigint);
}

TEST(ValueConversion, LogIndexWithoutPrefixIsHexAsTheReferenceStoredIt) {
  EXPECT_EQ(converted("33", ValueType::kBigint, true), "51");
  EXPECT_EQ(converted("0x33", ValueType::kBigint, true), "51");
  EXPECT_EQ(converted(33, ValueType::kBigint, true), "33");  // a JSON number is a number
  EXPECT_EQ(converted("33", ValueType::kBigint), "33");
}

TEST(ValueConversion, TimestampFromUnixSecondsDecimalOrHex) {
  EXPECT_EQ(converted(1700000000, ValueType::kTimestamptz), "2023-11-14 22:13:20+00");
  EXPECT_EQ(converted("0x6553f100", ValueType::kTimestamptz), "2023-11-14 22:13:20+00");
  EXPECT_EQ(converted("1700000000", ValueType::kTimestamptz), "2023-11-14 22:13:20+00");
  EXPECT_EQ(converted("2024-01-02T03:04:05Z", ValueType::kTimestamptz), "2024-01-02T03:04:05Z");
  refused("yesterday", ValueType::kTimestamptz);
  refused(-1, ValueType::kTimestamptz);
  refused("0xffffffffffff", ValueType::kTimestamptz);
}

TEST(ValueConversion, TextJsonbAndBoolean) {
  EXPECT_EQ(converted("plain", ValueType::kText), "plain");
  EXPECT_EQ(converted(12, ValueType::kText), "12");
  EXPECT_EQ(converted(json{{"a", 1}}, ValueType::kText), R"({"a":1})");
  EXPECT_EQ(converted(json{{"a", json::array({1, "x"})}}, ValueType::kJsonb), R"({"a":[1,"x"]})");
  EXPECT_EQ(converted("s", ValueType::kJsonb), R"("s")");
  EXPECT_EQ(converted(true, ValueType::kBoolean), "true");
  EXPECT_EQ(converted("0", ValueType::kBoolean), "false");
  refused("maybe", ValueType::kBoolean);
  EXPECT_NE(refused(std::string("a\0b", 3), ValueType::kText).find("NUL"), std::string::npos);
  EXPECT_NE(refused(std::string("a\0b", 3), ValueType::kJsonb).find("\\u0000"), std::string::npos);
}

TEST(ValueConversion, AnEntryFieldIsReadAsAJsonString) {
  auto text = convert_value(ColumnInput(std::string_view("0x1f")),
                            ColumnMapping{.column = "c", .type = ValueType::kNumeric});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(**text, "31");
  auto jsonb = convert_value(ColumnInput(std::string_view("say \"hi\"")),
                             ColumnMapping{.column = "c", .type = ValueType::kJsonb});
  ASSERT_TRUE(jsonb.ok());
  EXPECT_EQ(**jsonb, R"("say \"hi\"")");
}

TEST(ValueConversion, NullIsNullOnlyForOptionalColumns) {
  for (const ColumnInput& nothing : {ColumnInput(), ColumnInput(nullptr_element())}) {
    auto optional = convert_value(nothing, ColumnMapping{.column = "c", .optional = true});
    ASSERT_TRUE(optional.ok());
    EXPECT_FALSE(optional->has_value());
  }
  EXPECT_NE(refused(json(), ValueType::kText).find("missing"), std::string::npos);
}

}  // namespace
}  // namespace courier::redis_to_pg
