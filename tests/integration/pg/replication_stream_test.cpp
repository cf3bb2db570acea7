// A logical-replication stream from a real PostgreSQL 15 (wal_level=logical): the slot's
// exported snapshot sees the rows before it and the stream the changes after, pgoutput
// decodes what the server sends, a confirmed flush LSN becomes the slot's
// confirmed_flush_lsn, and a restarted stream resumes after it. Every test drops its slot.
#include "pg/replication_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <variant>

#include "pg/pgoutput.h"
#include "pg/row_changes.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// What a stream delivered, decoded, until a Commit (or the deadline).
struct Transaction {
  std::vector<PgOutputMessage> changes;  // between Begin and Commit
  Commit commit;
  bool complete = false;
};

class ReplicationStreamTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE items (id int PRIMARY KEY, name text, big text);"
        "CREATE PUBLICATION courier_test FOR TABLE items;"));
  }
  void TearDown() override {
    stream_.reset();  // a slot in use cannot be dropped
    if (!slot_.empty()) {
      EXPECT_TRUE(eventually([&] {
        return conn().execute("SELECT pg_drop_replication_slot($1)", {slot_}).ok();
      }, 10s));
    }
  }
  std::unique_ptr<ReplicationStream> open_stream() {
    auto options = ConnectionOptions::from_url(url());
    EXPECT_TRUE(options.ok());
    auto stream = ReplicationStream::open(*options);
    EXPECT_TRUE(stream.ok()) << stream.status().to_string();
    return stream.ok() ? std::move(*stream) : nullptr;
  }
  std::string slot_name() { return "t_" + database_; }

  Transaction read_transaction(ReplicationStream& stream) {
    Transaction out;
    bool in_transaction = false;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto message = stream.next(500ms);
      if (!message.ok()) {
        ADD_FAILURE() << message.status().to_string();
        return out;
      }
      if (!*message) continue;
      auto* data = std::get_if<XLogData>(&**message);
      if (!data) continue;  // a keepalive
      auto decoded = decode_pgoutput(data->payload);
      if (!decoded.ok()) {
        ADD_FAILURE() << decoded.status().to_string();
        return out;
      }
      if (std::holds_alternative<Begin>(*decoded)) {
        in_transaction = true;
      } else if (auto* commit = std::get_if<Commit>(&*decoded)) {
        out.commit = *commit;
        out.complete = in_transaction;
        return out;
      } else if (in_transaction) {
        out.changes.push_back(std::move(*decoded));
      }
    }
    ADD_FAILURE() << "no whole transaction within 20 s";
    return out;
  }

  std::string slot_;
  std::unique_ptr<ReplicationStream> stream_;
};

TEST_F(ReplicationStreamTest, TheSnapshotSeesRowsBeforeTheSlotAndTheStreamTheChangesAfter) {
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (1, 'before', NULL)"));
  stream_ = open_stream();
  ASSERT_NE(stream_, nullptr);
  auto slot = stream_->create_slot(slot_name());
  ASSERT_TRUE(slot.ok()) << slot.status().to_string();
  slot_ = slot->name;
  EXPECT_FALSE(slot->snapshot.empty());

  // The exported snapshot, imported on another connection before the stream moves on.
  auto reader = connect();
  PG_ASSERT_OK(reader->execute("BEGIN ISOLATION LEVEL REPEATABLE READ"));
  PG_ASSERT_OK(reader->execute("SET TRANSACTION SNAPSHOT '" + slot->snapshot + "'"));
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (2, 'after', NULL)"));
  EXPECT_EQ(scalar(*reader, "SELECT string_agg(name, ',' ORDER BY id) FROM items"), "before");
  PG_ASSERT_OK(reader->execute("COMMIT"));

  PG_ASSERT_OK(stream_->start(slot_, slot->consistent_point, {"courier_test"}));
  Transaction first = read_transaction(*stream_);
  ASSERT_TRUE(first.complete);
  ASSERT_EQ(first.changes.size(), 2u);  // the Relation, then the one insert after the slot
  const auto& relation = std::get<Relation>(first.changes[0]);
  EXPECT_EQ(relation.name, "items");
  ASSERT_EQ(relation.columns.size(), 3u);
  EXPECT_TRUE(relation.columns[0].in_key);
  const auto& insert = std::get<RowInsert>(first.changes[1]);
  EXPECT_EQ(insert.relation, relation.id);
  EXPECT_EQ(insert.new_row[0].data, "2");
  EXPECT_EQ(insert.new_row[1].data, "after");
  EXPECT_EQ(insert.new_row[2].kind, TupleValue::Kind::kNull);
}

TEST_F(ReplicationStreamTest, UpdatesDeletesTruncateAndAnUnchangedToastValue) {
  stream_ = open_stream();
  ASSERT_NE(stream_, nullptr);
  auto slot = stream_->create_slot(slot_name(), {.export_snapshot = false});
  ASSERT_TRUE(slot.ok()) << slot.status().to_string();
  slot_ = slot->name;
  // A value too large to stay inline, stored out of line (TOAST) and not compressed.
  PG_ASSERT_OK(conn().execute_script(
      "ALTER TABLE items ALTER COLUMN big SET STORAGE EXTERNAL;"
      "INSERT INTO items VALUES (1, 'a', repeat('x', 10000));"
      "UPDATE items SET name = 'b' WHERE id = 1;"
      "DELETE FROM items WHERE id = 1;"
      "TRUNCATE items;"));
  PG_ASSERT_OK(stream_->start(slot_, slot->consistent_point, {"courier_test"}));
  // execute_script runs as one implicit transaction.
  Transaction all = read_transaction(*stream_);
  ASSERT_TRUE(all.complete);
  // pgoutput may send a Relation again before any change; what matters is the changes.
  std::vector<std::string> kinds;
  for (const auto& change : all.changes) {
    if (std::holds_alternative<Relation>(change) && !kinds.empty()) continue;
    kinds.push_back(std::visit(
        [](const auto& m) -> std::string {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, Relation>) return "relation";
          if constexpr (std::is_same_v<T, RowInsert>) return "insert";
          if constexpr (std::is_same_v<T, RowUpdate>) return "update";
          if constexpr (std::is_same_v<T, RowDelete>) return "delete";
          if constexpr (std::is_same_v<T, Truncate>) return "truncate";
          return "other";
        },
        change));
  }
  EXPECT_THAT(kinds, ElementsAre("relation", "insert", "update", "delete", "truncate"));
  const auto& update = std::get<RowUpdate>(all.changes[2]);  // after the first Relation
  EXPECT_EQ(update.new_row[1].data, "b");
  EXPECT_EQ(update.new_row[2].kind, TupleValue::Kind::kUnchangedToast);
  const auto& removal = std::get<RowDelete>(all.changes[3]);
  EXPECT_EQ(removal.old_kind, OldRow::kKey);
  EXPECT_EQ(removal.old_row[0].data, "1");

  // The same messages as rows: the update's TOASTed column is listed as unchanged.
  RowChangeDecoder decoder;
  ASSERT_TRUE(decoder.decode(Begin{.final_lsn = all.commit.commit_lsn}).ok());
  std::optional<RowChange> updated;
  for (const auto& change : all.changes) {
    auto row = decoder.decode(change);
    ASSERT_TRUE(row.ok()) << row.status().to_string();
    if (*row && (*row)->kind == RowChange::Kind::kUpdate) updated = **row;
  }
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->row->get(0, 1), "b");
  EXPECT_THAT(updated->unchanged, ElementsAre(2));
  EXPECT_EQ(updated->commit_lsn, all.commit.commit_lsn);
}

TEST_F(ReplicationStreamTest, TheConfirmedFlushIsWhereARestartedStreamResumes) {
  stream_ = open_stream();
  ASSERT_NE(stream_, nullptr);
  auto slot = stream_->create_slot(slot_name(), {.export_snapshot = false});
  ASSERT_TRUE(slot.ok()) << slot.status().to_string();
  slot_ = slot->name;
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (1, 'one', NULL)"));
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (2, 'two', NULL)"));
  PG_ASSERT_OK(stream_->start(slot_, slot->consistent_point, {"courier_test"}));
  Transaction first = read_transaction(*stream_);
  ASSERT_TRUE(first.complete);
  PG_ASSERT_OK(stream_->confirm(
      {.write = first.commit.end_lsn, .flush = first.commit.end_lsn, .apply = first.commit.end_lsn}));
  EXPECT_TRUE(eventually([&] {
    return scalar(conn(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                          "WHERE slot_name = $1",
                  {slot_}) == format_lsn(first.commit.end_lsn);
  }, 10s));

  // The first transaction was confirmed, the second was not: a new stream sends the second.
  stream_.reset();
  std::this_thread::sleep_for(200ms);  // the walsender lets go of the slot
  stream_ = open_stream();
  ASSERT_NE(stream_, nullptr);
  Status started;
  ASSERT_TRUE(eventually([&] {
    started = stream_->start(slot_, first.commit.end_lsn, {"courier_test"});
    if (!started.ok()) stream_ = open_stream();
    return started.ok();
  }, 10s)) << started.to_string();
  Transaction second = read_transaction(*stream_);
  ASSERT_TRUE(second.complete);
  const RowInsert* insert = nullptr;
  for (const auto& change : second.changes)
    if (auto* found = std::get_if<RowInsert>(&change)) insert = found;
  ASSERT_NE(insert, nullptr);
  EXPECT_EQ(insert->new_row[1].data, "two");
}

TEST_F(ReplicationStreamTest, AMissingSlotOrPublicationIsAClearError) {
  stream_ = open_stream();
  ASSERT_NE(stream_, nullptr);
  Status started = stream_->start("no_such_slot", 0, {"courier_test"});
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.message(), ::testing::HasSubstr("no_such_slot"));
}

}  // namespace
}  // namespace courier::pg
