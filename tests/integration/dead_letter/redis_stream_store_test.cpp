#include "core/dead_letter/redis_stream_store.h"

#include <gtest/gtest.h>

#include <regex>

#include "dead_letter_test_support.h"

namespace courier::dead_letter_test {
namespace {

using courier::testing::RedisServer;
using courier::testing::unique_name;

enum class Deployment { kStandalone, kCluster };

std::string deployment_name(const ::testing::TestParamInfo<Deployment>& info) {
  return info.param == Deployment::kStandalone ? "Standalone" : "Cluster";
}

// Each test runs against a standalone server and a cluster, with a stream key of its own.
class RedisStreamStoreTest : public ::testing::TestWithParam<Deployment> {
 protected:
  void SetUp() override {
    if (GetParam() == Deployment::kCluster) {
      ASSERT_TRUE(courier::testing::shared_cluster().wait_healthy());
      client_ = redis_client(cluster_options(courier::testing::shared_cluster()));
    } else {
      client_ = redis_client(standalone_options(courier::testing::shared_redis()));
    }
    ASSERT_NE(client_, nullptr);
    key_ = unique_name("dlq") + ":{letters}";
  }

  RedisStreamDeadLetterStore store(RedisStreamDeadLetterOptions options = {}) {
    return RedisStreamDeadLetterStore(*client_, key_, options);
  }

  std::unique_ptr<redis::Client> client_;
  std::string key_;
};

INSTANTIATE_TEST_SUITE_P(Deployments, RedisStreamStoreTest,
                         ::testing::Values(Deployment::kStandalone, Deployment::kCluster),
                         deployment_name);

TEST_P(RedisStreamStoreTest, SendReceiveRemoveAndCountRoundTrip) {
  RedisStreamDeadLetterStore letters = store();
  const std::vector<DeadLetter> sent = sample_letters(3, "orders");
  Result<std::vector<std::string>> ids = letters.send(sent);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  ASSERT_EQ(ids->size(), 3u);
  for (const std::string& id : *ids) EXPECT_TRUE(std::regex_match(id, std::regex(R"(\d+-\d+)")));
  EXPECT_EQ(count_of(letters), 3u);

  const std::vector<DeadLetter> received = receive_all(letters);
  EXPECT_TRUE(same_letters_ignoring_ids(received, sent));
  EXPECT_EQ(ids_of(received), *ids) << "the letter's id is its stream entry id";

  Result<std::vector<DeadLetter>> oldest = letters.receive(2);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(payloads_of(*oldest), (std::vector<std::string>{"orders-0", "orders-1"}));

  ASSERT_TRUE(letters.remove(ids_of(*oldest)).ok());
  EXPECT_EQ(count_of(letters), 1u);
  EXPECT_EQ(payloads_of(receive_all(letters)), (std::vector<std::string>{"orders-2"}));
}

TEST_P(RedisStreamStoreTest, EntriesCarryTheLetterFieldsByName) {
  RedisStreamDeadLetterStore letters = store();
  ASSERT_TRUE(letters.send(sample_letters(1, "orders")).ok());
  Result<redis::Reply> entries = client_->command({"XRANGE", key_, "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  std::map<std::string, std::string> fields;
  const redis::Reply& values = (*entries)[0][1];
  for (size_t i = 0; i + 1 < values.size(); i += 2) fields[values[i].str()] = values[i + 1].str();
  EXPECT_EQ(fields["payload"], "orders-0");
  EXPECT_EQ(fields["error_code"], "failed_precondition");
  EXPECT_EQ(fields["error_detail"], "23505");
  EXPECT_EQ(fields["attempts"], "1");
  EXPECT_EQ(fields["first_failure"], "2024-05-06T07:00:00.000Z");
  EXPECT_EQ(fields["last_failure"], "2024-05-06T08:00:00.000Z");
  EXPECT_EQ(fields["meta.stream"], "orders");
  EXPECT_EQ(fields["meta.entry_id"], "0-0");
}

TEST_P(RedisStreamStoreTest, BinaryPayloadRoundTrips) {
  RedisStreamDeadLetterStore letters = store();
  std::vector<DeadLetter> sent = sample_letters(1, "binary");
  sent[0].payload = every_byte();
  sent[0].metadata["raw"] = std::string("a\0b", 3);
  ASSERT_TRUE(letters.send(sent).ok());
  EXPECT_TRUE(same_letters_ignoring_ids(receive_all(letters), sent));
}

TEST_P(RedisStreamStoreTest, MaxLengthTrimsTheOldestLettersAndCountsThem) {
  RedisStreamDeadLetterStore letters = store({.max_length = 10});
  const std::vector<DeadLetter> sent = sample_letters(300, "trim");
  for (size_t start = 0; start < sent.size(); start += 50) {
    ASSERT_TRUE(letters.send(std::span(sent).subspan(start, 50)).ok());
  }
  const std::vector<DeadLetter> kept = receive_all(letters);
  ASSERT_EQ(kept.size(), 10u) << "exactly the cap, never a node's worth over it";
  EXPECT_EQ(count_of(letters), 10u);
  EXPECT_EQ(letters.dropped_count(), 290u);
  EXPECT_EQ(kept.front().payload, "trim-290") << "the newest are kept";
  EXPECT_EQ(kept.back().payload, "trim-299");
}

TEST_P(RedisStreamStoreTest, WithoutMaxLengthNothingIsTrimmed) {
  RedisStreamDeadLetterStore letters = store({.max_length = 0});
  ASSERT_TRUE(letters.send(sample_letters(250, "all")).ok());
  EXPECT_EQ(count_of(letters), 250u);
  EXPECT_EQ(letters.dropped_count(), 0u);
}

TEST_P(RedisStreamStoreTest, NothingToSendReceiveOrRemoveIsOk) {
  RedisStreamDeadLetterStore letters = store();
  Result<std::vector<std::string>> ids = letters.send({});
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
  EXPECT_TRUE(receive_all(letters).empty());
  EXPECT_TRUE(letters.remove({}).ok());
  EXPECT_EQ(count_of(letters), 0u);
}

TEST_P(RedisStreamStoreTest, AKeyOfAnotherTypeFailsPermanentlyAndStoresNothing) {
  ASSERT_TRUE(client_->command({"SET", key_, "not a stream"}).ok());
  RedisStreamDeadLetterStore letters = store();
  Result<std::vector<std::string>> ids = letters.send(sample_letters(2, "wrong"));
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().detail(), "WRONGTYPE");
  EXPECT_TRUE(ids.status().permanent());
  EXPECT_NE(ids.status().message().find(key_), std::string::npos) << ids.status().message();
}

TEST_P(RedisStreamStoreTest, RemovingAnIdThatIsNotAStreamIdIsInvalidArgument) {
  RedisStreamDeadLetterStore letters = store();
  const std::vector<std::string> ids = {"not-an-id"};
  EXPECT_EQ(letters.remove(ids).code(), StatusCode::kInvalidArgument);
}

TEST(RedisStreamDeadLetterStore, AnEmptyKeyIsRefused) {
  auto client = redis_client(standalone_options(courier::testing::shared_redis()));
  ASSERT_NE(client, nullptr);
  EXPECT_THROW(RedisStreamDeadLetterStore(*client, ""), std::invalid_argument);
}

// An inner applier for which every record is bad.
ApplierPtr<int> fail_every_record_permanently() {
  return std::make_shared<BatchFunctionApplier<int>>([](std::span<const int> batch) {
    return ApplyResult::all_failed(batch.size(),
                                   Status(StatusCode::kInvalidArgument, "bad record"));
  });
}

TEST(RedisStreamDeadLetterStore, WhileRedisIsDownSendsAreUnavailableAndRecordsStayFailed) {
  std::unique_ptr<RedisServer> server = RedisServer::start();
  auto client = redis_client(standalone_options(*server));
  ASSERT_NE(client, nullptr);
  auto store = std::make_shared<RedisStreamDeadLetterStore>(*client, unique_name("dlq-down"));
  DeadLetterApplier<int> applier(fail_every_record_permanently(), store,
                                 {.encode = [](const int& n) { return std::to_string(n); }});
  const std::vector<int> batch = {1, 2};

  server->kill9();
  Result<std::vector<std::string>> sent = store->send(sample_letters(1, "down"));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(sent.status().retryable());
  ApplyResult while_down = applier.apply(batch);
  EXPECT_TRUE(while_down.dead_lettered().empty());
  ASSERT_EQ(while_down.failed().size(), 2u) << "never dropped while the store is down";
  for (const RecordFailure& failure : while_down.failed())
    EXPECT_EQ(failure.error.code(), StatusCode::kUnavailable);

  server->restart();
  ApplyResult after_restart;
  ASSERT_TRUE(poll_until(10s, [&] {
    after_restart = applier.apply(batch);
    return after_restart.failed().empty();
  })) << "the client reconnects by itself";
  EXPECT_EQ(after_restart.dead_lettered(), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(payloads_of(receive_all(*store)), (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace courier::dead_letter_test
