// What a captured change (insert, update, delete) becomes in each structure: deletes remove
// what the row put there, updates that change a row's identity move it, unsent values are
// left alone or refused with the reason (docs/change-capture.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pg_to_redis/structure_writer.h"

namespace courier::pg_to_redis {
namespace {

using redis::Command;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RedisValue value(std::string bytes) {
  return {std::move(bytes), false};
}

SyncRow change(RowChangeKind kind, SyncRow::Fields fields, std::vector<std::string> unsent = {}) {
  SyncRow row;
  row.kind = kind;
  row.fields = std::move(fields);
  row.unsent = std::move(unsent);
  return row;
}

SyncRow update_from(SyncRow::Fields before, SyncRow::Fields after,
                    std::vector<std::string> unsent_before = {}) {
  SyncRow row = change(RowChangeKind::kUpdate, std::move(after));
  row.before = std::move(before);
  row.unsent_before = std::move(unsent_before);
  return row;
}

TaskConfig task(Structure structure) {
  TaskConfig t;
  t.name = "accounts";
  t.table.name = "accounts";
  t.table_as_written = "accounts";
  t.structure = structure;
  t.key = "id";
  t.value = "owner";
  t.score = "balance";
  t.fields = {"id", "owner", "note"};
  t.key_template = {{{false, "acct:"}, {true, "id"}}};
  return t;
}

BatchCommands build(const TaskConfig& t, SyncRow row) {
  return build_commands(t, {.rows = {std::move(row)}, .checkpoint = ""});
}

TEST(ChangeCommands, DeleteRemovesWhatTheRowPutThere) {
  const SyncRow deleted =
      change(RowChangeKind::kDelete, {{"id", value("7")}, {"owner", value("ann")}},
             {"note", "balance"});
  EXPECT_THAT(build(task(Structure::kMap), deleted).commands,
              ElementsAre(Command{"HDEL", "accounts", "7"}));
  EXPECT_THAT(build(task(Structure::kSet), deleted).commands,
              ElementsAre(Command{"SREM", "accounts", "ann"}));
  EXPECT_THAT(build(task(Structure::kSortedSet), deleted).commands,
              ElementsAre(Command{"ZREM", "accounts", "ann"}));
  EXPECT_THAT(build(task(Structure::kHash), deleted).commands,
              ElementsAre(Command{"DEL", "acct:7"}));
  EXPECT_THAT(build(task(Structure::kString), deleted).commands,
              ElementsAre(Command{"DEL", "acct:7"}));
}

TEST(ChangeCommands, DeleteOnAppendOnlyStructuresIsAnEntry) {
  const SyncRow deleted =
      change(RowChangeKind::kDelete, {{"id", value("7")}, {"owner", value("a\"b")}}, {"note"});
  EXPECT_THAT(build(task(Structure::kList), deleted).commands,
              ElementsAre(Command{"LPUSH", "accounts", R"({"op":"delete","value":"a\"b"})"}));
  // The stream entry carries the fields the delete had; the unsent one is left out.
  EXPECT_THAT(build(task(Structure::kStream), deleted).commands,
              ElementsAre(Command{"XADD", "accounts", "*", "op", "delete", "id", "7", "owner",
                                  "a\"b"}));
}

TEST(ChangeCommands, StreamEntriesOfChangesSayWhatHappened) {
  const SyncRow inserted =
      change(RowChangeKind::kInsert,
             {{"id", value("1")}, {"owner", value("ann")}, {"note", value("hi")}});
  EXPECT_THAT(build(task(Structure::kStream), inserted).commands,
              ElementsAre(Command{"XADD", "accounts", "*", "op", "insert", "id", "1", "owner",
                                  "ann", "note", "hi"}));
}

TEST(ChangeCommands, DeleteThatLacksTheValueTheStructureNeedsIsRefusedWithTheReason) {
  const SyncRow deleted = change(RowChangeKind::kDelete, {{"id", value("7")}}, {"owner"});
  BatchCommands out = build(task(Structure::kSet), deleted);
  EXPECT_THAT(out.commands, IsEmpty());
  ASSERT_EQ(out.skipped.size(), 1u);
  EXPECT_THAT(out.skipped[0].reason, HasSubstr("REPLICA IDENTITY FULL"));
  EXPECT_THAT(out.skipped[0].reason, HasSubstr("'owner'"));
}

TEST(ChangeCommands, UpdateThatChangedTheMemberMovesIt) {
  const SyncRow moved = update_from({{"id", value("1")}, {"owner", value("ann")}},
                                    {{"id", value("1")}, {"owner", value("bob")},
                                     {"balance", value("5")}});
  EXPECT_THAT(build(task(Structure::kSet), moved).commands,
              ElementsAre(Command{"SREM", "accounts", "ann"}, Command{"SADD", "accounts", "bob"}));
  EXPECT_THAT(build(task(Structure::kSortedSet), moved).commands,
              ElementsAre(Command{"ZREM", "accounts", "ann"},
                          Command{"ZADD", "accounts", "5", "bob"}));
}

TEST(ChangeCommands, UpdateThatChangedTheKeyMovesTheRowKeyAndTheMapField) {
  const SyncRow moved = update_from({{"id", value("1")}}, {{"id", value("2")},
                                                           {"owner", value("ann")},
                                                           {"note", value("n")}},
                                    {"owner", "note"});
  TaskConfig hash = task(Structure::kHash);
  hash.fields = {"owner", "note"};
  EXPECT_THAT(build(hash, moved).commands,
              ElementsAre(Command{"DEL", "acct:1"},
                          Command{"HSET", "acct:2", "owner", "ann", "note", "n"}));
  EXPECT_THAT(build(task(Structure::kMap), moved).commands,
              ElementsAre(Command{"HDEL", "accounts", "1"}, Command{"HSET", "accounts", "2",
                                                                     "ann"}));
}

TEST(ChangeCommands, UpdateWhoseIdentityStayedOrIsUnknownMovesNothing) {
  const SyncRow same = update_from({{"id", value("1")}, {"owner", value("ann")}},
                                   {{"id", value("1")}, {"owner", value("ann")}});
  EXPECT_THAT(build(task(Structure::kSet), same).commands,
              ElementsAre(Command{"SADD", "accounts", "ann"}));
  // The old row came with its key only: the old member is not known, nothing is removed.
  const SyncRow key_only =
      update_from({{"id", value("1")}}, {{"id", value("2")}, {"owner", value("bob")}}, {"owner"});
  EXPECT_THAT(build(task(Structure::kSet), key_only).commands,
              ElementsAre(Command{"SADD", "accounts", "bob"}));
}

TEST(ChangeCommands, HashLeavesUnchangedToastedFieldsAlone) {
  TaskConfig t = task(Structure::kHash);
  const SyncRow updated =
      change(RowChangeKind::kUpdate, {{"id", value("3")}, {"owner", value("cy")}}, {"note"});
  EXPECT_THAT(build(t, updated).commands,
              ElementsAre(Command{"HSET", "acct:3", "id", "3", "owner", "cy"}));
}

TEST(ChangeCommands, StructuresThatNeedTheUnsentValueRefuseTheUpdateWithTheReason) {
  const SyncRow updated =
      change(RowChangeKind::kUpdate, {{"id", value("3")}, {"owner", value("cy")}}, {"note"});
  for (Structure structure : {Structure::kString, Structure::kStream}) {
    BatchCommands out = build(task(structure), updated);
    EXPECT_THAT(out.commands, IsEmpty());
    ASSERT_EQ(out.skipped.size(), 1u);
    EXPECT_THAT(out.skipped[0].reason, HasSubstr("TOASTed value of 'note' unchanged"));
  }
}

TEST(ChangeCommands, PerRowKeysAreFoundByTheirTemplatesFixedText) {
  TaskConfig t = task(Structure::kHash);
  EXPECT_EQ(per_row_key_pattern(t), "acct:*");
  t.key_prefix = "shop[1]*:";
  t.key_template = {{{true, "tenant"}, {false, ":acct?"}, {true, "id"}}};
  EXPECT_EQ(per_row_key_pattern(t), R"(shop\[1\]\*:*:acct\?*)");
}

TEST(ChangeCommands, TruncateOfPerRowKeysIsLeftToTheWriterUnlessThePatternMatchesAll) {
  SyncRow truncated;
  truncated.kind = RowChangeKind::kTruncate;
  for (Structure structure : {Structure::kHash, Structure::kString}) {
    BatchCommands out = build(task(structure), truncated);
    EXPECT_THAT(out.commands, IsEmpty());
    EXPECT_THAT(out.skipped, IsEmpty());
    EXPECT_EQ(out.rows_written, 1u);
  }
  TaskConfig bare = task(Structure::kHash);
  bare.key_template = {{{true, "id"}}};
  BatchCommands refused = build(bare, truncated);
  ASSERT_EQ(refused.skipped.size(), 1u);
  EXPECT_THAT(refused.skipped[0].reason, HasSubstr("no fixed text"));
}

}  // namespace
}  // namespace courier::pg_to_redis
