// QueryResult::from_values: results made without a server, as fakes of pg::Session hand
// them out, read exactly like the server's.
#include "pg/result.h"

#include <gtest/gtest.h>

namespace courier::pg {
namespace {

TEST(QueryResultFromValues, KeepsNamesTypesValuesAndTellsNullFromEmpty) {
  QueryResult result = QueryResult::from_values(
      {{"id", 20}, {"name", 25}}, {{"1", "ada"}, {"2", ""}, {"3", std::nullopt}});
  ASSERT_EQ(result.row_count(), 3);
  ASSERT_EQ(result.column_count(), 2);
  EXPECT_EQ(result.column_name(1), "name");
  EXPECT_EQ(result.column_index("name"), 1);
  EXPECT_EQ(result.column_index("missing"), std::nullopt);
  EXPECT_EQ(result.column_type(0), 20u);
  EXPECT_EQ(result.get(0, 1), "ada");
  EXPECT_EQ(result.get(1, 1), "");
  EXPECT_FALSE(result.is_null(1, 1));
  EXPECT_TRUE(result.is_null(2, 1));
  EXPECT_EQ(result.get(2, 1), std::nullopt);
  int rows = 0;
  for (const Row& row : result) rows += row.get(0).has_value();
  EXPECT_EQ(rows, 3);
}

TEST(QueryResultFromValues, ShortRowsAreFilledWithNullsAndNoRowsIsEmpty) {
  QueryResult result = QueryResult::from_values({{"a", 25}, {"b", 25}}, {{"x"}});
  EXPECT_EQ(result.get(0, 0), "x");
  EXPECT_TRUE(result.is_null(0, 1));
  EXPECT_EQ(QueryResult::from_values({{"a", 25}}, {}).row_count(), 0);
}

}  // namespace
}  // namespace courier::pg
