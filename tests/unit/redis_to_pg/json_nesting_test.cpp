// The nesting bound is read from the text alone: levels counted across arrays and objects,
// brackets inside strings (escaped quotes included) ignored, the offending byte named.
#include "redis_to_pg/json_nesting.h"

#include <gtest/gtest.h>

namespace courier::redis_to_pg {
namespace {

TEST(JsonNesting, CountsArraysAndObjectsAlike) {
  EXPECT_TRUE(check_json_nesting("1", 0).ok());
  EXPECT_TRUE(check_json_nesting(R"({"a": [1, {"b": 2}]})", 3).ok());
  Status deep = check_json_nesting(R"({"a": [1, {"b": [2]}]})", 3);
  EXPECT_EQ(deep.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(deep.message(), "JSON nests deeper than max_json_depth (3) at byte 16");
}

TEST(JsonNesting, SiblingsDoNotAddUp) {
  EXPECT_TRUE(check_json_nesting("[[1], [2], [[3]], {}]", 3).ok());
}

TEST(JsonNesting, BracketsInsideStringsAreText) {
  EXPECT_TRUE(check_json_nesting(R"(["[[[[", "{{{{"])", 1).ok());
  EXPECT_TRUE(check_json_nesting(R"(["a \" [[[[ \\", "]"])", 1).ok());
  EXPECT_FALSE(check_json_nesting(R"(["\\", [1]])", 1).ok()) << "the string ended at \\\\\"";
}

TEST(JsonNesting, HugeDepthIsScannedWithoutRecursion) {
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_TRUE(check_json_nesting(deep, 1'000'000).ok());
  EXPECT_EQ(check_json_nesting(deep, 64).message(),
            "JSON nests deeper than max_json_depth (64) at byte 64");
}

}  // namespace
}  // namespace courier::redis_to_pg
