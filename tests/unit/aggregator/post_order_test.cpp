#include "aggregator/post_order.h"

#include <gtest/gtest.h>

namespace courier::aggregator {
namespace {

TEST(PageCursor, RoundTripsAnyPostKey) {
  for (PostKey key : {PostKey{0, 1}, PostKey{1'700'000'000'123'456, 42},
                      PostKey{9'007'199'254'740'992, 9'223'372'036'854'775'807}}) {
    Result<PostKey> back = decode_cursor(encode_cursor(key));
    ASSERT_TRUE(back.ok()) << encode_cursor(key);
    EXPECT_EQ(*back, key);
  }
}

TEST(PageCursor, RefusesAnythingItDidNotMake) {
  for (const char* text : {"", ".", "12", "12.", ".5", "a.5", "1.-5", "-1.5", "1.5.6", "1 .5",
                           "1.5 ", "+1.5", "99999999999999999999.1"}) {
    Result<PostKey> decoded = decode_cursor(text);
    ASSERT_FALSE(decoded.ok()) << "'" << text << "'";
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("cursor"), std::string::npos);
  }
}

TEST(PostKeyOrder, NewerFirstAndTiesByHigherIdFirst) {
  EXPECT_TRUE(comes_before({20, 1}, {10, 5}));
  EXPECT_TRUE(comes_before({10, 6}, {10, 5}));
  EXPECT_FALSE(comes_before({10, 5}, {10, 5}));
  EXPECT_FALSE(comes_before({10, 5}, {10, 6}));
}

}  // namespace
}  // namespace courier::aggregator
