#include "redis/slot.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace courier::redis {
namespace {

TEST(Crc16, MatchesTheXmodemCheckValue) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
}

TEST(Crc16, OfNothingIsZero) {
  EXPECT_EQ(crc16(""), 0);
}

TEST(KeySlot, MatchesSlotsReportedByRealServers) {
  // CLUSTER KEYSLOT on Redis 7.
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
  EXPECT_EQ(key_slot("user1000"), 3443);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(KeySlot, IsAlwaysBelow16384) {
  for (int i = 0; i < 100000; ++i) {
    int slot = key_slot("key:" + std::to_string(i));
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, kSlotCount);
  }
}

TEST(KeySlot, KeysWithTheSameHashTagShareASlot) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
}

TEST(HashTag, IsTheTextBetweenTheFirstBraces) {
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
}

TEST(HashTag, EmptyBracesHashTheWholeKey) {
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(key_slot("foo{}{bar}"), 8363);  // CLUSTER KEYSLOT on Redis 7
}

TEST(HashTag, StartsAfterTheFirstOpeningBrace) {
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(key_slot("foo{{bar}}zap"), 4015);  // CLUSTER KEYSLOT on Redis 7
}

TEST(HashTag, WithoutAClosingBraceIsTheWholeKey) {
  EXPECT_EQ(hash_tag("foo{bar"), "foo{bar");
  EXPECT_EQ(hash_tag("foo}bar{"), "foo}bar{");
}

TEST(HashTag, IsBinarySafe) {
  std::string key("a{\0b}c", 6);
  EXPECT_EQ(hash_tag(key), std::string_view("\0b", 2));
}

TEST(KeyInSlotOf, KeepsTheSlotOfEveryKindOfKeyName) {
  // Plain, tagged, empty tag first, an unclosed brace, a '}' without a tag, braces only.
  for (std::string_view key : {"orders", "shop:{eu}:orders", "{}orders", "a{b", "a}b{c",
                               "{}{x}", "}", "{", "x{}}y"}) {
    const std::string other = key_in_slot_of(key, "courier:replace:task");
    EXPECT_EQ(key_slot(other), key_slot(key)) << key << " -> " << other;
    EXPECT_NE(other, key);
    EXPECT_TRUE(std::string_view(other).ends_with("courier:replace:task")) << other;
  }
}

TEST(KeyInSlotOf, UsesTheKeysOwnTagOrTheWholeKey) {
  EXPECT_EQ(key_in_slot_of("shop:{eu}:orders", "tmp"), "{eu}tmp");
  EXPECT_EQ(key_in_slot_of("orders", "tmp"), "{orders}tmp");
  EXPECT_EQ(key_in_slot_of("a{b", "tmp"), "{a{b}tmp");
}

TEST(KeyInSlotOf, KeepsANameThatAlreadyHashesAlike) {
  EXPECT_EQ(key_in_slot_of("{eu}orders", "{eu}tmp"), "{eu}tmp");
}

TEST(KeyInSlotOf, FindsATagOfTheSlotForAKeyThatCannotBeWrapped) {
  const std::string other = key_in_slot_of("a}b", "tmp", "t-");
  EXPECT_TRUE(other.starts_with("{t-")) << other;
  EXPECT_EQ(key_slot(other), key_slot("a}b"));
}

}  // namespace
}  // namespace courier::redis
