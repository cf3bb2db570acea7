// The value rules of docs/types.md, one type at a time, on the text Postgres prints under
// session_settings_sql(). tests/integration/pg_to_redis/value_format_test.cpp checks the
// same rules against a real server.
#include "pg_to_redis/value_format.h"

#include <gtest/gtest.h>

#include <string>

namespace courier::pg_to_redis {
namespace {

using namespace std::string_literals;
namespace oid = type_oid;

constexpr TypeOid kInt4Array = 1007;
constexpr TypeOid kTextArray = 1009;
constexpr TypeOid kBoolArray = 1000;
constexpr TypeOid kFloat8Array = 1022;
constexpr TypeOid kByteaArray = 1001;
constexpr TypeOid kTimestampArray = 1115;
constexpr TypeOid kBoxArray = 1020;
constexpr TypeOid kSomeEnum = 16385;  // user-defined types have OIDs above 16384

// The converted value, or "<error: ...>" (which also fails the test).
std::string value(TypeOid type, std::string_view text) {
  auto converted = to_redis_value(type, text);
  EXPECT_TRUE(converted.ok()) << converted.status().to_string();
  if (!converted.ok()) return "<error: " + converted.status().to_string() + ">";
  EXPECT_FALSE(converted->is_null);
  return converted->bytes;
}

Status value_error(TypeOid type, std::string_view text) {
  auto converted = to_redis_value(type, text);
  EXPECT_FALSE(converted.ok()) << "converted to " << converted->bytes;
  return converted.status();
}

std::string score(TypeOid type, std::string_view text) {
  auto converted = to_sorted_set_score(type, text);
  EXPECT_TRUE(converted.ok()) << converted.status().to_string();
  return converted.ok() ? *converted : "<error: " + converted.status().to_string() + ">";
}

Status score_error(TypeOid type, std::optional<std::string_view> text) {
  auto converted = to_sorted_set_score(type, text);
  EXPECT_FALSE(converted.ok()) << "converted to " << *converted;
  return converted.status();
}

TEST(ValueFormatNull, BecomesEmptyStringAndSaysItWasNull) {
  for (TypeOid type : {oid::kInt4, oid::kText, oid::kBytea, kInt4Array, kSomeEnum}) {
    auto converted = to_redis_value(type, std::nullopt);
    ASSERT_TRUE(converted.ok());
    EXPECT_EQ(converted->bytes, "");
    EXPECT_TRUE(converted->is_null);
  }
}

TEST(ValueFormatNull, EmptyTextIsNotNull) {
  auto converted = to_redis_value(oid::kText, "");
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(converted->bytes, "");
  EXPECT_FALSE(converted->is_null);
}

TEST(ValueFormatBool, TrueIsOneFalseIsZero) {
  EXPECT_EQ(value(oid::kBool, "t"), "1");
  EXPECT_EQ(value(oid::kBool, "f"), "0");
  EXPECT_EQ(value_error(oid::kBool, "true").code(), StatusCode::kInvalidArgument);
}

TEST(ValueFormatInteger, PassesAsPrinted) {
  EXPECT_EQ(value(oid::kInt2, "-32768"), "-32768");
  EXPECT_EQ(value(oid::kInt4, "42"), "42");
  EXPECT_EQ(value(oid::kInt8, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(value(oid::kOid, "4294967295"), "4294967295");
}

TEST(ValueFormatNumeric, KeepsEveryDigitAndScale) {
  const std::string forty = "1234567890123456789012345678901234567890.0000000001";
  EXPECT_EQ(value(oid::kNumeric, forty), forty);
  EXPECT_EQ(value(oid::kNumeric, "1.500"), "1.500");
  EXPECT_EQ(value(oid::kNumeric, "-0.000000000000000000001"), "-0.000000000000000000001");
  EXPECT_EQ(value(oid::kNumeric, "NaN"), "NaN");
  EXPECT_EQ(value(oid::kNumeric, "Infinity"), "Infinity");
  EXPECT_EQ(value(oid::kNumeric, "-Infinity"), "-Infinity");
}

TEST(ValueFormatFloat, ExponentFormsBecomePlainNotation) {
  EXPECT_EQ(value(oid::kFloat8, "1e+20"), "100000000000000000000");
  EXPECT_EQ(value(oid::kFloat8, "1.5e-07"), "0.00000015");
  EXPECT_EQ(value(oid::kFloat8, "-1.2345e+03"), "-1234.5");
  EXPECT_EQ(value(oid::kFloat8, "1.7976931348623157e+308"),
            "17976931348623157" + std::string(292, '0'));
  EXPECT_EQ(value(oid::kFloat8, "5e-324"), "0." + std::string(323, '0') + "5");
  EXPECT_EQ(value(oid::kFloat4, "3.4028235e+38"), "340282350" + std::string(30, '0'));
}

TEST(ValueFormatFloat, PlainFormsKeepTheirShortestDigits) {
  EXPECT_EQ(value(oid::kFloat8, "0.1"), "0.1");
  EXPECT_EQ(value(oid::kFloat8, "3.141592653589793"), "3.141592653589793");
  EXPECT_EQ(value(oid::kFloat8, "42"), "42");
  EXPECT_EQ(value(oid::kFloat4, "0.1"), "0.1");
  EXPECT_EQ(value(oid::kFloat8, "0"), "0");
}

TEST(ValueFormatFloat, NegativeZeroIsZero) {
  EXPECT_EQ(value(oid::kFloat8, "-0"), "0");
  EXPECT_EQ(value(oid::kFloat4, "-0"), "0");
}

TEST(ValueFormatFloat, SpecialValuesPassAsPrinted) {
  EXPECT_EQ(value(oid::kFloat8, "NaN"), "NaN");
  EXPECT_EQ(value(oid::kFloat8, "Infinity"), "Infinity");
  EXPECT_EQ(value(oid::kFloat4, "-Infinity"), "-Infinity");
}

TEST(ValueFormatFloat, GarbageIsAnErrorNamingTheType) {
  // A second exponent sign once made "e--N" an exponent of +N: a string of N zeros.
  for (std::string_view bad : {"", "-", "1e", "1e+", "abc", "1.2.3", "1e99999", "0x10", "1e--5",
                               "1e+-5", "-15e--1141411234"}) {
    Status status = value_error(oid::kFloat8, bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("float8"), std::string::npos) << status.message();
  }
}

TEST(ValueFormatText, TextLikeTypesPassAsIs) {
  const std::string tricky = "a \"quoted\"\\ line\nwith ünïcode";
  for (TypeOid type : {oid::kText, oid::kVarchar, oid::kBpchar, TypeOid{19}, kSomeEnum})
    EXPECT_EQ(value(type, tricky), tricky) << type;
  EXPECT_EQ(value(oid::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(value(oid::kJsonb, R"({"a": [1, "x\"y"]})"), R"({"a": [1, "x\"y"]})");
  EXPECT_EQ(value(oid::kJson, "{ \"keeps\" : \"spacing\" }"), "{ \"keeps\" : \"spacing\" }");
}

TEST(ValueFormatTime, TimeIntervalAndTimetzPassAsPrinted) {
  EXPECT_EQ(value(oid::kTime, "10:00:00.5"), "10:00:00.5");
  EXPECT_EQ(value(oid::kTimetz, "10:00:00+05:30"), "10:00:00+05:30");
  EXPECT_EQ(value(oid::kInterval, "P1Y2M3DT4H5M6.5S"), "P1Y2M3DT4H5M6.5S");
}

TEST(ValueFormatBytea, HexBecomesRawBytesIncludingNul) {
  EXPECT_EQ(value(oid::kBytea, "\\x00ff41"),
            "\x00\xff"
            "A"s);
  EXPECT_EQ(value(oid::kBytea, "\\x"), "");
  EXPECT_EQ(value(oid::kBytea, "\\xDEADbeef"), "\xde\xad\xbe\xef"s);
}

TEST(ValueFormatBytea, MalformedHexIsAnError) {
  for (std::string_view bad : {"00ff", "\\x0", "\\x0g", "\\000"}) {
    Status status = value_error(oid::kBytea, bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("bytea"), std::string::npos) << status.message();
  }
}

TEST(ValueFormatDate, IsoDateWithBcAsNegativeYear) {
  EXPECT_EQ(value(oid::kDate, "2026-11-23"), "2026-11-23");
  EXPECT_EQ(value(oid::kDate, "0001-01-01 BC"), "0000-01-01");
  EXPECT_EQ(value(oid::kDate, "0044-03-15 BC"), "-0043-03-15");
  EXPECT_EQ(value(oid::kDate, "10000-01-01"), "10000-01-01");
  EXPECT_EQ(value(oid::kDate, "infinity"), "infinity");
  EXPECT_EQ(value(oid::kDate, "-infinity"), "-infinity");
  EXPECT_EQ(value_error(oid::kDate, "11/23/2026").code(), StatusCode::kInvalidArgument);
}

TEST(ValueFormatTimestamp, IsoWithTAndNoOffset) {
  EXPECT_EQ(value(oid::kTimestamp, "2026-11-23 10:00:00"), "2026-11-23T10:00:00");
  EXPECT_EQ(value(oid::kTimestamp, "2026-11-23 10:00:00.5"), "2026-11-23T10:00:00.5");
  EXPECT_EQ(value(oid::kTimestamp, "2026-11-23 10:00:00.123456"), "2026-11-23T10:00:00.123456");
  EXPECT_EQ(value(oid::kTimestamp, "0044-03-15 12:00:00 BC"), "-0043-03-15T12:00:00");
  EXPECT_EQ(value(oid::kTimestamp, "infinity"), "infinity");
  EXPECT_EQ(value_error(oid::kTimestamp, "2026-11-23T10:00:00").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(value_error(oid::kTimestamp, "2026-11-23 10:00:00+00").code(),
            StatusCode::kInvalidArgument);
}

TEST(ValueFormatTimestamptz, OffsetIsKeptAsHoursAndMinutes) {
  EXPECT_EQ(value(oid::kTimestamptz, "2026-11-23 04:30:00+00"), "2026-11-23T04:30:00+00:00");
  EXPECT_EQ(value(oid::kTimestamptz, "2026-11-23 10:00:00.25+05:30"),
            "2026-11-23T10:00:00.25+05:30");
  EXPECT_EQ(value(oid::kTimestamptz, "2026-11-23 01:00:00-08"), "2026-11-23T01:00:00-08:00");
  EXPECT_EQ(value(oid::kTimestamptz, "1850-01-01 00:00:00+00:53:28"),
            "1850-01-01T00:00:00+00:53:28");
  EXPECT_EQ(value(oid::kTimestamptz, "0044-03-15 12:00:00+00 BC"), "-0043-03-15T12:00:00+00:00");
  EXPECT_EQ(value(oid::kTimestamptz, "-infinity"), "-infinity");
  EXPECT_EQ(value_error(oid::kTimestamptz, "2026-11-23 04:30:00").code(),
            StatusCode::kInvalidArgument);
}

TEST(ValueFormatArray, ElementsBecomeJsonStringsAndNullBecomesNull) {
  EXPECT_EQ(value(kInt4Array, "{1,NULL,3}"), R"(["1",null,"3"])");
  EXPECT_EQ(value(kInt4Array, "{}"), "[]");
  EXPECT_EQ(value(kInt4Array, "{null, NuLl}"), "[null,null]");
  EXPECT_EQ(value(kBoolArray, "{t,f}"), R"(["1","0"])");
  EXPECT_EQ(value(kFloat8Array, "{1e+20,-0,NaN}"), R"(["100000000000000000000","0","NaN"])");
  EXPECT_EQ(value(kTimestampArray, R"({"2026-11-23 10:00:00.5"})"), R"(["2026-11-23T10:00:00.5"])");
}

TEST(ValueFormatArray, QuotesBackslashesCommasAndTheWordNull) {
  EXPECT_EQ(value(kTextArray, R"({"a\"b","c,d","back\\slash","NULL",plain})"),
            R"(["a\"b","c,d","back\\slash","NULL","plain"])");
  EXPECT_EQ(value(kTextArray, R"({"",  "  spaced  " , x y })"), R"(["","  spaced  ","x y"])");
  EXPECT_EQ(value(kTextArray, "{\"line\nbreak\",\"tab\there\"}"), R"(["line\nbreak","tab\there"])");
  EXPECT_EQ(value(kTextArray, "{\"\x01\"}"), R"(["\u0001"])");
}

TEST(ValueFormatArray, NestedAndBoundedArrays) {
  EXPECT_EQ(value(kInt4Array, "{{1,2},{3,NULL}}"), R"([["1","2"],["3",null]])");
  EXPECT_EQ(value(kTextArray, "{{{a}},{{b}}}"), R"([[["a"]],[["b"]]])");
  EXPECT_EQ(value(kInt4Array, "[0:1]={7,8}"), R"(["7","8"])");
}

TEST(ValueFormatArray, ByteaElementsStayHexBecauseJsonIsText) {
  EXPECT_EQ(value(kByteaArray, R"({"\\x00ff",NULL})"), R"(["\\x00ff",null])");
}

TEST(ValueFormatArray, BoxArraysUseSemicolons) {
  EXPECT_EQ(value(kBoxArray, "{(1,1),(0,0);(2,2),(1,1)}"), R"j(["(1,1),(0,0)","(2,2),(1,1)"])j");
}

TEST(ValueFormatArray, UserDefinedElementTypesThroughArrayToRedisValue) {
  auto converted = array_to_redis_value(kSomeEnum, "{small,\"extra large\",NULL}");
  ASSERT_TRUE(converted.ok()) << converted.status().to_string();
  EXPECT_EQ(converted->bytes, R"(["small","extra large",null])");
  EXPECT_TRUE(array_to_redis_value(kSomeEnum, std::nullopt)->is_null);
  EXPECT_EQ(array_element_type(kInt4Array), oid::kInt4);
  EXPECT_EQ(array_element_type(oid::kInt4), std::nullopt);
}

TEST(ValueFormatArray, MalformedArraysAreErrors) {
  for (std::string_view bad : {"", "1,2", "{1,2", "{\"open}", "{1,,2}", "{1} x", "{a\"b}"}) {
    Status status = value_error(kTextArray, bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("text[]"), std::string::npos) << status.message();
  }
}

TEST(ValueFormatArray, BadElementNamesTheElementType) {
  Status status = value_error(kBoolArray, "{t,maybe}");
  EXPECT_NE(status.message().find("bool"), std::string::npos) << status.message();
}

TEST(ValueFormatScore, IntegersAndNumerics) {
  EXPECT_EQ(score(oid::kInt2, "-7"), "-7");
  EXPECT_EQ(score(oid::kInt4, "42"), "42");
  EXPECT_EQ(score(oid::kOid, "4294967295"), "4294967295");
  // A double holds 53 bits: the score is the shortest decimal of the double Redis stores.
  EXPECT_EQ(score(oid::kInt8, "9223372036854775807"), "9223372036854776000");
  EXPECT_EQ(score(oid::kInt8, "9007199254740993"), "9007199254740992");
  EXPECT_EQ(score(oid::kNumeric, "12.50"), "12.5");
  EXPECT_EQ(score(oid::kNumeric, "12345678901234567890.123456789"), "12345678901234567000");
  EXPECT_EQ(score(oid::kNumeric, "0.1234567890123456789"), "0.12345678901234568");
  EXPECT_EQ(score(oid::kNumeric, "Infinity"), "inf");
  EXPECT_EQ(score(oid::kNumeric, "-Infinity"), "-inf");
}

TEST(ValueFormatScore, Floats) {
  EXPECT_EQ(score(oid::kFloat8, "1e+20"), "100000000000000000000");
  EXPECT_EQ(score(oid::kFloat8, "1e+23"), "100000000000000000000000");
  EXPECT_EQ(score(oid::kFloat8, "1.5e-07"), "0.00000015");
  EXPECT_EQ(score(oid::kFloat8, "-0"), "0");
  EXPECT_EQ(score(oid::kFloat4, "0.1"), "0.1");
  EXPECT_EQ(score(oid::kFloat8, "Infinity"), "inf");
}

TEST(ValueFormatScore, DatesAndTimestampsAreEpochSeconds) {
  EXPECT_EQ(score(oid::kDate, "1970-01-01"), "0");
  EXPECT_EQ(score(oid::kDate, "2026-11-23"), "1795392000");
  EXPECT_EQ(score(oid::kDate, "1969-12-31"), "-86400");
  EXPECT_EQ(score(oid::kTimestamp, "2024-11-23 10:00:00.123456"), "1732356000.123456");
  EXPECT_EQ(score(oid::kTimestamp, "1969-12-31 23:59:59.5"), "-0.5");
  EXPECT_EQ(score(oid::kTimestamptz, "2024-11-23 10:00:00+00"), "1732356000");
  EXPECT_EQ(score(oid::kTimestamptz, "2024-11-23 15:30:00.25+05:30"), "1732356000.25");
  EXPECT_EQ(score(oid::kTimestamptz, "2024-11-23 02:00:00-08"), "1732356000");
  EXPECT_EQ(score(oid::kTimestamp, "infinity"), "inf");
  EXPECT_EQ(score(oid::kTimestamptz, "-infinity"), "-inf");
}

TEST(ValueFormatScore, TheLastDatesPostgresPrintsAreEpochSecondsToo) {
  // In microseconds, these are beyond a 64-bit integer (found by tests/fuzz).
  EXPECT_EQ(score(oid::kDate, "5874897-12-31"), "185331706992000");
  EXPECT_EQ(score(oid::kTimestamp, "294276-12-31 23:59:59.999999"), "9224318016000");
  EXPECT_EQ(score(oid::kTimestamptz, "294276-12-31 23:59:59.5-01"), "9224318019599.5");
  EXPECT_EQ(score(oid::kTimestamp, "1969-12-31 23:59:58.25"), "-1.75");
}

TEST(ValueFormatScore, NullIsAnErrorNamingTheType) {
  Status status = score_error(oid::kTimestamptz, std::nullopt);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("timestamptz"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("NULL"), std::string::npos) << status.message();
}

TEST(ValueFormatScore, NonNumericTypesAndNaNAreErrors) {
  for (TypeOid type : {oid::kText, oid::kBool, oid::kUuid, oid::kInterval, kInt4Array}) {
    EXPECT_FALSE(can_be_sorted_set_score(type)) << type;
    Status status = score_error(type, "1");
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(type_name(type)), std::string::npos) << status.message();
  }
  EXPECT_EQ(score_error(oid::kFloat8, "NaN").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(score_error(oid::kNumeric, "1e400").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(score_error(oid::kInt4, "12abc").code(), StatusCode::kInvalidArgument);
  for (TypeOid type : {oid::kInt2, oid::kInt4, oid::kInt8, oid::kOid, oid::kNumeric, oid::kFloat4,
                       oid::kFloat8, oid::kDate, oid::kTimestamp, oid::kTimestamptz})
    EXPECT_TRUE(can_be_sorted_set_score(type)) << type;
}

TEST(ValueFormatTypeName, BuiltInsArraysAndUnknown) {
  EXPECT_EQ(type_name(oid::kTimestamptz), "timestamptz");
  EXPECT_EQ(type_name(kInt4Array), "int4[]");
  EXPECT_EQ(type_name(kSomeEnum), "oid 16385");
}

TEST(ValueFormatSession, SettingsNameEveryAssumption) {
  const std::string sql(session_settings_sql());
  for (std::string_view setting : {"TimeZone = 'UTC'", "DateStyle = 'ISO", "iso_8601",
                                   "extra_float_digits = 1", "bytea_output = 'hex'", "UTF8"})
    EXPECT_NE(sql.find(setting), std::string::npos) << setting;
}

}  // namespace
}  // namespace courier::pg_to_redis
