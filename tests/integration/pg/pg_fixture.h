// Shared set-up for the pg integration tests: each test gets its own database on the
// shared server and an open Connection to it, plus assertion helpers for Status/Result.
//
//   class QueryTest : public PgDatabaseTest {};
//   TEST_F(QueryTest, X) { PG_ASSERT_OK(conn().execute("SELECT 1")); }
//   std::string n = scalar(conn(), "SELECT count(*) FROM t");
//
// Thread-safety: a fixture belongs to its test's thread; open more connections with
// connect() for other threads.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "pg/connection.h"
#include "poll_until.h"
#include "servers.h"

namespace courier::pg {

inline const Status& status_of(const Status& status) {
  return status;
}
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

#define PG_ASSERT_OK(expr)                                                     \
  do {                                                                         \
    const ::courier::Status pg_assert_status = ::courier::pg::status_of(expr); \
    ASSERT_TRUE(pg_assert_status.ok()) << pg_assert_status.to_string();        \
  } while (0)

#define PG_EXPECT_OK(expr)                                                     \
  do {                                                                         \
    const ::courier::Status pg_expect_status = ::courier::pg::status_of(expr); \
    EXPECT_TRUE(pg_expect_status.ok()) << pg_expect_status.to_string();        \
  } while (0)

// Opens a connection or fails the test (returns null).
inline std::unique_ptr<Connection> connect_to(const std::string& url) {
  auto options = ConnectionOptions::from_url(url);
  if (!options.ok()) {
    ADD_FAILURE() << options.status().to_string();
    return nullptr;
  }
  auto conn = Connection::open(*options);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.status().to_string();
    return nullptr;
  }
  return std::move(*conn);
}

// The first cell of a one-row query as text ("NULL" for NULL, "<error: ...>" on failure,
// which also fails the test).
inline std::string scalar(Connection& conn, std::string_view sql, const Params& params = {}) {
  auto result = conn.execute(sql, params);
  if (!result.ok()) {
    ADD_FAILURE() << sql << ": " << result.status().to_string();
    return "<error: " + result.status().to_string() + ">";
  }
  if (result->row_count() != 1) {
    ADD_FAILURE() << sql << ": " << result->row_count() << " rows instead of 1";
    return "<no single row>";
  }
  return std::string(result->get(0, 0).value_or("NULL"));
}

// Polls `condition` until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  return courier::testing::poll_until(deadline, condition);
}

class PgDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = courier::testing::shared_postgres().create_database("pg");
    conn_ = connect();
    ASSERT_NE(conn_, nullptr);
  }

  // Another connection to this test's database.
  std::unique_ptr<Connection> connect() const { return connect_to(url()); }
  std::string url() const { return courier::testing::shared_postgres().url(database_); }
  Connection& conn() { return *conn_; }

  std::string database_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace courier::pg
