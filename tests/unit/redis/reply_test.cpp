#include "redis/reply.h"

#include <gtest/gtest.h>

namespace courier::redis {
namespace {

TEST(Reply, DefaultIsNil) {
  Reply reply;
  EXPECT_TRUE(reply.is_nil());
  EXPECT_EQ(reply.to_string(), "(nil)");
}

TEST(Reply, AccessorsOfTheWrongTypeAreEmpty) {
  Reply integer = Reply::from_integer(42);
  EXPECT_EQ(integer.str(), "");
  EXPECT_TRUE(integer.elements().empty());
  EXPECT_EQ(Reply::from_string("x").integer(), 0);
}

TEST(Reply, ToStringShowsTypesAndEscapesBinary) {
  EXPECT_EQ(Reply::from_string(std::string("a\0\"b", 4)).to_string(), "\"a\\x00\\\"b\"");
  EXPECT_EQ(Reply::from_status("OK").to_string(), "OK");
  EXPECT_EQ(Reply::from_error("ERR bad").to_string(), "(error) ERR bad");
  EXPECT_EQ(Reply::from_array({Reply::from_integer(1), Reply::nil(),
                               Reply::from_array({Reply::from_string("x")})})
                .to_string(),
            "[(integer) 1, (nil), [\"x\"]]");
}

TEST(Reply, ComparesByValue) {
  EXPECT_EQ(Reply::from_string("a"), Reply::from_string("a"));
  EXPECT_NE(Reply::from_string("a"), Reply::from_status("a"));
  EXPECT_EQ(Reply::from_array({Reply::from_integer(1)}),
            Reply::from_array({Reply::from_integer(1)}));
}

TEST(Reply, TakeElementsMovesTheArrayOut) {
  Reply array = Reply::from_array({Reply::from_string("a"), Reply::from_string("b")});
  std::vector<Reply> elements = std::move(array).take_elements();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[1].str(), "b");
}

}  // namespace
}  // namespace courier::redis
