// The pure parts of the consumer: stable consumer names and reading XREADGROUP replies,
// including entries whose data was deleted while pending, and both shapes of XAUTOCLAIM.
#include "redis_to_pg/stream_consumer.h"

#include <gtest/gtest.h>

namespace courier::redis_to_pg {
namespace {

using redis::Reply;

TEST(StreamConsumerName, IsStableAndDiffersPerWorker) {
  EXPECT_EQ(consumer_name_for("indexer", 0), "indexer-0");
  EXPECT_EQ(consumer_name_for("indexer", 3), "indexer-3");
  EXPECT_EQ(consumer_name_for("", 1), consumer_name_for("", 1));  // host name based
  EXPECT_NE(consumer_name_for("", 1), consumer_name_for("", 2));
  EXPECT_FALSE(consumer_name_for("", 0).empty());
}

TEST(StreamReadReply, EntriesOfEveryStreamInOrder) {
  Reply reply = Reply::from_array(
      {Reply::from_array(
           {Reply::from_string("a"),
            Reply::from_array({Reply::from_array(
                {Reply::from_string("1-0"), Reply::from_array({Reply::from_string("event_data"),
                                                               Reply::from_string("{}")})})})}),
       Reply::from_array(
           {Reply::from_string("b"),
            Reply::from_array({Reply::from_array({Reply::from_string("2-0"), Reply::nil()})})})});
  auto entries = parse_read_reply(reply);
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].stream, "a");
  EXPECT_EQ((*entries)[0].id, "1-0");
  ASSERT_EQ((*entries)[0].fields.size(), 1u);
  EXPECT_EQ((*entries)[0].fields[0].first, "event_data");
  EXPECT_EQ((*entries)[1].stream, "b");
  EXPECT_TRUE((*entries)[1].fields.empty());  // deleted while pending: no data
  EXPECT_FALSE((*entries)[0].deleted);
  EXPECT_TRUE((*entries)[1].deleted);
}

TEST(StreamReadReply, NilIsNoEntriesAndOtherShapesAreErrors) {
  auto none = parse_read_reply(Reply::nil());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(parse_read_reply(Reply::from_integer(3)).status().code(), StatusCode::kInternal);
  EXPECT_EQ(parse_read_reply(Reply::from_array({Reply::from_string("only-name")})).status().code(),
            StatusCode::kInternal);
}

Reply entry_reply(const std::string& id) {
  return Reply::from_array({Reply::from_string(id),
                            Reply::from_array({Reply::from_string("f"), Reply::from_string("v")})});
}

TEST(AutoclaimReply, Redis62AnswersNilForEntriesDeletedWhilePending) {
  Reply reply = Reply::from_array(
      {Reply::from_string("5-0"),
       Reply::from_array({entry_reply("1-0"), Reply::nil(), entry_reply("3-0"), Reply::nil()})});
  auto parsed = parse_autoclaim_reply("s", reply);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->next_cursor, "5-0");
  ASSERT_EQ(parsed->entries.size(), 2u);
  EXPECT_EQ(parsed->entries[0].id, "1-0");
  EXPECT_EQ(parsed->entries[1].id, "3-0");
  EXPECT_EQ(parsed->entries[1].stream, "s");
  EXPECT_EQ(parsed->deleted_unnamed, 2u);
  EXPECT_TRUE(parsed->deleted_ids.empty());
}

TEST(AutoclaimReply, Redis7NamesDeletedEntriesInAThirdElement) {
  Reply reply = Reply::from_array(
      {Reply::from_string("0-0"), Reply::from_array({entry_reply("4-0")}),
       Reply::from_array({Reply::from_string("2-0"), Reply::from_string("3-0")})});
  auto parsed = parse_autoclaim_reply("s", reply);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->next_cursor, "0-0");
  ASSERT_EQ(parsed->entries.size(), 1u);
  EXPECT_EQ(parsed->entries[0].fields[0].second, "v");
  EXPECT_EQ(parsed->deleted_ids, (std::vector<std::string>{"2-0", "3-0"}));
  EXPECT_EQ(parsed->deleted_unnamed, 0u);
}

TEST(AutoclaimReply, OtherShapesAreErrors) {
  EXPECT_FALSE(parse_autoclaim_reply("s", Reply::nil()).ok());
  EXPECT_FALSE(parse_autoclaim_reply("s", Reply::from_array({Reply::from_string("0-0")})).ok());
  EXPECT_FALSE(
      parse_autoclaim_reply("s", Reply::from_array({Reply::from_string("0-0"),
                                                    Reply::from_array({Reply::from_integer(1)})}))
          .ok());
  EXPECT_FALSE(parse_autoclaim_reply(
                   "s", Reply::from_array({Reply::from_string("0-0"), Reply::from_array({}),
                                           Reply::from_string("x")}))
                   .ok());
}

}  // namespace
}  // namespace courier::redis_to_pg
