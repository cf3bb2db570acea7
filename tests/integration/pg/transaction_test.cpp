// Transaction guard against a real server: commit, rollback (explicit and by scope),
// and the retryable races: serialization failure (40001) and deadlock (40P01).
#include "pg/transaction.h"

#include <gtest/gtest.h>

#include <thread>

#include "pg/errors.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

// Of two racing outcomes exactly one must have failed; returns that one (or fails the test).
Status loser_of(const Status& first, const Status& second) {
  EXPECT_NE(first.ok(), second.ok())
      << "first: " << first.to_string() << ", second: " << second.to_string();
  return first.ok() ? second : first;
}

class TransactionTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    PG_ASSERT_OK(
        conn().execute_script("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);"
                              "INSERT INTO counters VALUES (1, 0), (2, 0);"));
  }

  std::string counter(Connection& conn, int id) {
    return scalar(conn, "SELECT n FROM counters WHERE id = $1", {std::to_string(id)});
  }
};

TEST_F(TransactionTest, CommitMakesChangesVisibleToOthers) {
  auto other = connect();
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  EXPECT_TRUE(conn().in_transaction());
  PG_ASSERT_OK(conn().execute("UPDATE counters SET n = 5 WHERE id = 1"));
  EXPECT_EQ(counter(*other, 1), "0");  // not yet committed
  PG_ASSERT_OK(tx->commit());
  EXPECT_FALSE(tx->active());
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(counter(*other, 1), "5");
}

TEST_F(TransactionTest, ExplicitRollbackDiscardsChanges) {
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  PG_ASSERT_OK(conn().execute("UPDATE counters SET n = 5 WHERE id = 1"));
  PG_ASSERT_OK(tx->rollback());
  EXPECT_EQ(counter(conn(), 1), "0");
  EXPECT_EQ(tx->commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransactionTest, LeavingTheScopeWithoutCommitRollsBack) {
  {
    auto tx = Transaction::begin(conn(), Transaction::Isolation::kSerializable);
    PG_ASSERT_OK(tx);
    PG_ASSERT_OK(conn().execute("UPDATE counters SET n = 5 WHERE id = 1"));
  }
  EXPECT_FALSE(conn().in_transaction());
  EXPECT_EQ(counter(conn(), 1), "0");
}

TEST_F(TransactionTest, IsolationLevelAndReadOnlyAreApplied) {
  auto tx = Transaction::begin(conn(), Transaction::Isolation::kRepeatableRead, true);
  PG_ASSERT_OK(tx);
  EXPECT_EQ(scalar(conn(), "SHOW transaction_isolation"), "repeatable read");
  auto write = conn().execute("UPDATE counters SET n = 1");
  EXPECT_EQ(write.status().detail(), "25006");  // read-only transaction
}

TEST_F(TransactionTest, UniqueViolationInsideTransactionThenCommitReportsRollback) {
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  auto duplicate = conn().execute("INSERT INTO counters VALUES (1, 9)");
  EXPECT_EQ(duplicate.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(duplicate.status().detail(), sqlstate::kUniqueViolation);
  Status committed = tx->commit();
  EXPECT_EQ(committed.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(committed.detail(), "25P02");
  EXPECT_FALSE(conn().in_transaction());
}

TEST_F(TransactionTest, ConcurrentUpdateUnderRepeatableReadIsSerializationFailure) {
  auto other = connect();
  auto tx = Transaction::begin(conn(), Transaction::Isolation::kRepeatableRead);
  PG_ASSERT_OK(tx);
  EXPECT_EQ(counter(conn(), 1), "0");  // takes the snapshot
  PG_ASSERT_OK(other->execute("UPDATE counters SET n = n + 1 WHERE id = 1"));
  auto conflicting = conn().execute("UPDATE counters SET n = n + 1 WHERE id = 1");
  EXPECT_EQ(conflicting.status().code(), StatusCode::kAborted);
  EXPECT_EQ(conflicting.status().detail(), sqlstate::kSerializationFailure);
  EXPECT_TRUE(conflicting.status().retryable());
  PG_ASSERT_OK(tx->rollback());
  EXPECT_EQ(counter(conn(), 1), "1");
}

TEST_F(TransactionTest, WriteSkewUnderSerializableFailsOneSideWith40001) {
  auto other = connect();
  auto first = Transaction::begin(conn(), Transaction::Isolation::kSerializable);
  auto second = Transaction::begin(*other, Transaction::Isolation::kSerializable);
  PG_ASSERT_OK(first);
  PG_ASSERT_OK(second);
  // Each reads the row the other writes: no serial order explains both.
  EXPECT_EQ(counter(conn(), 2), "0");
  EXPECT_EQ(counter(*other, 1), "0");
  PG_ASSERT_OK(conn().execute("UPDATE counters SET n = 1 WHERE id = 1"));
  Status second_write = other->execute("UPDATE counters SET n = 1 WHERE id = 2").status();
  Status first_outcome = first->commit();
  Status second_outcome = second_write.ok() ? second->commit() : second_write;
  Status lost = loser_of(first_outcome, second_outcome);
  EXPECT_EQ(lost.code(), StatusCode::kAborted) << lost.to_string();
  EXPECT_EQ(lost.detail(), sqlstate::kSerializationFailure);
  EXPECT_TRUE(lost.retryable());
}

TEST_F(TransactionTest, DeadlockFailsOneSideWith40P01) {
  auto other = connect();
  auto observer = connect();
  PG_ASSERT_OK(conn().execute("SET deadlock_timeout = '50ms'"));
  PG_ASSERT_OK(other->execute("SET deadlock_timeout = '50ms'"));
  std::string first_pid = scalar(conn(), "SELECT pg_backend_pid()");
  auto first = Transaction::begin(conn());
  auto second = Transaction::begin(*other);
  PG_ASSERT_OK(first);
  PG_ASSERT_OK(second);
  PG_ASSERT_OK(conn().execute("UPDATE counters SET n = 1 WHERE id = 1"));
  PG_ASSERT_OK(other->execute("UPDATE counters SET n = 2 WHERE id = 2"));

  Status first_blocked;
  std::thread waiter(
      [&] { first_blocked = conn().execute("UPDATE counters SET n = 1 WHERE id = 2").status(); });
  bool waiting = eventually([&] {
    return scalar(*observer,
                  "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = "
                  "'Lock'",
                  {first_pid}) == "1";
  });
  Status second_blocked = other->execute("UPDATE counters SET n = 2 WHERE id = 1").status();
  waiter.join();
  ASSERT_TRUE(waiting) << "the first transaction never waited for the lock";

  Status failed = loser_of(first_blocked, second_blocked);
  EXPECT_EQ(failed.code(), StatusCode::kAborted) << failed.to_string();
  EXPECT_EQ(failed.detail(), sqlstate::kDeadlockDetected);
  EXPECT_TRUE(failed.retryable());
}

}  // namespace
}  // namespace courier::pg
