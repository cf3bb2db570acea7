// The batch writer against a real Postgres with the rindexer schema: rows committed in one
// transaction, written again without duplicates, DO UPDATE keeping the last row of a key,
// and rows Postgres refuses (for any reason but the server's state) isolated while their
// neighbours commit.
#include "redis_to_pg/batch_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../pg/pg_fixture.h"
#include "pg/errors.h"
#include "pg/migrations.h"

namespace courier::redis_to_pg {
namespace {

class BatchWriterTest : public pg::PgDatabaseTest {
 protected:
  void SetUp() override {
    pg::PgDatabaseTest::SetUp();
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL CHECK (name <> 'bad'),"
        " amount smallint)"));
    mapping_ =
        TableMapping{.table = "items",
                     .key = {"id"},
                     .columns = {{.column = "id"}, {.column = "name"}, {.column = "amount"}}};
  }

  static DecodedRow row(std::string id, std::string name, std::optional<std::string> amount = "1") {
    return DecodedRow{0, 0, {std::move(id), std::move(name), std::move(amount)}};
  }

  TableMapping mapping_;
};

TEST_F(BatchWriterTest, CommitsEveryRowAndWritingAgainAddsNoDuplicates) {
  StreamBatchWriter writer(conn(), {mapping_});
  std::vector<DecodedRow> rows = {row("1", "a"), row("2", "b"), row("3", "c", std::nullopt)};
  auto refused = writer.write(rows);
  PG_ASSERT_OK(refused);
  EXPECT_TRUE(refused->empty());
  EXPECT_EQ(writer.fallbacks(), 0u);  // new keys: copied straight into the table
  PG_ASSERT_OK(writer.write(rows));
  EXPECT_EQ(writer.fallbacks(), 1u);  // the keys are there: staging + ON CONFLICT
  EXPECT_EQ(pg::scalar(conn(), "SELECT count(*) || ':' || count(amount) FROM items"), "3:2");
  EXPECT_EQ(writer.commits(), 2u);
  EXPECT_EQ(writer.bisections(), 0u);
}

TEST_F(BatchWriterTest, RefusedRowsAreIsolatedAndNeighboursCommitted) {
  StreamBatchWriter writer(conn(), {mapping_});
  std::vector<DecodedRow> rows;
  for (int i = 0; i < 40; ++i) rows.push_back(row(std::to_string(i), "n" + std::to_string(i)));
  rows[7] = row("7", "bad");           // check constraint: 23514
  rows[23] = row("23", "x", "70000");  // smallint out of range: 22003
  auto refused = writer.write(rows);
  PG_ASSERT_OK(refused);
  ASSERT_EQ(refused->size(), 2u);
  EXPECT_EQ((*refused)[0].index, 7u);
  EXPECT_EQ((*refused)[0].reason.detail(), "23514");
  EXPECT_EQ((*refused)[1].index, 23u);
  EXPECT_EQ((*refused)[1].reason.detail(), "22003");
  EXPECT_EQ(pg::scalar(conn(), "SELECT count(*) FROM items"), "38");
  EXPECT_EQ(writer.commits(), 1u);
  EXPECT_GT(writer.bisections(), 0u);
}

TEST_F(BatchWriterTest, AnyErrorButTheServersStateIsLookedThroughForTheRowsThatCauseIt) {
  // A trigger whose rarely taken branch calls a function that does not exist: 42883, a
  // class no list of row errors would hold, yet only this row's doing.
  PG_ASSERT_OK(conn().execute_script(R"(
    CREATE FUNCTION odd_names() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.name = 'odd' THEN PERFORM no_such_function(); END IF; RETURN NEW; END $$;
    CREATE TRIGGER odd_names BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION odd_names();)"));
  StreamBatchWriter writer(conn(), {mapping_});
  std::vector<DecodedRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(row(std::to_string(i), i == 4 ? "odd" : "even"));
  auto refused = writer.write(rows);
  PG_ASSERT_OK(refused);
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].index, 4u);
  EXPECT_EQ((*refused)[0].reason.detail(), "42883");
  EXPECT_EQ(pg::scalar(conn(), "SELECT count(*) FROM items"), "9");
}

TEST_F(BatchWriterTest, UpdateModeKeepsTheLastRowOfAKey) {
  mapping_.on_conflict = ConflictAction::kUpdate;
  StreamBatchWriter writer(conn(), {mapping_});
  PG_ASSERT_OK(writer.write(std::vector{row("1", "first"), row("1", "second")}));
  PG_ASSERT_OK(writer.write(std::vector{row("2", "x"), row("1", "third")}));
  EXPECT_EQ(pg::scalar(conn(), "SELECT string_agg(id || name, ',' ORDER BY id) FROM items"),
            "1third,2x");
}

TEST_F(BatchWriterTest, MissingTableFailsTheBatchWithoutRefusingRows) {
  mapping_.table = "no_such_table";
  StreamBatchWriter writer(conn(), {mapping_});
  auto refused = writer.write(std::vector{row("1", "a")});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().detail(), pg::sqlstate::kUndefinedTable);
  EXPECT_FALSE(conn().in_transaction());
}

TEST_F(BatchWriterTest, RindexerRowsLandInTheirTables) {
  PG_ASSERT_OK(pg::apply_migrations(conn(),
                                    {{1, "rindexer_events", std::string(rindexer_migration_sql())}},
                                    {.scope = "rindexer"}));
  StreamsConfig config;
  config.mappings = rindexer_mappings();
  EntryDecoder decoder(config);
  nlohmann::json info = {{"address", "0xa"},          {"block_hash", "0xb"},
                         {"block_number", "0x10"},    {"block_timestamp", "0x6553f100"},
                         {"log_index", "1f"},         {"network", "base"},
                         {"transaction_hash", "0xt"}, {"transaction_index", 3}};
  nlohmann::json data = {{"termId", "0x01"},
                         {"creator", "0xc"},
                         {"atomWallet", "0xw"},
                         {"atomData", "ipfs://x"},
                         {"transaction_information", info}};
  nlohmann::json envelope = {{"event_name", "AtomCreated"}, {"event_data", data}};
  DecodedEntry decoded = decoder.decode({"s", "1-0", {{"event_data", envelope.dump()}}});
  ASSERT_EQ(decoded.rows.size(), 1u);
  StreamBatchWriter writer(conn(), decoder.mappings());
  PG_ASSERT_OK(writer.write(decoded.rows));
  EXPECT_EQ(pg::scalar(conn(),
                       "SELECT log_index || ' ' || block_number || ' ' || "
                       "extract(epoch FROM block_timestamp)::bigint FROM atom_created_events"),
            "31 16 1700000000");
}

class CheckMappingsTest : public pg::PgDatabaseTest {
 protected:
  void SetUp() override {
    pg::PgDatabaseTest::SetUp();
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE events (tx text, idx bigint, body jsonb, PRIMARY KEY (tx, idx))"));
  }
  TableMapping mapping() const {
    return TableMapping{.table = "events",
                        .key = {"idx", "tx"},
                        .columns = {{.column = "tx"}, {.column = "idx"}, {.column = "body"}},
                        .location = "streams.mappings[0]"};
  }
};

TEST_F(CheckMappingsTest, AMappingMatchingItsTablePasses) {
  PG_EXPECT_OK(check_mappings(conn(), {mapping()}));
}

TEST_F(CheckMappingsTest, MissingTableColumnOrKeyIndexIsNamed) {
  TableMapping no_table = mapping();
  no_table.table = "evnets";
  TableMapping no_column = mapping();
  no_column.columns.push_back({.column = "extra"});
  TableMapping no_index = mapping();
  no_index.key = {"tx"};
  for (const auto& [bad, expected] : std::vector<std::pair<TableMapping, std::string>>{
           {no_table, "streams.mappings[0] (table evnets): the table does not exist"},
           {no_column, "the table has no column 'extra'"},
           {no_index, "no primary key or unique index on (tx)"}}) {
    Status checked = check_mappings(conn(), {bad});
    EXPECT_EQ(checked.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(checked.message().find(expected), std::string::npos) << checked.message();
  }
}

}  // namespace
}  // namespace courier::redis_to_pg
