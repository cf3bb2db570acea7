// Connection::stream: rows arrive one at a time (single-row mode), memory stays bounded
// whatever the result size, and stopping early leaves the connection (and any open
// transaction) usable.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>

#include "pg/transaction.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

// Resident set size of this process, from /proc/self/status (VmRSS, kB).
int64_t resident_kilobytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class StreamTest : public PgDatabaseTest {};

TEST_F(StreamTest, StreamsTwoHundredThousandRowsInBoundedMemory) {
  constexpr int64_t kRows = 200000;
  constexpr int kPayloadBytes = 1000;  // ~200 MB in total: far more than the bound below
  int64_t start_kb = resident_kilobytes();
  int64_t peak_kb = start_kb;
  int64_t rows = 0;
  int64_t id_sum = 0;
  Status streamed =
      conn().stream("SELECT g, repeat('x', $2::int) FROM generate_series(1, $1::int) g",
                    {std::to_string(kRows), std::to_string(kPayloadBytes)}, [&](const Row& row) {
                      ++rows;
                      id_sum += std::stoll(std::string(*row.get(0)));
                      EXPECT_EQ(row.get(1)->size(), static_cast<size_t>(kPayloadBytes));
                      if (rows % 10000 == 0) peak_kb = std::max(peak_kb, resident_kilobytes());
                      return true;
                    });
  PG_ASSERT_OK(streamed);
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(id_sum, kRows * (kRows + 1) / 2);
  // The whole result would need ~200 MB; one row at a time needs a few kB plus buffers.
  EXPECT_LT(peak_kb - start_kb, 32 * 1024) << "memory grew with the result size";
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(StreamTest, RowsReachTheCallbackBeforeTheQueryFinishes) {
  // generate_series in the select list produces rows lazily; a client that buffered
  // the whole result would wait for all 100 million before the first callback.
  auto started = std::chrono::steady_clock::now();
  int rows = 0;
  Status streamed = conn().stream("SELECT generate_series(1, 100000000)", {},
                                  [&](const Row&) { return ++rows < 10; });
  PG_ASSERT_OK(streamed);
  EXPECT_EQ(rows, 10);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20))
      << "stopping early should cancel the query, not read it to the end";
  EXPECT_EQ(scalar(conn(), "SELECT 2"), "2");
}

TEST_F(StreamTest, EarlyStopInsideATransactionKeepsTheTransaction) {
  PG_ASSERT_OK(conn().execute("CREATE TABLE t (id int)"));
  auto tx = Transaction::begin(conn());
  PG_ASSERT_OK(tx);
  PG_ASSERT_OK(conn().execute("INSERT INTO t SELECT generate_series(1, 50000)"));
  int rows = 0;
  PG_ASSERT_OK(conn().stream("SELECT id FROM t", {}, [&](const Row&) { return ++rows < 5; }));
  EXPECT_EQ(rows, 5);
  EXPECT_TRUE(conn().in_transaction());
  PG_ASSERT_OK(conn().execute("INSERT INTO t VALUES (0)"));
  PG_ASSERT_OK(tx->commit());
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM t"), "50001");
}

TEST_F(StreamTest, NullsAndColumnNamesAreVisibleInRows) {
  bool seen = false;
  PG_ASSERT_OK(
      conn().stream("SELECT NULL::text AS empty, $1::text AS word", {"w"}, [&](const Row& row) {
        seen = true;
        EXPECT_EQ(row.column_count(), 2);
        EXPECT_TRUE(row.is_null(0));
        EXPECT_EQ(row[0], std::nullopt);
        EXPECT_EQ(row.column_name(1), "word");
        EXPECT_EQ(row.column_index("word"), 1);
        EXPECT_EQ(row[1], "w");
        return true;
      }));
  EXPECT_TRUE(seen);
}

TEST_F(StreamTest, ErrorAfterSomeRowsIsReportedWithItsSqlstate) {
  int rows = 0;
  Status streamed =
      conn().stream("SELECT 10 / (3 - g) FROM generate_series(1, 5) g", {}, [&](const Row&) {
        ++rows;
        return true;
      });
  EXPECT_EQ(streamed.detail(), "22012");  // division by zero
  EXPECT_EQ(streamed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(StreamTest, ConnectionIsBusyInsideTheCallback) {
  Status nested;
  PG_ASSERT_OK(conn().stream("SELECT 1", {}, [&](const Row&) {
    nested = conn().execute("SELECT 2").status();
    return true;
  }));
  EXPECT_EQ(nested.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(scalar(conn(), "SELECT 3"), "3");
}

TEST_F(StreamTest, ThrowingCallbackLeavesTheConnectionUsable) {
  EXPECT_THROW((void)conn().stream("SELECT generate_series(1, 1000)", {},
                                   [](const Row&) -> bool { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(scalar(conn(), "SELECT 4"), "4");
}

}  // namespace
}  // namespace courier::pg
