// Losing the server: a terminated backend (pg_terminate_backend) and a killed and
// restarted postmaster. Calls during the outage are retryable kUnavailable, a COMMIT
// cut off is kOutcomeUnknown, and reconnect() brings the connection back.
#include <gtest/gtest.h>

#include <thread>

#include "pg/errors.h"
#include "pg/transaction.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

void expect_unavailable(const Status& status, std::string_view call) {
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << call << ": " << status.to_string();
  EXPECT_TRUE(status.retryable()) << call;
}

// Every kind of call on a connection whose server is gone answers kUnavailable.
void expect_every_call_unavailable(Connection& conn) {
  expect_unavailable(conn.execute("SELECT 1").status(), "execute");
  expect_unavailable(conn.execute_script("SELECT 1; SELECT 2"), "execute_script");
  expect_unavailable(conn.stream("SELECT 1", {}, [](const Row&) { return true; }), "stream");
  expect_unavailable(conn.begin_copy_in("COPY t FROM STDIN").status(), "begin_copy_in");
  expect_unavailable(conn.copy_out("COPY t TO STDOUT", [](std::string_view) { return true; }),
                     "copy_out");
  expect_unavailable(Transaction::begin(conn).status(), "Transaction::begin");
  EXPECT_FALSE(conn.is_open());
}

class TerminatedBackendTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    admin_ = connect();
    ASSERT_NE(admin_, nullptr);
    PG_ASSERT_OK(conn().execute("CREATE TABLE t (x int)"));
    backend_pid_ = scalar(conn(), "SELECT pg_backend_pid()");
  }

  bool backend_state_is(std::string_view state) {
    return scalar(*admin_, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = $2",
                  {backend_pid_, std::string(state)}) == "1";
  }
  // Terminates the test connection's backend and waits until it has gone.
  void terminate_backend() {
    ASSERT_EQ(scalar(*admin_, "SELECT pg_terminate_backend($1)", {backend_pid_}), "t");
    ASSERT_TRUE(eventually([&] {
      return scalar(*admin_, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                    {backend_pid_}) == "0";
    }));
  }

  std::unique_ptr<Connection> admin_;
  std::string backend_pid_;
};

TEST_F(TerminatedBackendTest, RunningQueryCutOffIsRetryableAndReconnectRecovers) {
  Status cut_off;
  std::thread runner([&] { cut_off = conn().execute("SELECT pg_sleep(60)").status(); });
  bool running = eventually([&] { return backend_state_is("active"); });
  if (running) {
    EXPECT_EQ(scalar(*admin_, "SELECT pg_terminate_backend($1)", {backend_pid_}), "t");
  }
  runner.join();
  ASSERT_TRUE(running) << "the query never showed up as active";

  expect_unavailable(cut_off, "the terminated query");
  EXPECT_EQ(cut_off.detail(), sqlstate::kAdminShutdown);
  expect_every_call_unavailable(conn());

  PG_ASSERT_OK(conn().reconnect());
  EXPECT_TRUE(conn().is_open());
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM t"), "0");
}

TEST_F(TerminatedBackendTest, ConnectionLostDuringCommitIsOutcomeUnknown) {
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  PG_ASSERT_OK(conn().execute("INSERT INTO t VALUES (1)"));
  terminate_backend();

  Status committed = tx->commit();
  EXPECT_EQ(committed.code(), StatusCode::kOutcomeUnknown) << committed.to_string();
  EXPECT_FALSE(committed.retryable());
  EXPECT_FALSE(committed.permanent());
  EXPECT_FALSE(conn().is_open());

  PG_ASSERT_OK(conn().reconnect());
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM t"), "0");
}

TEST_F(TerminatedBackendTest, CommitOnAConnectionKnownLostIsUnavailable) {
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  terminate_backend();
  expect_unavailable(conn().execute("INSERT INTO t VALUES (1)").status(), "insert");
  // COMMIT was never sent: the server rolled back, so retrying the whole is safe.
  expect_unavailable(tx->commit(), "commit");
}

TEST_F(TerminatedBackendTest, CopyCutOffIsRetryable) {
  auto writer = conn().begin_copy_in("COPY t FROM STDIN");
  PG_ASSERT_OK(writer);
  PG_ASSERT_OK(writer->write_row({"1"}));
  terminate_backend();
  Status outcome = Status::Ok();
  for (int i = 0; i < 100000 && outcome.ok(); ++i) outcome = writer->write_row({"2"});
  if (outcome.ok()) outcome = writer->finish().status();
  expect_unavailable(outcome, "copy");
  EXPECT_FALSE(writer->active());
  expect_unavailable(conn().execute("SELECT 1").status(), "execute after copy");
  PG_ASSERT_OK(conn().reconnect());
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM t"), "0");
}

// These tests kill their server, so they run on one of their own.
class KilledServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = courier::testing::PostgresServer::start(); }
  static void TearDownTestSuite() { server_.reset(); }

  static std::unique_ptr<courier::testing::PostgresServer> server_;
};
std::unique_ptr<courier::testing::PostgresServer> KilledServerTest::server_;

TEST_F(KilledServerTest, CallsFailRetryablyWhileDownAndReconnectSucceedsAfterRestart) {
  std::string database = server_->create_database("outage");
  auto options = ConnectionOptions::from_url(server_->url(database));
  PG_ASSERT_OK(options);
  options->connect_timeout = std::chrono::seconds(2);
  auto opened = Connection::open(*options);
  PG_ASSERT_OK(opened);
  Connection& conn = **opened;
  PG_ASSERT_OK(conn.execute_script("CREATE TABLE t (x int); INSERT INTO t VALUES (1);"));

  server_->kill9();
  // The backend notices its postmaster died on its own schedule: poll until a call fails.
  Status first_failure;
  ASSERT_TRUE(eventually([&] {
    first_failure = conn.execute("SELECT 1").status();
    return !first_failure.ok();
  }));
  expect_unavailable(first_failure, "first call after kill -9");
  expect_every_call_unavailable(conn);

  expect_unavailable(conn.reconnect(), "reconnect while down");
  expect_unavailable(conn.reconnect(), "second reconnect while down");
  expect_unavailable(Connection::open(*options).status(), "open while down");
  expect_every_call_unavailable(conn);

  server_->restart();
  Status reconnected;
  ASSERT_TRUE(eventually([&] {
    reconnected = conn.reconnect();
    return reconnected.ok();
  })) << reconnected.to_string();
  EXPECT_TRUE(conn.is_open());
  // (The harness runs with synchronous_commit=off, so rows committed just before the
  // kill may be gone; the database itself was created durably.)
  EXPECT_EQ(scalar(conn, "SELECT current_database()"), database);
  PG_EXPECT_OK(conn.execute("CREATE TABLE after_restart (x int)"));
}

}  // namespace
}  // namespace courier::pg
