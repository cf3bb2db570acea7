// StructureWriter against real servers: each structure end to end on a standalone Redis,
// stream and list on a Redis Cluster (checkpoint in the data's slot), and no duplicate
// list entries when the same batch is written again after a crash of Redis.
#include "pg_to_redis/structure_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "redis/client.h"
#include "redis/slot.h"
#include "servers.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::shared_cluster;
using testing::shared_redis;
using testing::unique_name;

RedisValue value(std::string bytes) {
  return {std::move(bytes), false};
}
RedisValue null_value() {
  return {"", true};
}

std::unique_ptr<redis::Client> connect(std::vector<std::string> nodes) {
  Result<std::unique_ptr<redis::Client>> client = redis::make_client({.nodes = std::move(nodes)});
  EXPECT_TRUE(client.ok()) << client.status().to_string();
  return std::move(client).value();
}

TaskConfig task(Structure structure, std::string_view prefix) {
  TaskConfig t;
  t.name = unique_name(prefix);
  t.table.name = "orders";
  t.table_as_written = "orders";
  t.alias = t.name + ":data";
  t.structure = structure;
  t.tracking = TrackingConfig{.column = "id", .last_value_key = "checkpoint:" + t.name};
  return t;
}

// Rows id=first..last with status "s<id>".
std::vector<SyncRow> rows(int first, int last) {
  std::vector<SyncRow> out;
  for (int id = first; id <= last; ++id)
    out.push_back(
        {{{"id", value(std::to_string(id))}, {"status", value("s" + std::to_string(id))}}});
  return out;
}

std::vector<std::string> strings_of(const Result<redis::Reply>& reply) {
  std::vector<std::string> out;
  if (!reply.ok()) {
    ADD_FAILURE() << reply.status().to_string();
    return out;
  }
  for (const redis::Reply& element : reply->elements()) out.push_back(element.str());
  return out;
}

std::string string_of(redis::Client& client, const redis::Command& command) {
  Result<redis::Reply> reply = client.command(command);
  EXPECT_TRUE(reply.ok()) << reply.status().to_string();
  return reply.ok() ? reply->str() : "";
}

void expect_written(StructureWriter& writer, const WriteBatch& batch, size_t rows_written) {
  Result<WriteReport> report = writer.write(batch);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->rows_written, rows_written);
  EXPECT_FALSE(report->already_applied);
}

class StructureWriterRedisTest : public ::testing::Test {
 protected:
  std::unique_ptr<redis::Client> client_ = connect({shared_redis().address()});
};

TEST_F(StructureWriterRedisTest, MapHoldsKeyToValueAndTheCheckpoint) {
  TaskConfig t = task(Structure::kMap, "map");
  t.key = "id";
  t.value = "status";
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 3), "3"}, 3);
  EXPECT_EQ(string_of(*client_, {"HGET", t.alias, "2"}), "s2");
  EXPECT_EQ(string_of(*client_, {"GET", "checkpoint:" + t.name}), "3");
  Result<std::optional<std::string>> stored = writer.read_checkpoint();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, "3");
}

TEST_F(StructureWriterRedisTest, ListIsPushedAndTrimmedToMaxLength) {
  TaskConfig t = task(Structure::kList, "list");
  t.value = "id";
  t.max_length = 3;
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 2), "2"}, 2);
  expect_written(writer, {rows(3, 5), "5"}, 3);
  EXPECT_THAT(strings_of(client_->command({"LRANGE", t.alias, "0", "-1"})),
              ElementsAre("5", "4", "3"));
}

TEST_F(StructureWriterRedisTest, SetAndSortedSet) {
  TaskConfig set = task(Structure::kSet, "set");
  set.value = "status";
  StructureWriter set_writer(*client_, set);
  expect_written(set_writer, {rows(1, 2), "2"}, 2);
  EXPECT_THAT(strings_of(client_->command({"SORT", set.alias, "ALPHA"})), ElementsAre("s1", "s2"));

  TaskConfig zset = task(Structure::kSortedSet, "zset");
  zset.value = "status";
  zset.score = "id";
  StructureWriter zset_writer(*client_, zset);
  std::vector<SyncRow> batch = rows(1, 3);
  batch[1].fields[0].second = value("not-a-number");  // reported, the others written
  Result<WriteReport> report = zset_writer.write({batch, "3"});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_EQ(report->skipped[0].row, 1u);
  EXPECT_THAT(strings_of(client_->command({"ZRANGE", zset.alias, "0", "-1", "WITHSCORES"})),
              ElementsAre("s1", "1", "s3", "3"));
}

TEST_F(StructureWriterRedisTest, StreamEntriesHaveFieldsInListedOrderAndAreTrimmed) {
  TaskConfig t = task(Structure::kStream, "stream");
  t.fields = {"status", "id"};
  t.maxlen = 1000;
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 2), "2"}, 2);
  Result<redis::Reply> entries = client_->command({"XRANGE", t.alias, "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_THAT(strings_of((*entries)[1][1]), ElementsAre("status", "s2", "id", "2"));
}

TEST_F(StructureWriterRedisTest, HashPerRowKeysDropFieldsThatBecameNull) {
  TaskConfig t = task(Structure::kHash, "hash");
  t.key_template = {{{false, t.name + ":order:"}, {true, "id"}}};
  t.fields = {"status", "note"};
  t.ttl = 60s;
  StructureWriter writer(*client_, t);
  SyncRow first{{{"id", value("7")}, {"status", value("new")}, {"note", value("hi")}}};
  SyncRow second{{{"id", value("7")}, {"status", value("paid")}, {"note", null_value()}}};
  expect_written(writer, {{first}, "1"}, 1);
  expect_written(writer, {{second}, "2"}, 1);
  const std::string key = t.name + ":order:7";
  EXPECT_THAT(strings_of(client_->command({"HGETALL", key})), ElementsAre("status", "paid"));
  Result<redis::Reply> ttl = client_->command({"PTTL", key});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 0);
  EXPECT_LE(ttl->integer(), 60000);
  EXPECT_EQ(string_of(*client_, {"GET", "checkpoint:" + t.name}), "2");
}

TEST_F(StructureWriterRedisTest, StringPerRowKeysHoldJsonWithTtl) {
  TaskConfig t = task(Structure::kString, "string");
  t.key_template = {{{false, t.name + ":order:"}, {true, "id"}}};
  t.fields = {"id", "status"};
  t.ttl = 30s;
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 2), "2"}, 2);
  EXPECT_EQ(string_of(*client_, {"GET", t.name + ":order:2"}), R"({"id":"2","status":"s2"})");
  Result<redis::Reply> ttl = client_->command({"PTTL", t.name + ":order:1"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 0);
}

TEST_F(StructureWriterRedisTest, TtlOfASingleKeyStructure) {
  TaskConfig t = task(Structure::kList, "ttl");
  t.value = "id";
  t.ttl = 45s;
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 1), "1"}, 1);
  Result<redis::Reply> ttl = client_->command({"PTTL", t.alias});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer(), 0);
  EXPECT_LE(ttl->integer(), 45000);
}

TEST_F(StructureWriterRedisTest, SameBatchWrittenTwiceLeavesEachEntryOnce) {
  TaskConfig t = task(Structure::kList, "twice");
  t.value = "id";
  StructureWriter writer(*client_, t);
  WriteBatch batch{rows(1, 3), "3"};
  expect_written(writer, batch, 3);
  Result<WriteReport> again = writer.write(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_applied);
  StructureWriter restarted(*client_, t);  // a new process retrying the batch
  Result<WriteReport> third = restarted.write(batch);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->already_applied);
  EXPECT_THAT(strings_of(client_->command({"LRANGE", t.alias, "0", "-1"})),
              ElementsAre("3", "2", "1"));
}

TEST_F(StructureWriterRedisTest, RejectedDataLeavesTheCheckpointAsItWas) {
  TaskConfig t = task(Structure::kList, "wrongtype");
  t.value = "id";
  StructureWriter writer(*client_, t);
  expect_written(writer, {rows(1, 1), "1"}, 1);
  ASSERT_TRUE(client_->command({"DEL", t.alias}).ok());
  ASSERT_TRUE(client_->command({"SET", t.alias, "not a list"}).ok());
  Result<WriteReport> report = writer.write({rows(2, 2), "2"});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(report.status().detail(), "WRONGTYPE");
  EXPECT_EQ(string_of(*client_, {"GET", "checkpoint:" + t.name}), "1");
}

TEST_F(StructureWriterRedisTest, AStaleWriterIsRefusedOnceAnotherMovedTheCheckpoint) {
  TaskConfig t = task(Structure::kStream, "fence");
  t.fields = {"id"};
  StructureWriter stale(*client_, t);
  expect_written(stale, {rows(1, 2), "2"}, 2);
  StructureWriter successor(*client_, t);  // another process took the task over
  ASSERT_TRUE(successor.read_checkpoint().ok());
  expect_written(successor, {rows(3, 4), "4"}, 2);
  Result<WriteReport> refused = stale.write({rows(3, 4), "4b"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kAborted) << refused.status().to_string();
  Result<redis::Reply> length = client_->command({"XLEN", t.alias});
  ASSERT_TRUE(length.ok());
  EXPECT_EQ(length->integer(), 4);
  EXPECT_EQ(string_of(*client_, {"GET", "checkpoint:" + t.name}), "4");
}

// Redis dies right after a batch was applied (AOF, fsync always); the process retries the
// same batch after Redis is back: the checkpoint shows it was applied, nothing is re-pushed.
TEST(StructureWriterCrash, KilledRedisThenRetriedBatchIsNotDuplicated) {
  auto server = testing::RedisServer::start({.append_only = true});
  std::unique_ptr<redis::Client> client = connect({server->address()});
  TaskConfig t = task(Structure::kList, "crash");
  t.value = "id";
  StructureWriter writer(*client, t);
  WriteBatch batch{rows(1, 3), "3"};
  expect_written(writer, batch, 3);
  server->kill9();
  server->restart();

  std::unique_ptr<redis::Client> after = connect({server->address()});
  StructureWriter retrying(*after, t);
  Result<WriteReport> retried = retrying.write(batch);
  ASSERT_TRUE(retried.ok()) << retried.status().to_string();
  EXPECT_TRUE(retried->already_applied);
  expect_written(retrying, {rows(4, 4), "4"}, 1);
  // The first writer's connection died with the server: its send fails with an unknown
  // outcome, the checkpoint read back says "not applied", and the batch is re-sent once.
  Result<WriteReport> next = writer.write({rows(5, 5), "5"});
  ASSERT_TRUE(next.ok()) << next.status().to_string();
  EXPECT_THAT(strings_of(after->command({"LRANGE", t.alias, "0", "-1"})),
              ElementsAre("5", "4", "3", "2", "1"));
}

class StructureWriterClusterTest : public ::testing::Test {
 protected:
  std::unique_ptr<redis::Client> client_ = connect(shared_cluster().node_addresses());
};

TEST_F(StructureWriterClusterTest, StreamAndCheckpointShareASlotAndOneTransaction) {
  TaskConfig t = task(Structure::kStream, "cstream");
  t.fields = {"id", "status"};
  StructureWriter writer(*client_, t, {.cluster = true});
  EXPECT_EQ(redis::key_slot(writer.checkpoint_key()), redis::key_slot(t.alias));
  EXPECT_NE(writer.checkpoint_key(), t.tracking->last_value_key);
  expect_written(writer, {rows(1, 3), "3"}, 3);
  Result<redis::Reply> length = client_->command({"XLEN", t.alias});
  ASSERT_TRUE(length.ok());
  EXPECT_EQ(length->integer(), 3);
  EXPECT_EQ(string_of(*client_, {"GET", writer.checkpoint_key()}), "3");
  Result<WriteReport> again =
      StructureWriter(*client_, t, {.cluster = true}).write({rows(1, 3), "3"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_applied);
}

TEST_F(StructureWriterClusterTest, ListWithOwnHashTagKeepsItsTag) {
  TaskConfig t = task(Structure::kList, "clist");
  t.alias = "{" + t.name + "}:recent";
  t.value = "id";
  t.max_length = 2;
  StructureWriter writer(*client_, t, {.cluster = true});
  EXPECT_EQ(writer.checkpoint_key(), "{" + t.name + "}checkpoint:" + t.name);
  expect_written(writer, {rows(1, 3), "3"}, 3);
  EXPECT_THAT(strings_of(client_->command({"LRANGE", t.alias, "0", "-1"})), ElementsAre("3", "2"));
}

TEST_F(StructureWriterClusterTest, HashRowsSpreadOverSlots) {
  TaskConfig t = task(Structure::kHash, "chash");
  t.key_template = {{{false, t.name + ":order:"}, {true, "id"}}};
  t.fields = {"status"};
  StructureWriter writer(*client_, t, {.cluster = true});
  expect_written(writer, {rows(1, 20), "20"}, 20);
  EXPECT_EQ(string_of(*client_, {"HGET", t.name + ":order:17", "status"}), "s17");
  EXPECT_EQ(string_of(*client_, {"GET", "checkpoint:" + t.name}), "20");
}

}  // namespace
}  // namespace courier::pg_to_redis
