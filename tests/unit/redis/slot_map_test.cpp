#include "redis/slot_map.h"

#include <gtest/gtest.h>

#include "redis/slot.h"

namespace courier::redis {
namespace {

Reply node(std::string ip, long long port, std::string id) {
  return Reply::from_array({Reply::from_string(std::move(ip)), Reply::from_integer(port),
                            Reply::from_string(std::move(id))});
}

Reply range(long long first, long long last, std::vector<Reply> nodes) {
  std::vector<Reply> elements{Reply::from_integer(first), Reply::from_integer(last)};
  for (Reply& n : nodes) elements.push_back(std::move(n));
  return Reply::from_array(std::move(elements));
}

// What CLUSTER SLOTS says for a three-master cluster with one replica each.
Reply three_shards() {
  return Reply::from_array({
      range(0, 5460, {node("127.0.0.1", 7000, "a"), node("127.0.0.1", 7004, "d")}),
      range(5461, 10922, {node("127.0.0.1", 7001, "b"), node("127.0.0.1", 7005, "e")}),
      range(10923, 16383, {node("127.0.0.1", 7002, "c"), node("127.0.0.1", 7003, "f")}),
  });
}

TEST(SlotMap, FindsTheShardOfEachSlot) {
  Result<SlotMap> map = SlotMap::from_cluster_slots(three_shards(), "127.0.0.1");
  ASSERT_TRUE(map.ok()) << map.status().to_string();
  EXPECT_TRUE(map->covers_all_slots());
  ASSERT_EQ(map->shards().size(), 3u);
  EXPECT_EQ(map->shard_for_slot(0)->master, "127.0.0.1:7000");
  EXPECT_EQ(map->shard_for_slot(5460)->master, "127.0.0.1:7000");
  EXPECT_EQ(map->shard_for_slot(5461)->master, "127.0.0.1:7001");
  EXPECT_EQ(map->shard_for_slot(16383)->master, "127.0.0.1:7002");
  EXPECT_EQ(map->shard_for_slot(key_slot("foo"))->master, "127.0.0.1:7002");  // 12182
  EXPECT_EQ(map->shard_for_slot(key_slot("bar"))->replicas,
            std::vector<std::string>{"127.0.0.1:7004"});  // 5061 -> shard a
}

TEST(SlotMap, MergesRangesOfOneMasterIntoOneShard) {
  Reply reply = Reply::from_array({
      range(0, 99, {node("127.0.0.1", 7000, "a")}),
      range(100, 199, {node("127.0.0.1", 7001, "b")}),
      range(200, 16383, {node("127.0.0.1", 7000, "a"), node("127.0.0.1", 7003, "r")}),
  });
  Result<SlotMap> map = SlotMap::from_cluster_slots(reply, "127.0.0.1");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->shards().size(), 2u);
  EXPECT_EQ(map->shard_for_slot(50), map->shard_for_slot(300));
}

TEST(SlotMap, UncoveredSlotsHaveNoShard) {
  Reply reply = Reply::from_array({range(0, 100, {node("10.0.0.1", 7000, "a")})});
  Result<SlotMap> map = SlotMap::from_cluster_slots(reply, "127.0.0.1");
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(map->covers_all_slots());
  EXPECT_EQ(map->shard_for_slot(101), nullptr);
  EXPECT_EQ(map->shard_for_slot(-1), nullptr);
  EXPECT_EQ(map->shard_for_slot(16384), nullptr);
}

TEST(SlotMap, ANodeWithoutAnIpIsOnTheQueriedHost) {
  Reply reply = Reply::from_array({range(0, 16383, {node("", 7000, "a"), node("?", 7001, "b")})});
  Result<SlotMap> map = SlotMap::from_cluster_slots(reply, "10.1.2.3");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->shard_for_slot(0)->master, "10.1.2.3:7000");
  EXPECT_EQ(map->shard_for_slot(0)->replicas.at(0), "10.1.2.3:7001");
}

TEST(SlotMap, RejectsMalformedReplies) {
  for (const Reply& reply : {Reply::from_error("ERR This instance has cluster support disabled"),
                             Reply::from_array({Reply::from_integer(1)}),
                             Reply::from_array({range(5, 4, {node("h", 1, "a")})}),
                             Reply::from_array({range(0, 16384, {node("h", 1, "a")})}),
                             Reply::from_array({range(0, 1, {Reply::from_string("h:1")})})}) {
    Result<SlotMap> map = SlotMap::from_cluster_slots(reply, "h");
    EXPECT_FALSE(map.ok()) << reply.to_string();
  }
}

TEST(SlotMap, SetSlotOwnerMovesOneSlot) {
  Result<SlotMap> parsed = SlotMap::from_cluster_slots(three_shards(), "127.0.0.1");
  ASSERT_TRUE(parsed.ok());
  SlotMap map = *parsed;
  map.set_slot_owner(12182, "127.0.0.1:7001");
  EXPECT_EQ(map.shard_for_slot(12182)->master, "127.0.0.1:7001");
  EXPECT_EQ(map.shard_for_slot(12183)->master, "127.0.0.1:7002");
  map.set_slot_owner(1, "127.0.0.1:7010");  // a node the map did not know
  EXPECT_EQ(map.shard_for_slot(1)->master, "127.0.0.1:7010");
  EXPECT_EQ(map.shards().size(), 4u);
  EXPECT_EQ(parsed->shard_for_slot(12182)->master, "127.0.0.1:7002");  // the original is intact
}

}  // namespace
}  // namespace courier::redis
