#include "redis/command.h"

#include <gtest/gtest.h>

namespace courier::redis {
namespace {

using Keys = std::vector<std::string_view>;

TEST(RoutingKey, IsTheFirstArgumentOfOrdinaryCommands) {
  EXPECT_EQ(routing_key({"GET", "a"}), "a");
  EXPECT_EQ(routing_key({"hset", "h", "f", "v"}), "h");
  EXPECT_EQ(routing_key({"XADD", "stream", "*", "f", "v"}), "stream");
}

TEST(RoutingKey, KeylessCommandsHaveNone) {
  EXPECT_FALSE(routing_key({"PING"}));
  EXPECT_FALSE(routing_key({"info", "replication"}));
  EXPECT_FALSE(routing_key({"CLUSTER", "SLOTS"}));
  EXPECT_FALSE(routing_key({"FLUSHALL"}));
  EXPECT_FALSE(routing_key({"GET"}));  // malformed: the server will say so
  EXPECT_FALSE(routing_key({}));
}

TEST(CommandKeys, EvalKeysFollowNumkeys) {
  EXPECT_EQ(command_keys({"EVAL", "return 1", "2", "k1", "k2", "arg"}), (Keys{"k1", "k2"}));
  EXPECT_EQ(command_keys({"evalsha", "abc", "1", "k1", "arg"}), (Keys{"k1"}));
  EXPECT_EQ(command_keys({"EVAL", "return 1", "0", "arg"}), Keys{});
  EXPECT_FALSE(routing_key({"EVAL", "return 1", "0"}));
  EXPECT_EQ(routing_key({"FCALL", "f", "1", "k"}), "k");
}

TEST(CommandKeys, NumkeysBeyondTheArgumentsStopsAtTheEnd) {
  EXPECT_EQ(command_keys({"EVAL", "s", "5", "k1"}), (Keys{"k1"}));
  EXPECT_EQ(command_keys({"EVAL", "s", "x", "k1"}), Keys{});
}

TEST(CommandKeys, XreadKeysAreTheFirstHalfAfterStreams) {
  EXPECT_EQ(command_keys({"XREAD", "COUNT", "10", "STREAMS", "s1", "s2", "0", "$"}),
            (Keys{"s1", "s2"}));
  EXPECT_EQ(command_keys({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "streams", "s", ">"}),
            (Keys{"s"}));
  EXPECT_EQ(routing_key({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "orders", ">"}), "orders");
}

TEST(CommandKeys, MultiKeyCommands) {
  EXPECT_EQ(command_keys({"MSET", "a", "1", "b", "2"}), (Keys{"a", "b"}));
  EXPECT_EQ(command_keys({"MGET", "a", "b", "c"}), (Keys{"a", "b", "c"}));
  EXPECT_EQ(command_keys({"DEL", "a", "b"}), (Keys{"a", "b"}));
  EXPECT_EQ(command_keys({"BLPOP", "a", "b", "5"}), (Keys{"a", "b"}));
  EXPECT_EQ(command_keys({"RENAME", "a", "b"}), (Keys{"a", "b"}));
  EXPECT_EQ(command_keys({"ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"}),
            (Keys{"dst", "a", "b"}));
  EXPECT_EQ(command_keys({"ZUNION", "2", "a", "b"}), (Keys{"a", "b"}));
  EXPECT_EQ(command_keys({"BLMPOP", "0", "2", "a", "b", "LEFT"}), (Keys{"a", "b"}));
}

TEST(CommandKeys, SubcommandsNameTheKeySecond) {
  EXPECT_EQ(routing_key({"XGROUP", "CREATE", "orders", "g", "$"}), "orders");
  EXPECT_EQ(routing_key({"XINFO", "STREAM", "orders"}), "orders");
  EXPECT_EQ(routing_key({"OBJECT", "ENCODING", "k"}), "k");
  EXPECT_EQ(routing_key({"MEMORY", "USAGE", "k"}), "k");
  EXPECT_FALSE(routing_key({"MEMORY", "STATS"}));
}

TEST(IsReadOnly, KnowsReadsFromWrites) {
  EXPECT_TRUE(is_read_only({"GET", "a"}));
  EXPECT_TRUE(is_read_only({"hgetall", "h"}));
  EXPECT_TRUE(is_read_only({"XRANGE", "s", "-", "+"}));
  EXPECT_FALSE(is_read_only({"SET", "a", "1"}));
  EXPECT_FALSE(is_read_only({"EVAL", "s", "0"}));
  EXPECT_FALSE(is_read_only({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}));
  EXPECT_FALSE(is_read_only({}));
}

TEST(CheckCommand, RejectsAnEmptyCommand) {
  EXPECT_EQ(check_command({}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(check_command({"PING"}).ok());
}

TEST(CommandName, IsUpperCase) {
  EXPECT_EQ(command_name({"hgetall", "x"}), "HGETALL");
  EXPECT_EQ(command_name({}), "(empty command)");
}

}  // namespace
}  // namespace courier::redis
