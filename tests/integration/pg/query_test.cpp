// Connection::execute against a real server: parameters, NULLs, injection attempts,
// result metadata, classified errors, and a connection that stays usable after them.
#include <gtest/gtest.h>

#include "pg/errors.h"
#include "pg/identifier.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

class QueryTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    PG_ASSERT_OK(conn().execute("CREATE TABLE people (id serial PRIMARY KEY, name text)"));
  }
};

TEST_F(QueryTest, OpensWithApplicationNameAndReportsServerVersion) {
  EXPECT_TRUE(conn().is_open());
  EXPECT_EQ(conn().server_version().substr(0, 3), "15.");
  EXPECT_EQ(scalar(conn(), "SELECT current_setting('application_name')"), "courier");
}

TEST_F(QueryTest, ParametersTravelApartFromTheSql) {
  auto result = conn().execute("SELECT $1::int + $2::int, $3::text || '!'", {"40", "2", "hi"});
  PG_ASSERT_OK(result);
  EXPECT_EQ(result->get(0, 0), "42");
  EXPECT_EQ(result->get(0, 1), "hi!");
}

TEST_F(QueryTest, NullParameterArrivesAsNullAndReadsBackAsNullopt) {
  PG_ASSERT_OK(conn().execute("INSERT INTO people (name) VALUES ($1)", {std::nullopt}));
  auto result = conn().execute("SELECT name, name IS NULL FROM people");
  PG_ASSERT_OK(result);
  ASSERT_EQ(result->row_count(), 1);
  EXPECT_TRUE(result->is_null(0, 0));
  EXPECT_EQ(result->get(0, 0), std::nullopt);
  EXPECT_EQ(result->get(0, 1), "t");
}

TEST_F(QueryTest, EmptyStringIsNotNull) {
  auto result = conn().execute("SELECT $1::text IS NULL, length($1::text)", {""});
  PG_ASSERT_OK(result);
  EXPECT_EQ(result->get(0, 0), "f");
  EXPECT_EQ(result->get(0, 1), "0");
}

TEST_F(QueryTest, QuotesInValuesCannotInjectSql) {
  const std::string hostile = "x'); DROP TABLE people; -- \"quoted\" \\ back";
  auto inserted = conn().execute("INSERT INTO people (name) VALUES ($1) RETURNING id", {hostile});
  PG_ASSERT_OK(inserted);
  EXPECT_EQ(inserted->affected_rows(), 1);
  // The table survived and the value is stored byte for byte.
  EXPECT_EQ(
      scalar(conn(), "SELECT name FROM people WHERE id = $1", {std::string(*inserted->get(0, 0))}),
      hostile);
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM people WHERE name = $1", {hostile}), "1");
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM people WHERE name = $1", {"' OR '1'='1"}), "0");
}

TEST_F(QueryTest, ResultDescribesColumnsAndRows) {
  PG_ASSERT_OK(conn().execute("INSERT INTO people (name) VALUES ('a'), ('b'), ('c')"));
  auto result = conn().execute("SELECT id, name, '{}'::jsonb AS \"Doc\" FROM people ORDER BY id");
  PG_ASSERT_OK(result);
  EXPECT_EQ(result->row_count(), 3);
  EXPECT_EQ(result->column_count(), 3);
  EXPECT_EQ(result->column_name(1), "name");
  EXPECT_EQ(result->column_index("Doc"), 2);
  EXPECT_EQ(result->column_index("doc"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(result->column_type(0), 23u);                // int4
  EXPECT_EQ(result->column_type(1), 25u);                // text
  EXPECT_EQ(result->column_type(2), 3802u);              // jsonb
  EXPECT_EQ(result->affected_rows(), 3);
  std::string names;
  for (const Row& row : *result) names += row.get(1).value_or("?");
  EXPECT_EQ(names, "abc");
}

TEST_F(QueryTest, CommandTagAndAffectedRowsOfWrites) {
  PG_ASSERT_OK(conn().execute("INSERT INTO people (name) VALUES ('a'), ('b')"));
  auto updated = conn().execute("UPDATE people SET name = upper(name)");
  PG_ASSERT_OK(updated);
  EXPECT_EQ(updated->command_tag(), "UPDATE 2");
  EXPECT_EQ(updated->affected_rows(), 2);
  EXPECT_EQ(updated->row_count(), 0);
}

TEST_F(QueryTest, QuotedIdentifiersWorkForAwkwardNames) {
  auto schema = quote_identifier("Odd \"Schema\"");
  auto table = quote_qualified_name("Odd \"Schema\".order items");
  PG_ASSERT_OK(schema);
  PG_ASSERT_OK(table);
  PG_ASSERT_OK(conn().execute("CREATE SCHEMA " + *schema));
  PG_ASSERT_OK(conn().execute("CREATE TABLE " + *table + " (\"select\" int)"));
  PG_ASSERT_OK(conn().execute("INSERT INTO " + *table + " VALUES (7)"));
  EXPECT_EQ(scalar(conn(), "SELECT \"select\" FROM " + *table), "7");
}

TEST_F(QueryTest, SyntaxErrorIsInvalidArgumentWithSqlstateAndConnectionStaysUsable) {
  auto result = conn().execute("SELEC 1");
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().detail(), "42601");
  EXPECT_TRUE(result.status().permanent());
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(QueryTest, BadValueIsInvalidArgument) {
  auto result = conn().execute("SELECT $1::int", {"not a number"});
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().detail(), "22P02");
}

TEST_F(QueryTest, UniqueViolationIsFailedPreconditionWithSqlstate23505) {
  PG_ASSERT_OK(conn().execute("INSERT INTO people (id, name) VALUES (1, 'a')"));
  auto duplicate = conn().execute("INSERT INTO people (id, name) VALUES ($1, $2)", {"1", "b"});
  EXPECT_EQ(duplicate.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(duplicate.status().detail(), sqlstate::kUniqueViolation);
  EXPECT_FALSE(duplicate.status().retryable());
  EXPECT_NE(duplicate.status().message().find("people_pkey"), std::string::npos);
}

TEST_F(QueryTest, WrongParameterCountIsInvalidArgumentNotRetryable) {
  auto result = conn().execute("SELECT $1::int, $2::int", {"1"});
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << result.status().to_string();
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(QueryTest, NulByteInParameterIsRejectedBeforeSending) {
  auto result = conn().execute("SELECT $1::text", {std::string("a\0b", 3)});
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("$1"), std::string::npos);
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(QueryTest, ExecuteRunsExactlyOneStatement) {
  auto result = conn().execute("SELECT 1; SELECT 2");
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(QueryTest, ScriptRunsSeveralStatementsAndReportsTheFirstError) {
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE a (x int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);"));
  EXPECT_EQ(scalar(conn(), "SELECT sum(x) FROM a"), "3");
  Status failed =
      conn().execute_script("INSERT INTO a VALUES (3); SELEC; INSERT INTO a VALUES (4)");
  EXPECT_EQ(failed.detail(), "42601");
  // One implicit transaction: nothing of the failed script stays.
  EXPECT_EQ(scalar(conn(), "SELECT sum(x) FROM a"), "3");
}

TEST_F(QueryTest, CopyThroughExecuteIsRefusedAndConnectionStaysUsable) {
  auto copy_in = conn().execute("COPY people (name) FROM STDIN");
  EXPECT_EQ(copy_in.status().code(), StatusCode::kInvalidArgument);
  auto copy_out = conn().execute("COPY people TO STDOUT");
  EXPECT_EQ(copy_out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM people"), "0");
}

TEST_F(QueryTest, ConnectingToAClosedPortIsUnavailable) {
  ConnectionOptions options;
  options.host = "127.0.0.1";
  options.port = courier::testing::free_loopback_port();
  options.user = "postgres";
  options.password = "Zebra-Secret-77";
  auto conn = Connection::open(options);
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(conn.status().retryable());
  EXPECT_EQ(conn.status().message().find("Zebra-Secret-77"), std::string::npos);
  EXPECT_NE(conn.status().message().find(std::to_string(options.port)), std::string::npos);
}

}  // namespace
}  // namespace courier::pg
