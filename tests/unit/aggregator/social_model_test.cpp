#include "aggregator/social_model.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace courier::aggregator {
namespace {

Post post(std::int64_t id, std::string content = "hello") {
  return Post{.id = id,
              .user_id = 3,
              .content = std::move(content),
              .created_us = 1'700'000'000'000'000 + id};
}

TEST(PostJson, RecognisesTheBodyOfItsOwnPostOnly) {
  std::string body = post_json_text(post(7));
  EXPECT_TRUE(is_post_json_of(body, 7));
  EXPECT_FALSE(is_post_json_of(body, 70));
  EXPECT_FALSE(is_post_json_of(post_json_text(post(70)), 7)) << "70 is not 7 followed by 0";
  EXPECT_FALSE(is_post_json_of(body, 3)) << "user_id is not id";
}

TEST(PostJson, IsNotFooledByContentOrGarbage) {
  // Content quoting the member: inside a JSON string the quote is escaped.
  std::string sneaky = post_json_text(post(8, R"(see "id":5, and "id":5})"));
  EXPECT_TRUE(is_post_json_of(sneaky, 8));
  EXPECT_FALSE(is_post_json_of(sneaky, 5));
  for (const char* text : {"", "{", "}", "null", R"("id":7,)", R"({"id":7,)", R"(["id":7,])"})
    EXPECT_FALSE(is_post_json_of(text, 7)) << text;
}

TEST(PageJson, IsValidJsonWithThePostsAsGivenAndACursorOnlyWhenThereIsMore) {
  std::vector<Post> posts = {post(9, "quote \" and backslash \\"), post(4, "naïve ✓")};
  std::vector<std::string> texts;
  for (const Post& p : posts) texts.push_back(post_json_text(p));

  nlohmann::json more = nlohmann::json::parse(page_json_text(texts, true, posts.back().key()));
  ASSERT_EQ(more["posts"].size(), 2u);
  EXPECT_EQ(more["posts"][0]["id"], 9);
  EXPECT_EQ(more["posts"][0]["content"], posts[0].content);
  EXPECT_EQ(more["posts"][1]["content"], posts[1].content);
  EXPECT_TRUE(more["has_more"].get<bool>());
  EXPECT_EQ(more["next_cursor"], encode_cursor(posts.back().key()));

  nlohmann::json last = nlohmann::json::parse(page_json_text(texts, false, posts.back().key()));
  EXPECT_FALSE(last["has_more"].get<bool>());
  EXPECT_FALSE(last.contains("next_cursor"));

  nlohmann::json empty = nlohmann::json::parse(page_json_text({}, false, PostKey{}));
  EXPECT_TRUE(empty["posts"].is_array());
  EXPECT_TRUE(empty["posts"].empty());
}

}  // namespace
}  // namespace courier::aggregator
