// The JSON values of a `string` task's document (docs/types.md, "JSON values"): each
// converted value knows what it is in JSON, append_json_value writes it, and a task with
// `json_values: text` gets every value as a string, as before.
#include <gtest/gtest.h>

#include <string>

#include "pg_to_redis/row_converter.h"
#include "pg_to_redis/value_format.h"
#include "task_config_test_support.h"

namespace courier::pg_to_redis {
namespace {

namespace oid = type_oid;

// The value of column type `type` printed as `text`, as it appears in a JSON document.
std::string json(TypeOid type, std::optional<std::string_view> text) {
  Result<RedisValue> value = to_redis_value(type, text);
  EXPECT_TRUE(value.ok()) << value.status().to_string();
  if (!value.ok()) return "<error>";
  std::string out;
  append_json_value(out, *value);
  return out;
}

TEST(JsonValues, IntegersAreNumbersAsPrinted) {
  EXPECT_EQ(json(oid::kInt2, "-42"), "-42");
  EXPECT_EQ(json(oid::kInt4, "0"), "0");
  EXPECT_EQ(json(oid::kInt8, "9223372036854775807"), "9223372036854775807");
}

TEST(JsonValues, NumericsKeepTheDecimalTextPostgresPrinted) {
  EXPECT_EQ(json(oid::kNumeric, "813.41"), "813.41");
  EXPECT_EQ(json(oid::kNumeric, "12345678901234567890.123456789"),
            "12345678901234567890.123456789");
  EXPECT_EQ(json(oid::kNumeric, "-0.500"), "-0.500") << "scale kept, no float round trip";
}

TEST(JsonValues, NumericNaNAndInfinitiesAreStringsBecauseJsonHasNoSuchNumbers) {
  EXPECT_EQ(json(oid::kNumeric, "NaN"), R"("NaN")");
  EXPECT_EQ(json(oid::kNumeric, "Infinity"), R"("Infinity")");
  EXPECT_EQ(json(oid::kNumeric, "-Infinity"), R"("-Infinity")");
}

TEST(JsonValues, FloatsAreNumbersInPlainNotationAndSpecialsStrings) {
  EXPECT_EQ(json(oid::kFloat8, "1.5e-07"), "0.00000015");
  EXPECT_EQ(json(oid::kFloat4, "-2.5"), "-2.5");
  EXPECT_EQ(json(oid::kFloat8, "NaN"), R"("NaN")");
  EXPECT_EQ(json(oid::kFloat8, "-Infinity"), R"("-Infinity")");
}

TEST(JsonValues, BooleansAreTrueAndFalse) {
  EXPECT_EQ(json(oid::kBool, "t"), "true");
  EXPECT_EQ(json(oid::kBool, "f"), "false");
}

TEST(JsonValues, NullIsNullWhateverTheType) {
  for (TypeOid type : {oid::kInt4, oid::kBool, oid::kText, oid::kJsonb})
    EXPECT_EQ(json(type, std::nullopt), "null") << type_name(type);
}

TEST(JsonValues, JsonColumnsAreEmbeddedNotQuoted) {
  EXPECT_EQ(json(oid::kJsonb, R"({"a": [1, true]})"), R"({"a": [1, true]})");
  EXPECT_EQ(json(oid::kJson, "null"), "null") << "the JSON value null, not SQL NULL";
  EXPECT_EQ(json(oid::kJson, R"("x")"), R"("x")");
}

TEST(JsonValues, EverythingElseStaysAString) {
  EXPECT_EQ(json(oid::kText, R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(json(oid::kOid, "16384"), R"("16384")");
  EXPECT_EQ(json(oid::kDate, "2026-11-23"), R"("2026-11-23")");
  EXPECT_EQ(json(1007 /* int4[] */, "{1,2}"), R"("[\"1\",\"2\"]")");
}

// The query result of one row of `orders (id int4, paid bool, total numeric, doc jsonb,
// note text)`, as Postgres returns it.
pg::QueryResult order_row() {
  return pg::QueryResult::from_values(
      {{"id", oid::kInt4}, {"paid", oid::kBool}, {"total", oid::kNumeric}, {"doc", oid::kJsonb},
       {"note", oid::kText}},
      {{"7", "t", "102.20", R"({"gift": true})", std::nullopt}});
}

std::string document(JsonValues mode) {
  TaskConfig task;
  task.name = "docs";
  task.structure = Structure::kString;
  task.key_template = KeyTemplate{{{false, "order:"}, {true, "id"}}};
  task.fields = {"id", "paid", "total", "doc", "note"};
  task.json_values = mode;
  const pg::QueryResult rows = order_row();
  Result<RowConverter> converter = RowConverter::make(task, rows, {"id"});
  EXPECT_TRUE(converter.ok()) << converter.status().to_string();
  if (!converter.ok()) return "";
  ConvertedRows converted = converter->convert(rows);
  EXPECT_EQ(converted.rows.size(), 1U);
  std::string out = "{";
  for (const std::string& field : task.fields) {
    if (out.size() > 1) out += ',';
    out += field + ':';
    append_json_value(out, *converted.rows.at(0).find(field));
  }
  return out + "}";
}

TEST(JsonValues, TheConverterTypesTheValuesByDefault) {
  EXPECT_EQ(document(JsonValues::kTyped),
            R"({id:7,paid:true,total:102.20,doc:{"gift": true},note:null})");
}

TEST(JsonValues, JsonValuesTextKeepsEveryValueAString) {
  EXPECT_EQ(document(JsonValues::kText),
            R"({id:"7",paid:"1",total:"102.20",doc:"{\"gift\": true}",note:null})");
}

TEST(JsonValuesKey, DefaultsToTypedAndReadsText) {
  ReadTasks result = read(R"(tasks:
  - name: docs
    table: orders
    structure: string
    key: "order:{id}"
    fields: [id, total]
    json_values: text
  - name: typed_docs
    table: orders
    structure: string
    key: "order:{id}"
    fields: [id, total]
)");
  ASSERT_TRUE(result.errors.empty()) << result.report();
  EXPECT_EQ(result.tasks[0].json_values, JsonValues::kText);
  EXPECT_EQ(result.tasks[1].json_values, JsonValues::kTyped);
}

TEST(JsonValuesKey, OnlyAStringTaskTakesIt) {
  expect_one_error(R"(tasks:
  - name: cards
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [id, total]
    json_values: text
)",
                   "courier.yaml:7:18: tasks[0].json_values:", "string tasks only");
}

TEST(JsonValuesKey, AnythingButTypedOrTextIsRefusedAtItsValue) {
  expect_one_error(R"(tasks:
  - name: docs
    table: orders
    structure: string
    key: "order:{id}"
    fields: [id]
    json_values: strings
)",
                   "courier.yaml:7:18: tasks[0].json_values:", "'typed' or 'text'");
}

}  // namespace
}  // namespace courier::pg_to_redis
