#include "aggregator/request_parsing.h"

#include <gtest/gtest.h>

namespace courier::aggregator {
namespace {

using Query = std::multimap<std::string, std::string>;

void expect_invalid(const Status& status, std::string_view mentions) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.to_string();
  EXPECT_NE(status.message().find(mentions), std::string::npos) << status.message();
}

TEST(ParseId, AcceptsPositiveDecimalsOnly) {
  EXPECT_EQ(parse_id("42", "user id").value_or(0), 42);
  EXPECT_EQ(parse_id("9223372036854775807", "user id").value_or(0), INT64_MAX);
  for (const char* text : {"", "0", "-1", "+1", "abc", "1x", " 1", "1.0", "9223372036854775808"})
    expect_invalid(parse_id(text, "user id").status(), "user id");
}

TEST(PageRequest, DefaultsToTwentyNewestPosts) {
  Result<PageRequest> page = parse_page_request({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->limit, 20u);
  EXPECT_FALSE(page->after);
  EXPECT_EQ(page->offset, 0u);
}

TEST(PageRequest, LimitMustBeFromOneToOneHundred) {
  EXPECT_EQ(parse_page_request({{"limit", "1"}})->limit, 1u);
  EXPECT_EQ(parse_page_request({{"limit", "100"}})->limit, 100u);
  for (const char* limit : {"0", "-1", "101", "", "ten", "5.5", "1e2"})
    expect_invalid(parse_page_request({{"limit", limit}}).status(), "limit");
}

TEST(PageRequest, ReadsCursorAndOffsetButNotBoth) {
  Result<PageRequest> page = parse_page_request({{"cursor", "100.7"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->after, (PostKey{100, 7}));
  EXPECT_EQ(parse_page_request({{"offset", "40"}})->offset, 40u);
  expect_invalid(parse_page_request({{"offset", "-3"}}).status(), "offset");
  expect_invalid(parse_page_request({{"offset", "10001"}}).status(), "offset");
  expect_invalid(parse_page_request({{"cursor", "nope"}}).status(), "cursor");
  expect_invalid(parse_page_request({{"cursor", "1.2"}, {"offset", "3"}}).status(), "either");
}

TEST(PageRequest, RefusesUnknownAndRepeatedParameters) {
  expect_invalid(parse_page_request({{"limt", "5"}}).status(), "limt");
  expect_invalid(parse_page_request(Query{{"limit", "5"}, {"limit", "6"}}).status(),
                 "more than once");
}

TEST(PageRequest, CanonicalFormNamesOnlyWhatMatters) {
  EXPECT_EQ(parse_page_request({})->canonical(), "limit=20");
  EXPECT_EQ(parse_page_request({{"cursor", "5.1"}, {"limit", "3"}})->canonical(),
            "limit=3&cursor=5.1");
}

TEST(JsonBodies, ParseWhatTheRoutesTake) {
  EXPECT_EQ(parse_new_user(R"({"username": "alice"})")->username, "alice");
  Result<NewPost> post = parse_new_post(R"({"user_id": 7, "content": "hi"})");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->user_id, 7);
  EXPECT_EQ(post->content, "hi");
  EXPECT_EQ(parse_new_follow(R"({"followee_id": 9})")->followee_id, 9);
}

TEST(JsonBodies, EveryMistakeIsABadRequestNamingTheField) {
  expect_invalid(parse_new_user("{").status(), "not valid JSON");
  expect_invalid(parse_new_user("[]").status(), "JSON object");
  expect_invalid(parse_new_user("").status(), "not valid JSON");
  expect_invalid(parse_new_user("{}").status(), "'username' is required");
  expect_invalid(parse_new_user(R"({"username": 5})").status(), "'username' must be a string");
  expect_invalid(parse_new_user(R"({"username": ""})").status(), "must not be empty");
  expect_invalid(parse_new_user(R"({"username": "a", "admin": true})").status(), "'admin'");
  expect_invalid(parse_new_user("{\"username\": \"" + std::string(65, 'x') + "\"}").status(),
                 "longer than 64");
  expect_invalid(parse_new_post(R"({"content": "x"})").status(), "'user_id' is required");
  expect_invalid(parse_new_post(R"({"user_id": "7", "content": "x"})").status(), "user_id");
  expect_invalid(parse_new_post(R"({"user_id": -7, "content": "x"})").status(), "user_id");
  expect_invalid(parse_new_post(R"({"user_id": 7.5, "content": "x"})").status(), "user_id");
  expect_invalid(parse_new_post(R"({"user_id": 7})").status(), "'content' is required");
  expect_invalid(parse_new_follow(R"({"followee_id": 0})").status(), "followee_id");
  expect_invalid(parse_new_post("{\"user_id\": 1, \"content\": \"\xff\"}").status(), "JSON");
}

}  // namespace
}  // namespace courier::aggregator
