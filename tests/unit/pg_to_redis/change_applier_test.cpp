// ChangeApplier against the in-memory Redis fake: changes become the task's commands, a
// stream started again from an older LSN (after a crash, before the flush was confirmed)
// writes nothing twice, changes already in a task's snapshot are skipped, and a table that
// lost a column the task writes stops the capture; a string task's JSON is typed as polling
// types it.
#include "pg_to_redis/change_applier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_redis_client.h"

namespace courier::pg_to_redis {
namespace {

using redis::Command;
using ::testing::ElementsAre;

std::shared_ptr<const pg::Relation> accounts(bool with_owner = true) {
  auto relation = std::make_shared<pg::Relation>();
  relation->id = 16384;
  relation->schema = "public";
  relation->name = "accounts";
  relation->columns.push_back({.name = "id", .type = 23, .in_key = true});
  if (with_owner) relation->columns.push_back({.name = "owner", .type = 25});
  return relation;
}

pg::RowChange insert(pg::Lsn commit_lsn, uint32_t position, int id, const std::string& owner,
                     std::shared_ptr<const pg::Relation> relation = accounts()) {
  pg::RowChange change;
  change.kind = pg::RowChange::Kind::kInsert;
  change.commit_lsn = commit_lsn;
  change.position = position;
  std::vector<pg::ResultColumn> columns;
  std::vector<std::optional<std::string>> values;
  for (const pg::RelationColumn& column : relation->columns) {
    columns.push_back({column.name, column.type});
    values.push_back(column.name == "id" ? std::to_string(id) : owner);
  }
  change.relation = std::move(relation);
  change.row = pg::QueryResult::from_values(columns, {values});
  return change;
}

pg::RowChange commit(pg::Lsn commit_lsn) {
  pg::RowChange change;
  change.kind = pg::RowChange::Kind::kCommit;
  change.commit_lsn = commit_lsn;
  change.end_lsn = commit_lsn + 8;
  return change;
}

TaskConfig stream_task() {
  TaskConfig t;
  t.name = "accounts_stream";
  t.table = {"public", "accounts"};
  t.table_as_written = "accounts";
  t.structure = Structure::kStream;
  t.fields = {"owner"};
  t.capture = Capture::kWal;
  return t;
}

Command xadd(const std::string& op, const std::string& owner) {
  return {"XADD", "accounts", "*", "op", op, "owner", owner};
}

TEST(ChangePosition, IsWrittenAndReadBackAndOrderedByCommitThenPlace) {
  const ChangePosition at{0x16B3F28, 3};
  EXPECT_EQ(at.to_string(), "0/16B3F28#3");
  EXPECT_EQ(ChangePosition::parse("0/16B3F28#3"), at);
  EXPECT_LT((ChangePosition{0x10, 9}), (ChangePosition{0x11, 0}));
  EXPECT_LT((ChangePosition{0x10, 1}), (ChangePosition{0x10, 2}));
  for (const char* text : {"", "0/16B3F28", "[\"2024-05-01\",\"7\"]", "0/1#x", "x#1"})
    EXPECT_FALSE(ChangePosition::parse(text).has_value()) << text;
}

TEST(ChangeApplier, AStreamStartedAgainFromAnOlderLsnWritesEachChangeOnce) {
  FakeRedisClient redis;
  const TaskConfig task = stream_task();
  const std::vector<pg::RowChange> first = {insert(100, 0, 1, "ann"), insert(100, 1, 2, "bob"),
                                            commit(100), insert(200, 0, 3, "cy"), commit(200)};
  {
    ChangeApplier applier({&task}, redis, {});
    EXPECT_TRUE(applier.apply(first).all_ok());
  }
  // The process died before the flush was confirmed: the slot sends everything again.
  std::vector<pg::RowChange> again = first;
  again.push_back(insert(300, 0, 4, "dee"));
  again.push_back(commit(300));
  ChangeApplier restarted({&task}, redis, {});
  EXPECT_TRUE(restarted.apply(again).all_ok());
  EXPECT_THAT(redis.applied, ElementsAre(xadd("insert", "ann"), xadd("insert", "bob"),
                                         xadd("insert", "cy"), xadd("insert", "dee")));
  EXPECT_EQ(restarted.counts().skipped, 3u);
  EXPECT_EQ(restarted.counts().written, 1u);
  EXPECT_EQ(redis.strings.at("checkpoint:accounts_stream"), "0/12C#0");
}

TEST(ChangeApplier, ChangesCommittedBeforeTheTasksSnapshotAreSkipped) {
  FakeRedisClient redis;
  const TaskConfig task = stream_task();
  ChangeApplier applier({&task}, redis, {.snapshot_lsns = {{"accounts_stream", 250}}});
  const std::vector<pg::RowChange> changes = {insert(100, 0, 1, "ann"), commit(100),
                                              insert(300, 0, 2, "bob"), commit(300)};
  EXPECT_TRUE(applier.apply(changes).all_ok());
  EXPECT_THAT(redis.applied, ElementsAre(xadd("insert", "bob")));
}

TEST(ChangeApplier, ChangesOfOtherTablesAreNotTheTasks) {
  FakeRedisClient redis;
  const TaskConfig task = stream_task();
  auto other = std::make_shared<pg::Relation>(*accounts());
  other->name = "orders";
  ChangeApplier applier({&task}, redis, {});
  EXPECT_TRUE(applier.apply(std::vector{insert(100, 0, 1, "ann", other), commit(100)}).all_ok());
  EXPECT_TRUE(redis.applied.empty());
}

TEST(ChangeApplier, ATableThatLostAColumnTheTaskWritesStopsTheCapture) {
  FakeRedisClient redis;
  const TaskConfig task = stream_task();
  ChangeApplier applier({&task}, redis, {});
  ApplyResult result = applier.apply(std::vector{insert(100, 0, 1, "", accounts(false))});
  ASSERT_TRUE(result.is_fatal());
  EXPECT_THAT(result.fatal().message(), ::testing::HasSubstr("no column 'owner'"));
  EXPECT_TRUE(redis.applied.empty());
}

TEST(ChangeApplier, AFailedWriteFailsTheBatchSoTheStreamDeliversItAgain) {
  FakeRedisClient redis;
  redis.down = true;
  const TaskConfig task = stream_task();
  ChangeApplier applier({&task}, redis, {});
  ApplyResult result = applier.apply(std::vector{insert(100, 0, 1, "ann"), commit(100)});
  EXPECT_EQ(result.failed().size(), 2u);
  redis.down = false;
  EXPECT_TRUE(applier.apply(std::vector{insert(100, 0, 1, "ann"), commit(100)}).all_ok());
  EXPECT_THAT(redis.applied, ElementsAre(xadd("insert", "ann")));
}

// Change capture converts through the same RowConverter as polling: a `string` task's JSON
// has typed values by default, and strings only with `json_values: text`.
TEST(ChangeApplier, AStringTasksJsonIsTypedAsPollingWritesIt) {
  for (JsonValues mode : {JsonValues::kTyped, JsonValues::kText}) {
    FakeRedisClient redis;
    TaskConfig task = stream_task();
    task.structure = Structure::kString;
    task.key_template = KeyTemplate{{{false, "account:"}, {true, "id"}}};
    task.fields = {"id", "owner"};
    task.json_values = mode;
    ChangeApplier applier({&task}, redis, {});
    EXPECT_TRUE(applier.apply(std::vector{insert(100, 0, 7, "ann"), commit(100)}).all_ok());
    const std::string document =
        mode == JsonValues::kTyped ? R"({"id":7,"owner":"ann"})" : R"({"id":"7","owner":"ann"})";
    EXPECT_THAT(redis.applied, ElementsAre(Command{"SET", "account:7", document}));
  }
}

}  // namespace
}  // namespace courier::pg_to_redis
