// WalChangeSource against a real PostgreSQL 15: changes arrive in commit order with their
// commits, the slot's confirmed flush LSN moves only over transactions whose every change
// was acked, and a nack or a killed walsender makes the unconfirmed changes come again.
#include "pg_to_redis/wal_change_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "../pg/pg_fixture.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using pg::PgDatabaseTest;
using pg::RowChange;
using ::testing::ElementsAre;

class WalChangeSourceTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    slot_ = "w_" + database_;
    PG_ASSERT_OK(conn().execute_script("CREATE TABLE items (id int PRIMARY KEY, name text);"
                                       "CREATE PUBLICATION courier_test FOR TABLE items;"));
    PG_ASSERT_OK(conn().execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                                {slot_}));
    auto options = pg::ConnectionOptions::from_url(url());
    ASSERT_TRUE(options.ok());
    source_ = std::make_unique<WalChangeSource>(
        *options, WalChangeSourceOptions{.slot = slot_,
                                         .publications = {"courier_test"},
                                         .status_interval = 100ms});
  }
  void TearDown() override {
    source_.reset();
    EXPECT_TRUE(pg::eventually([&] {
      return conn().execute("SELECT pg_drop_replication_slot($1)", {slot_}).ok();
    }, 10s));
  }

  // Receives until `count` changes (commits included) came, or 20 s passed.
  std::vector<RowChange> receive(size_t count) {
    std::vector<RowChange> got;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto batch = source_->receive(count - got.size(), 500ms, {});
      if (!batch.ok()) continue;  // reconnecting: the next receive starts a new stream
      for (auto& change : *batch) got.push_back(std::move(change));
    }
    EXPECT_EQ(got.size(), count);
    return got;
  }
  static std::vector<std::string> names(const std::vector<RowChange>& changes) {
    std::vector<std::string> out;
    for (const RowChange& change : changes) {
      if (change.kind == RowChange::Kind::kCommit)
        out.push_back("commit");
      else
        out.push_back(std::string(change.row->get(0, 1).value_or("NULL")));
    }
    return out;
  }
  std::string slot_flush() {
    return pg::scalar(conn(),
                      "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                      "WHERE slot_name = $1",
                      {slot_});
  }

  std::string slot_;
  std::unique_ptr<WalChangeSource> source_;
};

TEST_F(WalChangeSourceTest, ChangesComeInCommitOrderAndTheFlushMovesOverAckedTransactions) {
  PG_ASSERT_OK(conn().execute_script("INSERT INTO items VALUES (1, 'a'), (2, 'b')"));
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (3, 'c')"));
  std::vector<RowChange> changes = receive(5);
  EXPECT_THAT(names(changes), ElementsAre("a", "b", "commit", "c", "commit"));

  // Only the first transaction acked: the flush stops at its end.
  ASSERT_TRUE(source_->ack(std::span(changes).first(3)).ok());
  EXPECT_EQ(source_->confirmed_flush(), changes[2].end_lsn);
  // The next receive reports it to the server.
  (void)source_->receive(1, 300ms, {});
  EXPECT_TRUE(pg::eventually([&] { return slot_flush() == pg::format_lsn(changes[2].end_lsn); },
                             10s))
      << slot_flush();
}

TEST_F(WalChangeSourceTest, AcksOutOfOrderMoveTheFlushOnlyOverWholeTransactionsInOrder) {
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (1, 'a')"));
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (2, 'b')"));
  std::vector<RowChange> changes = receive(4);
  ASSERT_THAT(names(changes), ElementsAre("a", "commit", "b", "commit"));
  const pg::Lsn before = source_->confirmed_flush();
  // The second transaction, then the first one's commit: the first's row still waits.
  ASSERT_TRUE(source_->ack(std::span(changes).subspan(2)).ok());
  ASSERT_TRUE(source_->ack(std::span(changes).subspan(1, 1)).ok());
  EXPECT_EQ(source_->confirmed_flush(), before);
  ASSERT_TRUE(source_->ack(std::span(changes).first(1)).ok());
  EXPECT_EQ(source_->confirmed_flush(), changes[3].end_lsn);
}

TEST_F(WalChangeSourceTest, ANackDeliversAgainEverythingNotConfirmed) {
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (1, 'a')"));
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (2, 'b')"));
  std::vector<RowChange> first = receive(4);
  ASSERT_TRUE(source_->ack(std::span(first).first(2)).ok());
  ASSERT_TRUE(source_->nack(std::span(first).subspan(2), Status(StatusCode::kUnavailable, "x")).ok());
  std::vector<RowChange> again = receive(2);
  EXPECT_THAT(names(again), ElementsAre("b", "commit"));
  EXPECT_EQ(again[0].commit_lsn, first[2].commit_lsn);
}

TEST_F(WalChangeSourceTest, AKilledWalsenderIsAReconnectFromTheConfirmedLsn) {
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (1, 'a')"));
  std::vector<RowChange> first = receive(2);
  ASSERT_TRUE(source_->ack(first).ok());
  PG_ASSERT_OK(conn().execute("INSERT INTO items VALUES (2, 'b')"));
  std::vector<RowChange> second = receive(2);  // delivered, not acked
  ASSERT_THAT(names(second), ElementsAre("b", "commit"));
  PG_ASSERT_OK(conn().execute(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1",
      {slot_}));
  // The stream notices, reconnects on a later receive, and sends "b" again (not "a").
  std::vector<RowChange> again = receive(2);
  EXPECT_THAT(names(again), ElementsAre("b", "commit"));
}

TEST_F(WalChangeSourceTest, AHeartbeatMovesTheSlotOverWalOfUnpublishedTables) {
  // Another table's writes make WAL the slot has to keep, but no change to deliver.
  PG_ASSERT_OK(conn().execute_script("CREATE TABLE other (id int);"
                                     "INSERT INTO other SELECT generate_series(1, 1000)"));
  const std::string written = pg::scalar(conn(), "SELECT pg_current_wal_lsn()::text");
  auto moved_past_the_writes = [&] {
    return pg::scalar(conn(), "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots"
                              " WHERE slot_name = $2",
                      {written, slot_}) == "t";
  };
  // The heartbeat's message and commit come back through the slot; once they are acked,
  // the flush passes the other table's writes. (Whether the slot would stay put without
  // one is the server's business: under load it was seen to move, so that is not asserted.)
  auto options = pg::ConnectionOptions::from_url(url());
  WalChangeSource beating(*options, {.slot = slot_,
                                     .publications = {"courier_test"},
                                     .status_interval = 100ms,
                                     .heartbeat = 200ms});
  std::vector<RowChange> seen;
  auto heartbeat_seen = [&] {
    return std::any_of(seen.begin(), seen.end(), [](const RowChange& change) {
      return change.kind == RowChange::Kind::kMessage && change.message.prefix == "courier";
    });
  };
  EXPECT_TRUE(pg::eventually([&] {
    auto batch = beating.receive(10, 300ms, {});
    if (batch.ok()) {
      (void)beating.ack(*batch);
      seen.insert(seen.end(), batch->begin(), batch->end());
    }
    return heartbeat_seen() && moved_past_the_writes();
  }, 15s));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().kind, RowChange::Kind::kMessage);
  EXPECT_EQ(seen.front().message.prefix, "courier");
}

TEST_F(WalChangeSourceTest, ConcurrentWritersWithLateCommitsLoseNothing) {
  // Four writers whose transactions overlap and commit out of the order their ids were
  // drawn in: the case that makes a polling checkpoint skip rows.
  PG_ASSERT_OK(conn().execute("CREATE SEQUENCE item_ids"));
  constexpr int kWriters = 4, kTransactions = 25, kRowsEach = 5;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto writer = connect();
      for (int t = 0; t < kTransactions; ++t) {
        PG_EXPECT_OK(writer->execute("BEGIN"));
        for (int r = 0; r < kRowsEach; ++r)
          PG_EXPECT_OK(writer->execute("INSERT INTO items VALUES (nextval('item_ids'), 'w')"));
        if ((t + w) % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5 + w));
        PG_EXPECT_OK(writer->execute("COMMIT"));
      }
    });
  }
  constexpr size_t kRows = kWriters * kTransactions * kRowsEach;
  std::set<std::string> ids;
  size_t commits = 0;
  pg::Lsn last_commit = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  constexpr size_t kCommits = kWriters * kTransactions;
  while ((ids.size() < kRows || commits < kCommits) && std::chrono::steady_clock::now() < deadline) {
    auto batch = source_->receive(200, 500ms, {});
    ASSERT_TRUE(batch.ok()) << batch.status().to_string();
    for (const RowChange& change : *batch) {
      if (change.kind == RowChange::Kind::kCommit) {
        EXPECT_GT(change.commit_lsn, last_commit);  // commit order
        last_commit = change.commit_lsn;
        ++commits;
      } else if (change.kind == RowChange::Kind::kInsert) {
        EXPECT_TRUE(ids.insert(std::string(*change.row->get(0, 0))).second) << "delivered twice";
      }
    }
    ASSERT_TRUE(source_->ack(*batch).ok());
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(ids.size(), kRows);
  EXPECT_EQ(commits, kCommits);
  EXPECT_GT(source_->confirmed_flush(), 0u);
}

TEST_F(WalChangeSourceTest, AMissingSlotIsAnErrorNamingIt) {
  auto options = pg::ConnectionOptions::from_url(url());
  WalChangeSource missing(*options, {.slot = "no_such_slot", .publications = {"courier_test"}});
  auto batch = missing.receive(10, 100ms, {});
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), ::testing::HasSubstr("no_such_slot"));
  EXPECT_FALSE(batch.status().retryable());
}

}  // namespace
}  // namespace courier::pg_to_redis
