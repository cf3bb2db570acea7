// The incremental reader's pure parts: the SQL a task is read with (composite cursor,
// direction, filter, quoting, lookback) and the stored checkpoint format.
#include "pg_to_redis/tracking_cursor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "pg_to_redis/table_reader.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using Start = ReadQuery::Start;

TaskConfig orders_stream() {
  TaskConfig task;
  task.name = "orders";
  task.table = TableName{"public", "orders"};
  task.structure = Structure::kStream;
  task.fields = {"id", "status"};
  task.tracking = TrackingConfig{"updated_at", TrackingOperator::kGreater, "checkpoint:orders"};
  task.batch_size = 100;
  return task;
}

ReadQuery plan(const TaskConfig& task, std::vector<std::string> pk = {"id"}) {
  auto query = ReadQuery::plan(task, std::move(pk));
  EXPECT_TRUE(query.ok()) << query.status().to_string();
  return *query;
}

TEST(ReadQuery, FirstRunHasNoCursorPredicate) {
  EXPECT_EQ(plan(orders_stream()).sql(Start::kBeginning),
            R"(SELECT "id", "status", "updated_at" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL ORDER BY "updated_at", "id" LIMIT 100)");
}

TEST(ReadQuery, GreaterWalksUpwardsFromCompositeCursor) {
  EXPECT_EQ(plan(orders_stream()).sql(Start::kAfterCursor),
            R"(SELECT "id", "status", "updated_at" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL AND ("updated_at", "id") > ($1, $2))"
            R"( ORDER BY "updated_at", "id" LIMIT 100)");
}

TEST(ReadQuery, LessWalksDownwards) {
  TaskConfig task = orders_stream();
  task.tracking->op = TrackingOperator::kLess;
  EXPECT_EQ(plan(task).sql(Start::kAfterCursor),
            R"(SELECT "id", "status", "updated_at" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL AND ("updated_at", "id") < ($1, $2))"
            R"( ORDER BY "updated_at" DESC, "id" DESC LIMIT 100)");
}

TEST(ReadQuery, WithoutTrackingThePrimaryKeyIsTheCursor) {
  TaskConfig task = orders_stream();
  task.tracking.reset();
  ReadQuery query = plan(task);
  EXPECT_EQ(query.sql(Start::kBeginning),
            R"(SELECT "id", "status" FROM "public"."orders" ORDER BY "id" LIMIT 100)");
  EXPECT_EQ(query.sql(Start::kAfterCursor),
            R"(SELECT "id", "status" FROM "public"."orders" WHERE ("id") > ($1))"
            R"( ORDER BY "id" LIMIT 100)");
  EXPECT_EQ(query.cursor_columns(), std::vector<std::string>{"id"});
}

TEST(ReadQuery, CompositePrimaryKeyFollowsTracking) {
  ReadQuery query = plan(orders_stream(), {"tenant", "id"});
  EXPECT_EQ(query.cursor_columns(), (std::vector<std::string>{"updated_at", "tenant", "id"}));
  EXPECT_EQ(query.columns(), (std::vector<std::string>{"id", "status", "updated_at", "tenant"}));
  EXPECT_EQ(query.sql(Start::kAfterCursor),
            R"(SELECT "id", "status", "updated_at", "tenant" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL AND ("updated_at", "tenant", "id") > ($1, $2, $3))"
            R"( ORDER BY "updated_at", "tenant", "id" LIMIT 100)");
  TrackingCursor after{{"2024-05-01 10:00:00+00", "acme", "7"}};
  EXPECT_EQ(query.params(Start::kAfterCursor, after),
            (pg::Params{"2024-05-01 10:00:00+00", "acme", "7"}));
}

TEST(ReadQuery, WhereIsPastedInParenthesesOnItsOwnLine) {
  TaskConfig task = orders_stream();
  task.where = "status <> 'draft' -- skip drafts";
  EXPECT_EQ(plan(task).sql(Start::kAfterCursor),
            R"(SELECT "id", "status", "updated_at" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL AND ("updated_at", "id") > ($1, $2))"
            " AND (status <> 'draft' -- skip drafts\n)"
            R"( ORDER BY "updated_at", "id" LIMIT 100)");
}

TEST(ReadQuery, OddNamesAreQuoted) {
  TaskConfig task;
  task.name = "items";
  task.table = TableName{"Sales Schema", "Order Items"};
  task.structure = Structure::kMap;
  task.key = "item";
  task.value = "say \"hi\"";
  task.column_map = {{"item", "Item Id"}};
  task.tracking = TrackingConfig{"When", TrackingOperator::kGreater, ""};
  task.batch_size = 5;
  EXPECT_EQ(plan(task, {"Item Id"}).sql(Start::kAfterCursor),
            R"(SELECT "Item Id", "say ""hi""", "When" FROM "Sales Schema"."Order Items")"
            R"( WHERE "When" IS NOT NULL AND ("When", "Item Id") > ($1, $2))"
            R"( ORDER BY "When", "Item Id" LIMIT 5)");
}

TEST(ReadQuery, ColumnsAreTheUnionEachOnce) {
  TaskConfig task = orders_stream();
  task.fields = {"id", "updated_at", "total", "id"};
  task.column_map = {{"total", "amount"}};
  EXPECT_EQ(plan(task).columns(), (std::vector<std::string>{"id", "updated_at", "amount"}));
}

TEST(ReadQuery, LookbackStartsBeforeTheCheckpointOnlyAtRunStart) {
  TaskConfig task = orders_stream();
  task.lookback = 10min;
  ReadQuery query = plan(task);
  TrackingCursor checkpoint{{"2024-05-01 10:00:00+00", "42"}};
  auto start = query.start_for(checkpoint, /*run_start=*/true, "checkpoint:orders");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, Start::kLookbackFrom);
  EXPECT_EQ(query.sql(*start),
            R"(SELECT "id", "status", "updated_at" FROM "public"."orders")"
            R"( WHERE "updated_at" IS NOT NULL AND "updated_at" >= $1::timestamptz - $2::interval)"
            R"( ORDER BY "updated_at", "id" LIMIT 100)");
  EXPECT_EQ(query.params(*start, checkpoint),
            (pg::Params{"2024-05-01 10:00:00+00", "600000 milliseconds"}));
  EXPECT_EQ(*query.start_for(checkpoint, /*run_start=*/false, "k"), Start::kAfterCursor);
  EXPECT_EQ(*query.start_for(std::nullopt, /*run_start=*/true, "k"), Start::kBeginning);
}

TEST(ReadQuery, LookbackWithoutTrackingIsRefused) {
  TaskConfig task = orders_stream();
  task.tracking.reset();
  task.lookback = 1min;
  auto query = ReadQuery::plan(task, {"id"});
  ASSERT_FALSE(query.ok());
  EXPECT_NE(query.status().message().find("lookback needs `tracking:`"), std::string::npos);
}

TEST(ReadQuery, CheckpointOfAnotherShapeIsRefusedNamingTheKey) {
  ReadQuery query = plan(orders_stream(), {"tenant", "id"});
  auto start =
      query.start_for(TrackingCursor{{"2024-05-01 10:00:00+00", "7"}}, false, "checkpoint:orders");
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(start.status().message().find("'checkpoint:orders' holds 2 values"), std::string::npos)
      << start.status().message();
}

TEST(ReadQuery, NamesQuoteIdentifierRejectsAreRefused) {
  TaskConfig task = orders_stream();
  task.fields = {std::string("bad\0name", 8)};
  EXPECT_FALSE(ReadQuery::plan(task, {"id"}).ok());
  EXPECT_FALSE(ReadQuery::plan(orders_stream(), {}).ok());
}

TEST(TrackingCursor, EncodesAsJsonArrayOfStrings) {
  EXPECT_EQ((TrackingCursor{{"2024-05-01 10:00:00.123456+00", "42"}}).encode(),
            R"(["2024-05-01 10:00:00.123456+00","42"])");
  EXPECT_EQ((TrackingCursor{{"say \"hi\"\\", std::string("a\nb\x01", 4)}}).encode(),
            R"(["say \"hi\"\\","a\u000ab\u0001"])");
}

TEST(TrackingCursor, RoundTripsEveryValueExactly) {
  const std::vector<TrackingCursor> cursors = {
      {{"12345678901234567890.123", "1"}},
      {{"2024-05-01 10:00:00.123456", "-9223372036854775808"}},
      {{"Grüße \"quoted\" \\ back\tslash", "0c6f3a3e-8d7d-4b7e-9d0e-2f1a3b4c5d6e"}},
      {{"", std::string("nul\0inside", 10)}},
  };
  for (const TrackingCursor& cursor : cursors) {
    auto decoded = TrackingCursor::decode(cursor.encode(), "k");
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, cursor) << cursor.encode();
  }
}

TEST(TrackingCursor, DecodesAnyJsonSpellingOfStrings) {
  auto decoded = TrackingCursor::decode(" [ \"a\\u00e9\\ud83d\\ude00\\/\" , \"b\" ] ", "k");
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, (TrackingCursor{{"a\xc3\xa9\xf0\x9f\x98\x80/", "b"}}));
}

TEST(TrackingCursor, MalformedCheckpointNamesTheKey) {
  for (const char* stored : {"", "2024-05-01T10:00:00Z", "[\"a\"", "[\"a\",]", "[1]", "[\"a\"] x",
                             "[\"\\x\"]", "[\"\\ud800\"]", "[]", "{\"a\":1}"}) {
    auto decoded = TrackingCursor::decode(stored, "checkpoint:orders");
    ASSERT_FALSE(decoded.ok()) << stored;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("'checkpoint:orders'"), std::string::npos)
        << decoded.status().message();
    EXPECT_NE(decoded.status().message().find("delete the key"), std::string::npos);
  }
}

}  // namespace
}  // namespace courier::pg_to_redis
