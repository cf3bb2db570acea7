// The value rules of docs/types.md against what a real Postgres prints: literals of every
// type are selected after session_settings_sql(), and each cell with its column's type
// OID goes through to_redis_value / to_sorted_set_score. Server defaults that differ from
// the rules' assumptions (another TimeZone, DateStyle, extra_float_digits) are set first,
// to show the session settings override them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../pg/pg_fixture.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::string_literals;
using pg::PgDatabaseTest;

class ValueFormatPgTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    // Unfriendly defaults a server or role might have; the session settings must win.
    PG_ASSERT_OK(conn().execute_script(
        "SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY'; "
        "SET IntervalStyle = 'postgres_verbose'; SET extra_float_digits = 0; "
        "SET bytea_output = 'escape'"));
    PG_ASSERT_OK(conn().execute_script(session_settings_sql()));
  }

  // Selects one expression; returns its type and text.
  struct Cell {
    TypeOid type = 0;
    std::optional<std::string> text;
  };
  Cell select(const std::string& expression) {
    auto result = conn().execute("SELECT " + expression);
    EXPECT_TRUE(result.ok()) << expression << ": " << result.status().to_string();
    if (!result.ok()) return {};
    auto text = result->get(0, 0);
    return Cell{result->column_type(0), text ? std::optional<std::string>(*text) : std::nullopt};
  }

  std::string value_of(const std::string& expression) {
    Cell cell = select(expression);
    auto converted = to_redis_value(cell.type, cell.text);
    EXPECT_TRUE(converted.ok()) << expression << ": " << converted.status().to_string();
    return converted.ok() ? converted->bytes : "<error>";
  }

  std::string score_of(const std::string& expression) {
    Cell cell = select(expression);
    auto converted = to_sorted_set_score(cell.type, cell.text);
    EXPECT_TRUE(converted.ok()) << expression << ": " << converted.status().to_string();
    return converted.ok() ? *converted : "<error>";
  }
};

TEST_F(ValueFormatPgTest, EveryTypeAsDocumented) {
  struct Case {
    std::string expression;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"true", "1"},
      {"false", "0"},
      {"(-32768)::int2", "-32768"},
      {"42::int4", "42"},
      {"42::int8", "42"},
      {"9223372036854775807::int8", "9223372036854775807"},
      {"'pg_class'::regclass::oid", "1259"},
      {"12345678901234567890.123456789::numeric", "12345678901234567890.123456789"},
      {"1.500::numeric", "1.500"},
      {"'NaN'::numeric", "NaN"},
      {"'Infinity'::numeric", "Infinity"},
      {"1e20::float8", "100000000000000000000"},
      {"1.5e-7::float8", "0.00000015"},
      {"0.1::float8", "0.1"},
      {"0.1::float4", "0.1"},
      {"(1::float8 / 3)", "0.3333333333333333"},
      {"'-0'::float8", "0"},
      {"'NaN'::float8", "NaN"},
      {"'-Infinity'::float4", "-Infinity"},
      {"'x'::text", "x"},
      {"'a b'::varchar(10)", "a b"},
      {"'ab'::char(4)", "ab  "},
      {"'relname'::name", "relname"},
      {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
      {R"('{"a":1,  "b":[true,null]}'::jsonb)", R"({"a": 1, "b": [true, null]})"},
      {R"('{"a":1,  "b":2}'::json)", R"({"a":1,  "b":2})"},
      {"'2026-11-23'::date", "2026-11-23"},
      {"'0044-03-15 BC'::date", "-0043-03-15"},
      {"'infinity'::date", "infinity"},
      {"'2026-11-23 10:00:00'::timestamp", "2026-11-23T10:00:00"},
      {"'2026-11-23 10:00:00.5'::timestamp", "2026-11-23T10:00:00.5"},
      {"'2026-11-23 10:00:00.123456'::timestamp", "2026-11-23T10:00:00.123456"},
      {"'2026-11-23 10:00:00+05:30'::timestamptz", "2026-11-23T04:30:00+00:00"},
      {"'2026-11-23 10:00:00.25-08'::timestamptz", "2026-11-23T18:00:00.25+00:00"},
      {"'10:00:00.5'::time", "10:00:00.5"},
      {"'10:00:00+05:30'::timetz", "10:00:00+05:30"},
      {"'1 year 2 months 3 days 04:05:06.5'::interval", "P1Y2M3DT4H5M6.5S"},
      {"'\\x00ff41'::bytea", "\x00\xff" "A"s},
      {"''::bytea", ""},
      {"ARRAY[1,NULL,3]", R"(["1",null,"3"])"},
      {R"(ARRAY['a"b','c,d','back\slash','NULL', ''])",
       R"(["a\"b","c,d","back\\slash","NULL",""])"},
      {"ARRAY[[1,2],[3,4]]", R"([["1","2"],["3","4"]])"},
      {"'[0:1]={7,8}'::int[]", R"(["7","8"])"},
      {"ARRAY[true,false]", R"(["1","0"])"},
      {"ARRAY[1e20::float8]", R"(["100000000000000000000"])"},
      {"ARRAY['2026-11-23 10:00:00.5'::timestamp]", R"(["2026-11-23T10:00:00.5"])"},
      {"ARRAY['\\x00ff'::bytea]", R"(["\\x00ff"])"},
      {"'{}'::text[]", "[]"},
      {"'(1,2)'::point", "(1,2)"},
      {"'192.168.0.1/24'::inet", "192.168.0.1/24"},
  };
  for (const Case& c : cases) EXPECT_EQ(value_of(c.expression), c.expected) << c.expression;
}

TEST_F(ValueFormatPgTest, NullOfEveryTypeIsEmptyAndFlagged) {
  for (std::string_view type : {"int", "text", "bytea", "timestamptz", "int[]", "jsonb"}) {
    Cell cell = select("NULL::" + std::string(type));
    auto converted = to_redis_value(cell.type, cell.text);
    ASSERT_TRUE(converted.ok()) << type;
    EXPECT_EQ(converted->bytes, "") << type;
    EXPECT_TRUE(converted->is_null) << type;
  }
}

TEST_F(ValueFormatPgTest, RandomUuidAndUnicodeTextPassUnchanged) {
  Cell uuid = select("gen_random_uuid()");
  EXPECT_EQ(uuid.type, type_oid::kUuid);
  EXPECT_EQ(value_of("'" + uuid.text.value_or("") + "'::uuid"), uuid.text.value_or("-"));
  EXPECT_EQ(value_of("'grüße ✓'::text"), "grüße ✓");
}

TEST_F(ValueFormatPgTest, EnumsAndTheirArraysUseTheTextRule) {
  PG_ASSERT_OK(conn().execute("CREATE TYPE size AS ENUM ('small', 'extra large')"));
  EXPECT_EQ(value_of("'extra large'::size"), "extra large");

  Cell array = select("ARRAY['small', 'extra large', NULL]::size[]");
  auto element = conn().execute("SELECT typelem FROM pg_type WHERE oid = $1",
                                {std::to_string(array.type)});
  PG_ASSERT_OK(element);
  auto converted =
      array_to_redis_value(static_cast<TypeOid>(std::stoul(std::string(*element->get(0, 0)))),
                           array.text);
  ASSERT_TRUE(converted.ok()) << converted.status().to_string();
  EXPECT_EQ(converted->bytes, R"(["small","extra large",null])");
}

TEST_F(ValueFormatPgTest, TimestamptzInAnotherSessionZoneKeepsThatOffset) {
  PG_ASSERT_OK(conn().execute("SET TimeZone = 'Asia/Kolkata'"));
  EXPECT_EQ(value_of("'2026-11-23 04:30:00+00'::timestamptz"), "2026-11-23T10:00:00+05:30");
  EXPECT_EQ(score_of("'2026-11-23 04:30:00+00'::timestamptz"), "1795408200");
}

TEST_F(ValueFormatPgTest, ScoresFromEveryNumericAndTimeType) {
  EXPECT_EQ(score_of("(-7)::int2"), "-7");
  EXPECT_EQ(score_of("42::int4"), "42");
  EXPECT_EQ(score_of("9007199254740993::int8"), "9007199254740992");
  EXPECT_EQ(score_of("12.50::numeric"), "12.5");
  EXPECT_EQ(score_of("1e20::float8"), "100000000000000000000");
  EXPECT_EQ(score_of("0.1::float4"), "0.1");
  EXPECT_EQ(score_of("'2026-11-23'::date"), "1795392000");
  EXPECT_EQ(score_of("'2024-11-23 10:00:00.123456'::timestamp"), "1732356000.123456");
  EXPECT_EQ(score_of("'2024-11-23 15:30:00.5+05:30'::timestamptz"), "1732356000.5");
  // The same instants as Postgres computes them.
  EXPECT_EQ(score_of("'2024-11-23 15:30:00.5+05:30'::timestamptz"),
            score_of("extract(epoch FROM '2024-11-23 15:30:00.5+05:30'::timestamptz)"));
  EXPECT_EQ(score_of("'1901-02-03 04:05:06.789'::timestamp"),
            score_of("extract(epoch FROM '1901-02-03 04:05:06.789'::timestamp)"));
}

TEST_F(ValueFormatPgTest, ScoreFromNullOrTextIsRefused) {
  Cell null_score = select("NULL::timestamptz");
  auto refused = to_sorted_set_score(null_score.type, null_score.text);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("timestamptz"), std::string::npos);

  Cell text_score = select("'12'::text");
  EXPECT_FALSE(to_sorted_set_score(text_score.type, text_score.text).ok());
}

}  // namespace
}  // namespace courier::pg_to_redis
