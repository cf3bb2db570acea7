// RowChangeDecoder: pgoutput messages become row changes shaped like query results, each
// numbered within its transaction, under the Relation in force when it was made.
#include "pg/row_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace courier::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TupleValue text(std::string value) {
  return {TupleValue::Kind::kText, std::move(value)};
}
TupleValue null() {
  return {TupleValue::Kind::kNull, ""};
}
TupleValue unchanged() {
  return {TupleValue::Kind::kUnchangedToast, ""};
}

Relation accounts(std::vector<std::string> names = {"aid", "abalance", "filler"}) {
  Relation relation{.id = 42, .schema = "public", .name = "accounts"};
  std::vector<TypeOid> types = {23, 23, 25, 25};
  for (size_t i = 0; i < names.size(); ++i)
    relation.columns.push_back({.name = names[i], .type = types[i], .in_key = i == 0});
  return relation;
}

class RowChangeDecoderTest : public ::testing::Test {
 protected:
  std::optional<RowChange> feed(const PgOutputMessage& message) {
    auto change = decoder_.decode(message);
    EXPECT_TRUE(change.ok()) << change.status().to_string();
    return change.ok() ? std::move(*change) : std::nullopt;
  }
  Status refusal(const PgOutputMessage& message) {
    auto change = decoder_.decode(message);
    EXPECT_FALSE(change.ok());
    return change.status();
  }
  RowChangeDecoder decoder_;
};

TEST_F(RowChangeDecoderTest, AnInsertIsAOneRowResultWithTheTablesNamesAndTypes) {
  EXPECT_EQ(feed(accounts()), std::nullopt);
  EXPECT_EQ(feed(Begin{.final_lsn = 0x500, .xid = 9}), std::nullopt);
  auto insert = feed(RowInsert{.relation = 42, .new_row = {text("7"), text("-3"), null()}});
  ASSERT_TRUE(insert);
  EXPECT_EQ(insert->kind, RowChange::Kind::kInsert);
  EXPECT_EQ(insert->commit_lsn, 0x500u);
  EXPECT_EQ(insert->position, 0u);
  EXPECT_EQ(insert->relation->name, "accounts");
  ASSERT_TRUE(insert->row);
  EXPECT_EQ(insert->row->row_count(), 1);
  EXPECT_EQ(insert->row->column_name(1), "abalance");
  EXPECT_EQ(insert->row->column_type(1), 23u);
  EXPECT_EQ(insert->row->get(0, 1), "-3");
  EXPECT_TRUE(insert->row->is_null(0, 2));
  EXPECT_TRUE(insert->unchanged.empty());
}

TEST_F(RowChangeDecoderTest, ChangesAreNumberedWithinTheirTransactionAndTheCommitEndsIt) {
  feed(accounts());
  feed(Begin{.final_lsn = 0x500});
  EXPECT_EQ(feed(RowInsert{42, {text("1"), text("0"), null()}})->position, 0u);
  EXPECT_EQ(feed(RowDelete{42, OldRow::kKey, {text("1"), null(), null()}})->position, 1u);
  auto commit = feed(Commit{.commit_lsn = 0x500, .end_lsn = 0x530});
  ASSERT_TRUE(commit);
  EXPECT_EQ(commit->kind, RowChange::Kind::kCommit);
  EXPECT_EQ(commit->end_lsn, 0x530u);
  EXPECT_EQ(commit->position, 2u);
  feed(Begin{.final_lsn = 0x600});
  EXPECT_EQ(feed(RowInsert{42, {text("2"), text("0"), null()}})->position, 0u);
}

TEST_F(RowChangeDecoderTest, AnUnchangedToastValueIsListedNotMadeNull) {
  feed(accounts());
  feed(Begin{.final_lsn = 1});
  auto update = feed(RowUpdate{.relation = 42, .new_row = {text("7"), text("5"), unchanged()}});
  ASSERT_TRUE(update);
  EXPECT_THAT(update->unchanged, ElementsAre(2));
  EXPECT_EQ(update->old_kind, OldRow::kNone);
  EXPECT_FALSE(update->old_row);
  // An insert always carries every value: 'u' there is a broken stream.
  EXPECT_THAT(refusal(RowInsert{42, {text("8"), text("0"), unchanged()}}).message(),
              HasSubstr("unchanged TOAST value"));
}

TEST_F(RowChangeDecoderTest, AnUpdateThatMovedTheKeyCarriesTheOldKey) {
  feed(accounts());
  feed(Begin{.final_lsn = 1});
  auto update = feed(RowUpdate{.relation = 42,
                               .old_kind = OldRow::kKey,
                               .old_row = {text("7"), null(), null()},
                               .new_row = {text("8"), text("5"), text("f")}});
  ASSERT_TRUE(update && update->old_row);
  EXPECT_EQ(update->old_kind, OldRow::kKey);
  EXPECT_EQ(update->old_row->get(0, 0), "7");
  EXPECT_EQ(update->row->get(0, 0), "8");
}

TEST_F(RowChangeDecoderTest, ASchemaChangeAppliesToLaterChangesOnly) {
  feed(accounts());
  feed(Begin{.final_lsn = 1});
  auto before = feed(RowInsert{42, {text("1"), text("0"), null()}});
  feed(accounts({"aid", "abalance", "filler", "added"}));
  auto after = feed(RowInsert{42, {text("2"), text("0"), null(), text("new")}});
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->relation->columns.size(), 3u);  // kept the Relation it was made under
  EXPECT_EQ(after->row->column_name(3), "added");
  EXPECT_EQ(after->row->get(0, 3), "new");
  // A row that does not fit the Relation in force is refused, naming both counts.
  EXPECT_THAT(refusal(RowInsert{42, {text("3")}}).message(),
              HasSubstr("a row of 1 values for table public.accounts, which has 4 columns"));
}

TEST_F(RowChangeDecoderTest, TruncateNamesItsTablesAndMessagesPassThrough) {
  feed(accounts());
  feed(Begin{.final_lsn = 0x700});
  auto truncate = feed(Truncate{.relations = {42}});
  ASSERT_TRUE(truncate);
  ASSERT_EQ(truncate->truncated.size(), 1u);
  EXPECT_EQ(truncate->truncated[0]->name, "accounts");
  auto message = feed(LogicalMessage{.transactional = false, .prefix = "courier", .content = "hb"});
  ASSERT_TRUE(message);
  EXPECT_EQ(message->kind, RowChange::Kind::kMessage);
  EXPECT_EQ(message->message.content, "hb");
}

TEST_F(RowChangeDecoderTest, ABrokenStreamIsRefusedWithWhatWasWrong) {
  EXPECT_THAT(refusal(RowInsert{42, {text("1")}}).message(), HasSubstr("outside a transaction"));
  feed(Begin{.final_lsn = 1});
  EXPECT_THAT(refusal(RowInsert{42, {text("1")}}).message(),
              HasSubstr("table 42 before its Relation message"));
  EXPECT_THAT(refusal(Truncate{.relations = {43}}).message(), HasSubstr("table 43"));
  feed(accounts());
  EXPECT_THAT(refusal(RowInsert{42, {{TupleValue::Kind::kBinary, "x"}, text("0"), null()}})
                  .message(),
              HasSubstr("binary value"));
  RowChangeDecoder fresh;
  EXPECT_THAT(fresh.decode(Commit{}).status().message(), HasSubstr("Commit without its Begin"));
}

}  // namespace
}  // namespace courier::pg
