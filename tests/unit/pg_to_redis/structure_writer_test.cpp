// The commands each structure becomes, where the checkpoint lives, and what the writer
// does when a reply is lost — against an in-memory fake client (no servers).
#include "pg_to_redis/structure_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "fake_redis_client.h"
#include "redis/errors.h"
#include "redis/slot.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using redis::Command;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

RedisValue value(std::string bytes) {
  return {std::move(bytes), false};
}
RedisValue null_value() {
  return {"", true};
}

SyncRow row(std::vector<std::pair<std::string, RedisValue>> fields) {
  return {std::move(fields)};
}

TaskConfig task(Structure structure) {
  TaskConfig t;
  t.name = "orders_task";
  t.table.name = "orders";
  t.table_as_written = "orders";
  t.structure = structure;
  t.tracking = TrackingConfig{.column = "updated_at", .last_value_key = "checkpoint:orders_task"};
  return t;
}

KeyTemplate order_template() {
  return {{{false, "order:"}, {true, "id"}}};
}

WriteBatch batch(std::vector<SyncRow> rows, std::string checkpoint = "cp-1") {
  return {std::move(rows), std::move(checkpoint)};
}

TEST(StructureWriterCommands, MapIsHsetOfKeyAndValue) {
  TaskConfig t = task(Structure::kMap);
  t.key = "id";
  t.value = "status";
  BatchCommands out =
      build_commands(t, batch({row({{"id", value("1")}, {"status", value("paid")}}),
                               row({{"id", value("2")}, {"status", null_value()}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"HSET", "orders", "1", "paid"},
                                        Command{"HSET", "orders", "2", ""}));
  EXPECT_EQ(out.rows_written, 2u);
  EXPECT_THAT(out.skipped, IsEmpty());
}

TEST(StructureWriterCommands, ListIsLpushThenOneLtrimAndPexpirePerBatch) {
  TaskConfig t = task(Structure::kList);
  t.value = "id";
  t.alias = "recent";
  t.key_prefix = "shop:";
  t.max_length = 100;
  t.ttl = 60s;
  BatchCommands out =
      build_commands(t, batch({row({{"id", value("1")}}), row({{"id", value("2")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"LPUSH", "shop:recent", "1"},
                                        Command{"LPUSH", "shop:recent", "2"},
                                        Command{"LTRIM", "shop:recent", "0", "99"},
                                        Command{"PEXPIRE", "shop:recent", "60000"}));
  EXPECT_THAT(out.command_rows,
              ElementsAre(0u, 1u, BatchCommands::kWholeBatch, BatchCommands::kWholeBatch));
}

TEST(StructureWriterCommands, SetIsSadd) {
  TaskConfig t = task(Structure::kSet);
  t.value = "sku";
  BatchCommands out = build_commands(t, batch({row({{"sku", value("A-1")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"SADD", "orders", "A-1"}));
}

TEST(StructureWriterCommands, SortedSetIsZaddScoreMember) {
  TaskConfig t = task(Structure::kSortedSet);
  t.value = "id";
  t.score = "total";
  BatchCommands out =
      build_commands(t, batch({row({{"id", value("7")}, {"total", value("12.5")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"ZADD", "orders", "12.5", "7"}));
}

TEST(StructureWriterCommands, RowsWithUnusableScoreOrMissingFieldAreReportedAndSkipped) {
  TaskConfig t = task(Structure::kSortedSet);
  t.value = "id";
  t.score = "total";
  BatchCommands out = build_commands(
      t, batch({row({{"id", value("1")}, {"total", value("abc")}}),
                row({{"id", value("2")}, {"total", value("3")}}),
                row({{"id", value("3")}, {"total", null_value()}}),
                row({{"id", value("4")}, {"total", value("inf")}}), row({{"id", value("5")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"ZADD", "orders", "3", "2"}));
  EXPECT_EQ(out.rows_written, 1u);
  ASSERT_EQ(out.skipped.size(), 4u);
  EXPECT_EQ(out.skipped[0].row, 0u);
  EXPECT_THAT(out.skipped[0].reason, ::testing::HasSubstr("'abc' is not a finite number"));
  EXPECT_EQ(out.skipped[1].row, 2u);
  EXPECT_THAT(out.skipped[1].reason, ::testing::HasSubstr("NULL"));
  EXPECT_EQ(out.skipped[2].row, 3u);
  EXPECT_EQ(out.skipped[3].row, 4u);
  EXPECT_EQ(out.skipped[3].reason, "row has no field 'total'");
}

TEST(StructureWriterCommands, StreamIsXaddOfFieldsInListedOrderWithApproximateMaxlen) {
  TaskConfig t = task(Structure::kStream);
  t.fields = {"status", "id", "note"};
  t.maxlen = 1000;
  // The row's order differs from `fields`: the fields' order wins; NULL is "".
  BatchCommands out = build_commands(
      t, batch({row({{"id", value("1")}, {"note", null_value()}, {"status", value("new")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"XADD", "orders", "MAXLEN", "~", "1000", "*",
                                                "status", "new", "id", "1", "note", ""}));
}

TEST(StructureWriterCommands, StreamWithoutMaxlenHasNoTrim) {
  TaskConfig t = task(Structure::kStream);
  t.fields = {"id"};
  BatchCommands out = build_commands(t, batch({row({{"id", value("1")}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"XADD", "orders", "*", "id", "1"}));
}

TEST(StructureWriterCommands, HashSetsNonNullFieldsAndDeletesNullOnesPerRowKey) {
  TaskConfig t = task(Structure::kHash);
  t.key_template = order_template();
  t.key_prefix = "shop:";
  t.fields = {"id", "status", "note"};
  t.ttl = 2s;
  BatchCommands out = build_commands(
      t, batch({row({{"id", value("1")}, {"status", value("paid")}, {"note", null_value()}}),
                row({{"id", value("2")}, {"status", value("new")}, {"note", value("hi")}})}));
  EXPECT_THAT(out.commands,
              ElementsAre(Command{"HSET", "shop:order:1", "id", "1", "status", "paid"},
                          Command{"HDEL", "shop:order:1", "note"},
                          Command{"PEXPIRE", "shop:order:1", "2000"},
                          Command{"HSET", "shop:order:2", "id", "2", "status", "new", "note", "hi"},
                          Command{"PEXPIRE", "shop:order:2", "2000"}));
  EXPECT_THAT(out.command_rows, ElementsAre(0u, 0u, 0u, 1u, 1u));
}

TEST(StructureWriterCommands, HashRowWithNullKeyColumnIsSkipped) {
  TaskConfig t = task(Structure::kHash);
  t.key_template = order_template();
  t.fields = {"status"};
  BatchCommands out =
      build_commands(t, batch({row({{"id", null_value()}, {"status", value("x")}})}));
  EXPECT_THAT(out.commands, IsEmpty());
  ASSERT_EQ(out.skipped.size(), 1u);
  EXPECT_THAT(out.skipped[0].reason, ::testing::HasSubstr("key column 'id' is NULL"));
}

TEST(StructureWriterCommands, StringIsSetOfJsonObjectWithTtlAsPx) {
  TaskConfig t = task(Structure::kString);
  t.key_template = order_template();
  t.fields = {"id", "note", "gone"};
  t.ttl = 1500ms;
  BatchCommands out = build_commands(
      t, batch({row(
             {{"id", value("1")}, {"note", value("say \"hi\"\n\\")}, {"gone", null_value()}})}));
  EXPECT_THAT(out.commands, ElementsAre(Command{"SET", "order:1",
                                                R"({"id":"1","note":"say \"hi\"\n\\","gone":null})",
                                                "PX", "1500"}));
}

TEST(CheckpointKey, StandaloneKeepsLastValueKey) {
  TaskConfig t = task(Structure::kList);
  EXPECT_EQ(checkpoint_key_for(t, /*cluster=*/false), "checkpoint:orders_task");
  t.tracking.reset();
  EXPECT_EQ(checkpoint_key_for(t, false), "checkpoint:orders_task");
}

TEST(CheckpointKey, ClusterTagsTheCheckpointWithTheDataKey) {
  TaskConfig t = task(Structure::kStream);
  t.alias = "order:stream";
  std::string key = checkpoint_key_for(t, /*cluster=*/true);
  EXPECT_EQ(key, "{order:stream}checkpoint:orders_task");
  EXPECT_EQ(redis::key_slot(key), redis::key_slot("order:stream"));
}

TEST(CheckpointKey, ClusterReusesTheDataKeysOwnHashTag) {
  TaskConfig t = task(Structure::kList);
  t.alias = "{shop}:recent";
  EXPECT_EQ(checkpoint_key_for(t, true), "{shop}checkpoint:orders_task");
  t.tracking->last_value_key = "{shop}:cp";  // already in the slot: kept as written
  EXPECT_EQ(checkpoint_key_for(t, true), "{shop}:cp");
}

TEST(CheckpointKey, ClusterDataKeyWithStrayBraceGetsASearchedTag) {
  TaskConfig t = task(Structure::kSet);
  t.alias = "odd}key";
  std::string key = checkpoint_key_for(t, true);
  EXPECT_EQ(redis::key_slot(key), redis::key_slot("odd}key"));
  EXPECT_THAT(key, ::testing::StartsWith("{ckpt-"));
}

TEST(CheckpointKey, ClusterPerRowStructuresKeepLastValueKey) {
  TaskConfig t = task(Structure::kHash);
  EXPECT_EQ(checkpoint_key_for(t, true), "checkpoint:orders_task");
}

TaskConfig list_task() {
  TaskConfig t = task(Structure::kList);
  t.value = "id";
  return t;
}

TEST(StructureWriter, WritesDataAndCheckpointInOneTransaction) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  Result<WriteReport> report = writer.write(batch({row({{"id", value("1")}})}, "cp-1"));
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->rows_written, 1u);
  EXPECT_EQ(client.transactions, 1);
  EXPECT_EQ(client.strings["checkpoint:orders_task"], "cp-1");
  Result<std::optional<std::string>> stored = writer.read_checkpoint();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, "cp-1");
}

TEST(StructureWriter, LostReplyOfAnAppliedBatchIsNotResent) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  client.lose_next_reply = true;
  Result<WriteReport> report = writer.write(batch({row({{"id", value("1")}})}, "cp-1"));
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->rows_written, 1u);
  EXPECT_EQ(client.transactions, 1);  // the checkpoint showed it was applied
  EXPECT_THAT(client.applied, ElementsAre(Command{"LPUSH", "orders", "1"}));
}

TEST(StructureWriter, SameBatchTwiceIsWrittenOnce) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  WriteBatch b = batch({row({{"id", value("1")}})}, "cp-1");
  ASSERT_TRUE(writer.write(b).ok());
  Result<WriteReport> again = writer.write(b);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_applied);
  // A new writer (a restarted process) finds the checkpoint in Redis.
  StructureWriter restarted(client, t);
  Result<WriteReport> third = restarted.write(b);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->already_applied);
  EXPECT_THAT(client.applied, ElementsAre(Command{"LPUSH", "orders", "1"}));
}

TEST(StructureWriter, UnreachableServerFailsRetryablyAndChecksBeforeTheNextWrite) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  ASSERT_TRUE(writer.write(batch({row({{"id", value("1")}})}, "cp-1")).ok());
  client.down = true;
  Result<WriteReport> failed = writer.write(batch({row({{"id", value("2")}})}, "cp-2"));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().retryable());
  client.down = false;
  ASSERT_TRUE(writer.write(batch({row({{"id", value("2")}})}, "cp-2")).ok());
  EXPECT_THAT(client.applied,
              ElementsAre(Command{"LPUSH", "orders", "1"}, Command{"LPUSH", "orders", "2"}));
}

TEST(StructureWriter, BadRowIsReportedAndTheRestWritten) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  Result<WriteReport> report = writer.write(
      batch({row({{"id", value("1")}}), row({{"other", value("x")}}), row({{"id", value("3")}})}));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->rows_written, 2u);
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_EQ(report->skipped[0].row, 1u);
  EXPECT_THAT(client.applied,
              ElementsAre(Command{"LPUSH", "orders", "1"}, Command{"LPUSH", "orders", "3"}));
}

TEST(StructureWriter, AWriterWhoseTaskWasTakenOverIsFencedOff) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter stale(client, t);
  ASSERT_TRUE(stale.read_checkpoint().ok());  // both start from "no checkpoint"
  StructureWriter successor(client, t);
  ASSERT_TRUE(successor.write(batch({row({{"id", value("1")}})}, "cp-1")).ok());
  Result<WriteReport> refused = stale.write(batch({row({{"id", value("1")}})}, "cp-1b"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kAborted);
  EXPECT_THAT(client.applied, ElementsAre(Command{"LPUSH", "orders", "1"}));
  EXPECT_EQ(client.strings["checkpoint:orders_task"], "cp-1");
}

TEST(StructureWriter, IdempotentStructuresAreWrittenEvenWhenTheCheckpointAlreadyHolds) {
  FakeRedisClient client;
  TaskConfig t = task(Structure::kSet);
  t.value = "id";
  StructureWriter writer(client, t);
  ASSERT_TRUE(writer.write(batch({row({{"id", value("1")}})}, "cp-1")).ok());
  // A lookback re-read ending where the last run ended: the late row 2 must still land.
  Result<WriteReport> again =
      writer.write(batch({row({{"id", value("2")}}), row({{"id", value("1")}})}, "cp-1"));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_FALSE(again->already_applied);
  EXPECT_THAT(client.applied,
              ElementsAre(Command{"SADD", "orders", "1"}, Command{"SADD", "orders", "2"},
                          Command{"SADD", "orders", "1"}));
}

// ---- who is at fault: a row, or the server -------------------------------------------------

TaskConfig hash_task() {
  TaskConfig t = task(Structure::kHash);
  t.key_template = order_template();
  t.fields = {"status"};
  return t;
}

WriteBatch three_orders() {
  return batch({row({{"id", value("1")}, {"status", value("a")}}),
                row({{"id", value("2")}, {"status", value("b")}}),
                row({{"id", value("3")}, {"status", value("c")}})},
               "cp-3");
}

// Records every call; fails with `result`.
struct ParkLog {
  std::vector<std::vector<RowError>> calls;
  Status result;
  ParkRows callback() {
    return [this](const std::vector<RowError>& rows) {
      calls.push_back(rows);
      return result;
    };
  }
};

TEST(StructureWriterFaults, AServerStateErrorOnOneRowKeepsTheCheckpointAndParksNothing) {
  for (const char* error :
       {"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist",
        "ERR max number of clients reached", "SOMETHINGNEW an error nobody has seen",
        "OOM command not allowed when used memory > 'maxmemory'."}) {
    FakeRedisClient client;
    TaskConfig t = hash_task();
    client.refusals["order:2"] = error;
    StructureWriter writer(client, t);
    ParkLog parked;
    Result<WriteReport> report = writer.write(three_orders(), parked.callback());
    ASSERT_FALSE(report.ok()) << error;
    EXPECT_TRUE(report.status().retryable()) << report.status().to_string();
    EXPECT_FALSE(client.strings.contains("checkpoint:orders_task")) << error;
    EXPECT_THAT(parked.calls, IsEmpty()) << error;
  }
}

TEST(StructureWriterFaults, ASetupErrorStopsTheWriteWithoutParkingTheRow) {
  FakeRedisClient client;
  TaskConfig t = hash_task();
  client.refusals["order:2"] = "NOPERM this user has no permissions to access one of the keys";
  StructureWriter writer(client, t);
  ParkLog parked;
  Result<WriteReport> report = writer.write(three_orders(), parked.callback());
  ASSERT_FALSE(report.ok());
  EXPECT_FALSE(client.strings.contains("checkpoint:orders_task"));
  EXPECT_THAT(parked.calls, IsEmpty());
}

TEST(StructureWriterFaults, ARowRefusedForItsOwnKeyIsParkedBeforeTheCheckpointMoves) {
  FakeRedisClient client;
  TaskConfig t = hash_task();
  client.refusals["order:2"] = "WRONGTYPE Operation against a key holding the wrong kind of value";
  StructureWriter writer(client, t);
  bool checkpoint_moved_first = false;
  std::vector<RowError> parked;
  Result<WriteReport> report = writer.write(three_orders(), [&](const std::vector<RowError>& rows) {
    checkpoint_moved_first = client.strings.contains("checkpoint:orders_task");
    parked = rows;
    return Status::Ok();
  });
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_FALSE(checkpoint_moved_first);
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].row, 1u);
  EXPECT_EQ(parked[0].code, StatusCode::kFailedPrecondition);
  EXPECT_EQ(parked[0].detail, "WRONGTYPE");
  EXPECT_THAT(parked[0].reason, ::testing::HasSubstr("order:2"));
  EXPECT_EQ(report->rows_written, 2u);
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_EQ(client.strings["checkpoint:orders_task"], "cp-3");
}

TEST(StructureWriterFaults, ARowThatCannotBeParkedKeepsTheCheckpoint) {
  FakeRedisClient client;
  TaskConfig t = hash_task();
  client.refusals["order:2"] = "WRONGTYPE Operation against a key holding the wrong kind of value";
  StructureWriter writer(client, t);
  ParkLog parked{.result = Status(StatusCode::kUnavailable, "dead-letter stream unreachable")};
  Result<WriteReport> report = writer.write(three_orders(), parked.callback());
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.status().retryable());
  EXPECT_EQ(parked.calls.size(), 1u);
  EXPECT_FALSE(client.strings.contains("checkpoint:orders_task"));
}

TEST(StructureWriterFaults, RowsThatCannotBeBuiltAreParkedBeforeTheTransaction) {
  FakeRedisClient client;
  TaskConfig t = list_task();
  StructureWriter writer(client, t);
  int transactions_before_park = -1;
  std::vector<RowError> parked;
  Result<WriteReport> report =
      writer.write(batch({row({{"id", value("1")}}), row({{"other", value("x")}})}, "cp-2"),
                   [&](const std::vector<RowError>& rows) {
                     transactions_before_park = client.transactions;
                     parked = rows;
                     return Status::Ok();
                   });
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(transactions_before_park, 0);
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].row, 1u);
  EXPECT_EQ(parked[0].code, StatusCode::kInvalidArgument);
  EXPECT_EQ(client.strings["checkpoint:orders_task"], "cp-2");
}

}  // namespace
}  // namespace courier::pg_to_redis
