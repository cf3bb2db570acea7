// COPY in both directions: a million rows into a table with a primary key and a jsonb
// column in one transaction, out again byte for byte, plus the failure paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

#include "pg/copy_text.h"
#include "pg/errors.h"
#include "pg/transaction.h"
#include "pg_fixture.h"

namespace courier::pg {
namespace {

// FNV-1a over a byte stream, fed piece by piece.
class Checksum {
 public:
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 1099511628211ull;
    size_ += bytes.size();
  }
  uint64_t hash() const { return hash_; }
  uint64_t size() const { return size_; }

 private:
  uint64_t hash_ = 14695981039346656037ull;
  uint64_t size_ = 0;
};

// Row i of the big table. The jsonb text is already in the server's canonical output
// form, so COPY TO returns exactly the bytes COPY FROM was given; every tenth note is
// NULL and the others need escaping (tab, newline, backslash, quotes).
struct ItemRow {
  std::string id;
  std::string doc;
  std::optional<std::string> note;
};
ItemRow item_row(int64_t i) {
  std::string id = std::to_string(i);
  std::optional<std::string> note;
  if (i % 10 != 0) note = "note\t" + id + "\nline two \\ 'q' \"dq\"";
  return {id, R"({"n": )" + id + R"(, "tag": "item-)" + id + R"("})", std::move(note)};
}

class CopyTest : public PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    PG_ASSERT_OK(conn().execute(
        "CREATE TABLE items (id bigint PRIMARY KEY, doc jsonb NOT NULL, note text)"));
  }

  int64_t count_items() { return std::stoll(scalar(conn(), "SELECT count(*) FROM items")); }
};

TEST_F(CopyTest, MillionRowsInAndOutAgainUnchanged) {
  constexpr int64_t kRows = 1000000;
  auto started = std::chrono::steady_clock::now();
  Checksum sent;
  {
    auto tx = Transaction::begin(conn());
    PG_ASSERT_OK(tx);
    auto writer = conn().begin_copy_in("COPY items (id, doc, note) FROM STDIN");
    PG_ASSERT_OK(writer);
    std::string line;
    for (int64_t i = 1; i <= kRows; ++i) {
      ItemRow row = item_row(i);
      std::optional<std::string_view> note;
      if (row.note) note = *row.note;
      line.clear();
      append_copy_row(line, {row.id, row.doc, note});
      sent.add(line);
      PG_ASSERT_OK(writer->write_row({row.id, row.doc, note}));
    }
    auto stored = writer->finish();
    PG_ASSERT_OK(stored);
    EXPECT_EQ(*stored, kRows);
    PG_ASSERT_OK(tx->commit());
  }
  auto copied_in = std::chrono::steady_clock::now();

  Checksum received;
  int64_t lines = 0;
  PG_ASSERT_OK(conn().copy_out("COPY (SELECT id, doc, note FROM items ORDER BY id) TO STDOUT",
                               [&](std::string_view chunk) {
                                 received.add(chunk);
                                 lines += std::count(chunk.begin(), chunk.end(), '\n');
                                 return true;
                               }));
  auto copied_out = std::chrono::steady_clock::now();

  EXPECT_EQ(lines, kRows);
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_EQ(received.hash(), sent.hash());
  EXPECT_EQ(count_items(), kRows);
  EXPECT_EQ(scalar(conn(), "SELECT sum((doc->>'n')::bigint) = sum(id) FROM items"), "t");
  EXPECT_EQ(scalar(conn(), "SELECT count(*) FROM items WHERE note IS NULL"),
            std::to_string(kRows / 10));
  EXPECT_EQ(scalar(conn(), "SELECT note FROM items WHERE id = 7"), *item_row(7).note);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  RecordProperty("copy_in_ms", std::to_string(ms(copied_in - started)));
  RecordProperty("copy_out_ms", std::to_string(ms(copied_out - copied_in)));
  std::cout << "COPY 1M rows: in " << ms(copied_in - started) << " ms, out "
            << ms(copied_out - copied_in) << " ms\n";
}

TEST_F(CopyTest, WriteTextSendsPreformattedLines) {
  auto writer = conn().begin_copy_in("COPY items (id, doc, note) FROM STDIN");
  PG_ASSERT_OK(writer);
  PG_ASSERT_OK(writer->write_text("1\t{}\t\\N\n2\t[]\ttab\\there\n"));
  auto stored = writer->finish();
  PG_ASSERT_OK(stored);
  EXPECT_EQ(*stored, 2);
  EXPECT_EQ(scalar(conn(), "SELECT note FROM items WHERE id = 2"), "tab\there");
  EXPECT_EQ(scalar(conn(), "SELECT note FROM items WHERE id = 1"), "NULL");
}

TEST_F(CopyTest, AbortedCopyStoresNothingAndConnectionStaysUsable) {
  {
    auto writer = conn().begin_copy_in("COPY items (id, doc) FROM STDIN");
    PG_ASSERT_OK(writer);
    PG_ASSERT_OK(writer->write_row({"1", "{}"}));
    writer->abort();
    EXPECT_FALSE(writer->active());
    EXPECT_EQ(writer->write_row({"2", "{}"}).code(), StatusCode::kFailedPrecondition);
  }
  {
    auto writer = conn().begin_copy_in("COPY items (id, doc) FROM STDIN");
    PG_ASSERT_OK(writer);
    PG_ASSERT_OK(writer->write_row({"3", "{}"}));
  }  // destroyed without finish(): aborted
  EXPECT_EQ(count_items(), 0);
}

TEST_F(CopyTest, DuplicateKeyFailsTheCopyWith23505) {
  auto writer = conn().begin_copy_in("COPY items (id, doc) FROM STDIN");
  PG_ASSERT_OK(writer);
  PG_ASSERT_OK(writer->write_row({"1", "{}"}));
  PG_ASSERT_OK(writer->write_row({"1", "{}"}));
  auto stored = writer->finish();
  EXPECT_EQ(stored.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(stored.status().detail(), sqlstate::kUniqueViolation);
  EXPECT_EQ(count_items(), 0);
}

TEST_F(CopyTest, MalformedValueFailsTheCopyAsInvalidArgument) {
  auto writer = conn().begin_copy_in("COPY items (id, doc) FROM STDIN");
  PG_ASSERT_OK(writer);
  PG_ASSERT_OK(writer->write_row({"1", "{not json"}));
  auto stored = writer->finish();
  EXPECT_EQ(stored.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stored.status().detail(), "22P02");
  EXPECT_EQ(count_items(), 0);
}

TEST_F(CopyTest, ConnectionIsBusyWhileAWriterIsActive) {
  auto writer = conn().begin_copy_in("COPY items (id, doc) FROM STDIN");
  PG_ASSERT_OK(writer);
  EXPECT_EQ(conn().execute("SELECT 1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(conn().reconnect().code(), StatusCode::kFailedPrecondition);
  PG_ASSERT_OK(writer->write_row({"1", "{}"}));
  PG_ASSERT_OK(writer->finish());
  EXPECT_EQ(count_items(), 1);
}

TEST_F(CopyTest, BeginCopyInRefusesOtherStatements) {
  EXPECT_EQ(conn().begin_copy_in("SELECT 1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn().begin_copy_in("COPY items TO STDOUT").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(conn().begin_copy_in("COPY nosuch FROM STDIN").status().detail(), "42P01");
  EXPECT_EQ(conn().copy_out("COPY items FROM STDIN", [](std::string_view) { return true; }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

TEST_F(CopyTest, CopyOutStopsEarlyAndConnectionStaysUsable) {
  int chunks = 0;
  PG_ASSERT_OK(conn().copy_out("COPY (SELECT generate_series(1, 100000000)) TO STDOUT",
                               [&](std::string_view) { return ++chunks < 3; }));
  EXPECT_EQ(chunks, 3);
  EXPECT_EQ(scalar(conn(), "SELECT 1"), "1");
}

}  // namespace
}  // namespace courier::pg
