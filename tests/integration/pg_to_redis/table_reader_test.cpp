// The incremental reader against a real Postgres: rows sharing a tracking value across
// batch boundaries, both directions, checkpoints that survive a restart for each tracking
// type, lookback for late rows, primary-key discovery, and a large table in bounded batches.
#include "pg_to_redis/table_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../pg/pg_fixture.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using pg::PgDatabaseTest;

class TableReaderTest : public PgDatabaseTest {
 protected:
  static TaskConfig task_for(const std::string& table, const std::string& tracking,
                             int batch_size) {
    TaskConfig task;
    task.name = table + "_task";
    task.table = TableName{"public", table};
    task.structure = Structure::kSet;
    task.value = "id";
    if (!tracking.empty()) {
      task.tracking = TrackingConfig{tracking, TrackingOperator::kGreater, "checkpoint:" + table};
    }
    task.batch_size = batch_size;
    return task;
  }

  TableReader open(const TaskConfig& task) {
    auto reader = TableReader::open(conn(), task);
    EXPECT_TRUE(reader.ok()) << reader.status().to_string();
    if (!reader.ok()) throw std::runtime_error(reader.status().to_string());
    return std::move(*reader);
  }

  struct Run {
    std::vector<std::string> ids;  // column "id" of every row, in read order
    std::vector<int> batch_sizes;  // the final empty batch not included
    std::optional<TrackingCursor> checkpoint;
  };

  // One run as the sync does it: first_batch from the checkpoint, then next_batch until
  // drained. `max_batches` stops early, as a crash after a committed batch would.
  Run run(const TaskConfig& task, std::optional<TrackingCursor> checkpoint,
          int max_batches = 1 << 30) {
    TableReader reader = open(task);
    Run out;
    out.checkpoint = std::move(checkpoint);
    auto batch = reader.first_batch(out.checkpoint);
    for (int n = 0; n < max_batches; ++n) {
      EXPECT_TRUE(batch.ok()) << batch.status().to_string();
      if (!batch.ok() || batch->empty()) break;
      const int id = *batch->rows.column_index("id");
      for (int r = 0; r < batch->rows.row_count(); ++r) {
        out.ids.emplace_back(*batch->rows.get(r, id));
      }
      out.batch_sizes.push_back(batch->rows.row_count());
      out.checkpoint = batch->after;
      if (n + 1 < max_batches) batch = reader.next_batch(out.checkpoint);
    }
    return out;
  }

  // Reads to the end one batch per "process": after each batch the checkpoint goes through
  // its stored string and a new reader continues from it.
  std::vector<std::string> read_with_restarts(const TaskConfig& task) {
    std::vector<std::string> ids;
    std::optional<TrackingCursor> checkpoint;
    for (int guard = 0; guard < 10000; ++guard) {
      Run one = run(task, checkpoint, 1);
      if (one.ids.empty()) break;
      ids.insert(ids.end(), one.ids.begin(), one.ids.end());
      auto decoded = TrackingCursor::decode(one.checkpoint->encode(), "checkpoint:test");
      EXPECT_TRUE(decoded.ok()) << decoded.status().to_string();
      checkpoint = *decoded;
    }
    return ids;
  }

  static std::vector<std::string> numbers(int from, int to, int step = 1) {
    std::vector<std::string> out;
    for (int i = from; step > 0 ? i <= to : i >= to; i += step) out.push_back(std::to_string(i));
    return out;
  }
};

TEST_F(TableReaderTest, EqualTrackingValuesAcrossBatchBoundariesAreNeverSkipped) {
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz NOT NULL);"
      "INSERT INTO orders SELECT g, '2024-05-01 10:00:00+00' FROM generate_series(1, 250) g"));
  Run all = run(task_for("orders", "updated_at", 100), std::nullopt);
  EXPECT_EQ(all.batch_sizes, (std::vector<int>{100, 100, 50}));
  EXPECT_EQ(all.ids, numbers(1, 250));
  EXPECT_EQ(all.checkpoint->values, (std::vector<std::string>{"2024-05-01 10:00:00+00", "250"}));
  EXPECT_TRUE(run(task_for("orders", "updated_at", 100), all.checkpoint).ids.empty());
}

TEST_F(TableReaderTest, LessWalksDownwards) {
  PG_ASSERT_OK(
      conn().execute_script("CREATE TABLE versions (id int PRIMARY KEY, seq int NOT NULL);"
                            "INSERT INTO versions SELECT g, g / 2 FROM generate_series(1, 10) g"));
  TaskConfig task = task_for("versions", "seq", 3);
  task.tracking->op = TrackingOperator::kLess;
  Run all = run(task, std::nullopt);
  EXPECT_EQ(all.ids, numbers(10, 1, -1));
  EXPECT_EQ(all.batch_sizes, (std::vector<int>{3, 3, 3, 1}));
  // From a stored checkpoint the walk continues below it, without the rows above.
  Run rest = run(task, TrackingCursor{{"3", "7"}});
  EXPECT_EQ(rest.ids, numbers(6, 1, -1));
}

TEST_F(TableReaderTest, CheckpointsRoundTripForEveryTrackingType) {
  struct Case {
    std::string type;
    std::string value_of_g;  // pairs of rows share a value: g / 2
  };
  const std::vector<Case> cases = {
      {"int8", "9007199254740993 + g / 2"},
      {"numeric", "12345678901234567890.123 + (g / 2) * 0.001"},
      {"timestamp", "'2024-05-01 10:00:00.123456'::timestamp + (g / 2) * interval '1 microsecond'"},
      {"timestamptz",
       "'2024-05-01 10:00:00.123456+02'::timestamptz + (g / 2) * interval '1 microsecond'"},
      {"text", "'k' || lpad((g / 2)::text, 3, '0')"},
      {"uuid", "md5((g / 2)::text)::uuid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    const std::string table = "tracked_" + c.type;
    PG_ASSERT_OK(conn().execute_script("CREATE TABLE " + table + " (id int PRIMARY KEY, v " +
                                       c.type + " NOT NULL); INSERT INTO " + table + " SELECT g, " +
                                       c.value_of_g + " FROM generate_series(1, 40) g"));
    std::vector<std::string> ids = read_with_restarts(task_for(table, "v", 7));
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(ids.size(), 40u);
    EXPECT_EQ(unique.size(), 40u);
  }
}

TEST_F(TableReaderTest, CheckpointHoldsTheExactTextPostgresPrinted) {
  PG_ASSERT_OK(conn().execute_script(
      "SET TimeZone = 'Asia/Kolkata'; SET DateStyle = 'SQL, DMY';"
      "CREATE TABLE exact (id int PRIMARY KEY, n numeric NOT NULL, ts timestamptz NOT NULL);"
      "INSERT INTO exact VALUES (1, 12345678901234567890.123, "
      "'2024-05-01 10:00:00.123456+02')"));
  Run by_number = run(task_for("exact", "n", 10), std::nullopt);
  EXPECT_EQ(by_number.checkpoint->values,
            (std::vector<std::string>{"12345678901234567890.123", "1"}));
  Run by_time = run(task_for("exact", "ts", 10), std::nullopt);
  EXPECT_EQ(by_time.checkpoint->values,
            (std::vector<std::string>{"2024-05-01 08:00:00.123456+00", "1"}));
  EXPECT_TRUE(run(task_for("exact", "n", 10), by_number.checkpoint).ids.empty());
  EXPECT_TRUE(run(task_for("exact", "ts", 10), by_time.checkpoint).ids.empty());
}

TEST_F(TableReaderTest, LookbackDeliversLateRowsInsideTheWindowOnly) {
  PG_ASSERT_OK(
      conn().execute_script("CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL);"
                            "INSERT INTO events SELECT g, '2024-05-01 12:00:00+00'::timestamptz"
                            " - (30 - g) * interval '1 minute' FROM generate_series(1, 30) g"));
  TaskConfig task = task_for("events", "at", 4);
  task.lookback = 10min;
  Run first = run(task, std::nullopt);
  EXPECT_EQ(first.ids, numbers(1, 30));
  // Committed late, with older timestamps: 5 minutes (inside) and 20 minutes (outside)
  // before the newest row the checkpoint holds.
  PG_ASSERT_OK(
      conn().execute_script("INSERT INTO events VALUES (100, '2024-05-01 11:55:00.5+00'),"
                            " (101, '2024-05-01 11:40:00+00')"));
  Run second = run(task, first.checkpoint);
  std::set<std::string> delivered(second.ids.begin(), second.ids.end());
  EXPECT_EQ(delivered.count("100"), 1u);
  EXPECT_EQ(delivered.count("101"), 0u);
  // The window's rows come again (the trade-off), nothing older than the window.
  EXPECT_EQ(delivered, (std::set<std::string>{"20", "21", "22", "23", "24", "25", "26", "27", "28",
                                              "29", "30", "100"}));
  EXPECT_EQ(second.checkpoint, first.checkpoint);
}

TEST_F(TableReaderTest, LookbackOnANonTimeColumnIsRefused) {
  PG_ASSERT_OK(conn().execute("CREATE TABLE counters (id int PRIMARY KEY, n int8 NOT NULL)"));
  TaskConfig task = task_for("counters", "n", 10);
  task.lookback = 10min;
  auto reader = TableReader::open(conn(), task);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reader.status().message().find("'n' is bigint"), std::string::npos)
      << reader.status().message();
}

TEST_F(TableReaderTest, DiscoversCompositePrimaryKeyInKeyOrder) {
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE \"Order Items\" (\"item\"\"no\" int, tenant text, id int, at date NOT NULL,"
      " PRIMARY KEY (tenant, \"item\"\"no\"));"
      "INSERT INTO \"Order Items\" SELECT g % 3, 't' || (g % 2), g, '2024-05-01'"
      " FROM generate_series(1, 6) g"));
  auto pk = discover_primary_key(conn(), TableName{"public", "Order Items"});
  ASSERT_TRUE(pk.ok()) << pk.status().to_string();
  EXPECT_EQ(*pk, (std::vector<std::string>{"tenant", "item\"no"}));
  TaskConfig task = task_for("Order Items", "at", 4);
  std::vector<std::string> ids = read_with_restarts(task);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique, (std::set<std::string>{"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(TableReaderTest, TableWithoutPrimaryKeyNeedsOne) {
  PG_ASSERT_OK(conn().execute("CREATE TABLE loose (id int, at timestamptz)"));
  auto reader = TableReader::open(conn(), task_for("loose", "at", 10));
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reader.status().message().find("public.loose has no primary key"), std::string::npos)
      << reader.status().message();
  EXPECT_NE(reader.status().message().find("primary_key:"), std::string::npos);
  // Naming the key in the task makes it readable.
  TaskConfig named = task_for("loose", "at", 10);
  named.primary_key = {"id"};
  PG_EXPECT_OK(TableReader::open(conn(), named));
}

TEST_F(TableReaderTest, LargeTableIsReadInBoundedBatches) {
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);"
      "INSERT INTO big SELECT g, repeat('x', 20) FROM generate_series(1, 100000) g"));
  Run all = run(task_for("big", "", 1000), std::nullopt);
  EXPECT_EQ(all.batch_sizes, std::vector<int>(100, 1000));
  ASSERT_EQ(all.ids.size(), 100000u);
  EXPECT_EQ(all.ids.front(), "1");
  EXPECT_EQ(all.ids.back(), "100000");
  EXPECT_EQ(all.checkpoint->values, std::vector<std::string>{"100000"});
}

TEST_F(TableReaderTest, WhereFiltersTheRead) {
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE filtered (id int PRIMARY KEY, status text NOT NULL);"
      "INSERT INTO filtered SELECT g, CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'draft' END"
      " FROM generate_series(1, 9) g"));
  TaskConfig task = task_for("filtered", "", 2);
  task.where = "status = 'paid' -- only paid orders";
  EXPECT_EQ(run(task, std::nullopt).ids, (std::vector<std::string>{"2", "4", "6", "8"}));
}

}  // namespace
}  // namespace courier::pg_to_redis
