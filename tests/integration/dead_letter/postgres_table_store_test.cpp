#include "core/dead_letter/postgres_table_store.h"

#include <gtest/gtest.h>

#include "dead_letter_test_support.h"

namespace courier::dead_letter_test {
namespace {

// Each test gets a database of its own and a store on table "dead_letters" in it.
class PostgresTableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connection_ = connect_to_new_database("dlq");
    ASSERT_NE(connection_, nullptr);
    store_ = std::make_unique<PostgresTableDeadLetterStore>(*connection_, "dead_letters");
    const Status created = store_->ensure_table();
    ASSERT_TRUE(created.ok()) << created.to_string();
  }

  // The first cell of a one-row query, as text.
  std::string scalar(std::string_view sql) {
    Result<pg::QueryResult> result = connection_->execute(sql);
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    if (!result.ok() || result->row_count() != 1) return "<no single row>";
    return std::string(result->get(0, 0).value_or("NULL"));
  }

  std::unique_ptr<pg::Connection> connection_;
  std::unique_ptr<PostgresTableDeadLetterStore> store_;
};

TEST_F(PostgresTableStoreTest, EnsureTableIsIdempotentAndKeepsTheLetters) {
  ASSERT_TRUE(store_->send(sample_letters(2, "orders")).ok());
  const Status again = store_->ensure_table();
  EXPECT_TRUE(again.ok()) << again.to_string();
  EXPECT_EQ(count_of(*store_), 2u);
}

TEST_F(PostgresTableStoreTest, SendReceiveRemoveAndCountRoundTrip) {
  const std::vector<DeadLetter> sent = sample_letters(3, "orders");
  Result<std::vector<std::string>> ids = store_->send(sent);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  EXPECT_EQ(*ids, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(count_of(*store_), 3u);

  const std::vector<DeadLetter> received = receive_all(*store_);
  EXPECT_TRUE(same_letters_ignoring_ids(received, sent));
  EXPECT_EQ(ids_of(received), *ids);

  Result<std::vector<DeadLetter>> oldest = store_->receive(2);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(payloads_of(*oldest), (std::vector<std::string>{"orders-0", "orders-1"}));
  ASSERT_TRUE(store_->remove(ids_of(*oldest)).ok());
  EXPECT_EQ(count_of(*store_), 1u);
  EXPECT_EQ(payloads_of(receive_all(*store_)), (std::vector<std::string>{"orders-2"}));
  EXPECT_EQ(store_->dropped_count(), 0u);
}

TEST_F(PostgresTableStoreTest, IdsLineUpWithTheLettersOfALargeSend) {
  const std::vector<DeadLetter> sent = sample_letters(500, "bulk");
  Result<std::vector<std::string>> ids = store_->send(sent);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  const std::vector<DeadLetter> received = receive_all(*store_);
  EXPECT_TRUE(same_letters_ignoring_ids(received, sent));
  EXPECT_EQ(ids_of(received), *ids);
}

TEST_F(PostgresTableStoreTest, MetadataIsAJsonbObjectThatSqlCanQuery) {
  ASSERT_TRUE(store_->send(sample_letters(2, "orders")).ok());
  ASSERT_TRUE(store_->send(sample_letters(1, "payments")).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters WHERE metadata->>'stream' = 'orders'"), "2");
  EXPECT_EQ(scalar("SELECT jsonb_typeof(metadata) FROM dead_letters WHERE id = 3"), "object");
  EXPECT_EQ(scalar("SELECT metadata->>'entry_id' FROM dead_letters WHERE id = 2"), "1-0");
}

TEST_F(PostgresTableStoreTest, ColumnsHoldTheLetterFields) {
  ASSERT_TRUE(store_->send(sample_letters(1, "orders")).ok());
  EXPECT_EQ(scalar("SELECT convert_from(payload, 'UTF8') FROM dead_letters"), "orders-0");
  EXPECT_EQ(scalar("SELECT error_code || ' ' || error_detail || ' ' || attempts "
                   "FROM dead_letters"),
            "failed_precondition 23505 1");
  EXPECT_EQ(scalar("SELECT first_failure = '2024-05-06T07:00:00Z' FROM dead_letters"), "t");
  EXPECT_EQ(scalar("SELECT created_at <= now() FROM dead_letters"), "t");
}

TEST_F(PostgresTableStoreTest, BinaryPayloadRoundTripsAsBytea) {
  std::vector<DeadLetter> sent = sample_letters(1, "binary");
  sent[0].payload = every_byte();
  ASSERT_TRUE(store_->send(sent).ok());
  EXPECT_EQ(scalar("SELECT octet_length(payload) FROM dead_letters"), "256");
  EXPECT_TRUE(same_letters_ignoring_ids(receive_all(*store_), sent));
}

TEST_F(PostgresTableStoreTest, TextThatPostgresCannotHoldIsReplacedNotRefused) {
  std::vector<DeadLetter> sent = sample_letters(1, "text");
  sent[0].error = std::string("nul\0here \xff", 10);
  sent[0].metadata["key"] = std::string("a\0b", 3);
  Result<std::vector<std::string>> ids = store_->send(sent);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  const std::vector<DeadLetter> received = receive_all(*store_);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].error, "nul\xEF\xBF\xBDhere \xEF\xBF\xBD");
  EXPECT_EQ(received[0].metadata.at("key"),
            "a\xEF\xBF\xBD"
            "b");
}

TEST_F(PostgresTableStoreTest, AQuotedTableNameWithCapitalsAndSpacesWorks) {
  ASSERT_TRUE(connection_->execute(R"(CREATE SCHEMA "Ops Team")").ok());
  PostgresTableDeadLetterStore quoted(*connection_, "Ops Team.Dead Letters");
  EXPECT_EQ(quoted.quoted_table(), R"("Ops Team"."Dead Letters")");
  ASSERT_TRUE(quoted.ensure_table().ok());
  ASSERT_TRUE(quoted.ensure_table().ok());
  const std::vector<DeadLetter> sent = sample_letters(2, "quoted");
  Result<std::vector<std::string>> ids = quoted.send(sent);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  EXPECT_TRUE(same_letters_ignoring_ids(receive_all(quoted), sent));
  ASSERT_TRUE(quoted.remove(*ids).ok());
  EXPECT_EQ(count_of(quoted), 0u);
  EXPECT_EQ(scalar(R"(SELECT count(*) FROM "Ops Team"."Dead Letters")"), "0");
}

TEST_F(PostgresTableStoreTest, ANameThatCannotBeATableIsRefusedAtConstruction) {
  EXPECT_THROW(PostgresTableDeadLetterStore(*connection_, ""), std::invalid_argument);
  EXPECT_THROW(PostgresTableDeadLetterStore(*connection_, "a.b.c.d"), std::invalid_argument);
}

TEST_F(PostgresTableStoreTest, RemovingAnIdThatIsNotANumberIsInvalidArgument) {
  ASSERT_TRUE(store_->send(sample_letters(1, "orders")).ok());
  const std::vector<std::string> ids = {"1,2"};
  EXPECT_EQ(store_->remove(ids).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(count_of(*store_), 1u);
}

TEST_F(PostgresTableStoreTest, UnknownIdsAreIgnored) {
  ASSERT_TRUE(store_->send(sample_letters(1, "orders")).ok());
  const std::vector<std::string> ids = {"42"};
  EXPECT_TRUE(store_->remove(ids).ok());
  EXPECT_EQ(count_of(*store_), 1u);
}

TEST_F(PostgresTableStoreTest, AMissingTableIsAPermanentErrorNamingIt) {
  PostgresTableDeadLetterStore missing(*connection_, "nowhere");
  Result<std::vector<std::string>> ids = missing.send(sample_letters(1, "x"));
  ASSERT_FALSE(ids.ok());
  EXPECT_TRUE(ids.status().permanent());
  EXPECT_EQ(ids.status().detail(), "42P01");
  EXPECT_NE(ids.status().message().find("\"nowhere\""), std::string::npos);
}

TEST_F(PostgresTableStoreTest, ADeadLetterApplierFillsTheTableWithItsPermanentFailures) {
  std::shared_ptr<DeadLetterStore> store = std::shared_ptr<DeadLetterStore>(
      store_.get(), [](DeadLetterStore*) {});  // owned by the fixture
  auto inner = process_each<int>([](const int& n) {
    return n % 2 == 0 ? Status::Ok() : Status(StatusCode::kFailedPrecondition, "odd", "23514");
  });
  DeadLetterApplier<int> applier(
      inner, store,
      {.encode = [](const int& n) { return std::to_string(n); },
       .metadata =
           [](const int&) {
             return std::map<std::string, std::string>{{"table", "numbers"}};
           }});
  const std::vector<int> batch = {1, 2, 3, 4};
  ApplyResult result = applier.apply(batch);
  EXPECT_EQ(result.dead_lettered(), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(result.synced(), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(payloads_of(receive_all(*store_)), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters WHERE error_detail = '23514' "
                   "AND metadata->>'table' = 'numbers'"),
            "2");
}

}  // namespace
}  // namespace courier::dead_letter_test
