#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "courier/dead_letter.h"

namespace courier {
namespace {

using namespace std::chrono_literals;

// A record the inner applier decides on by itself: ok, or the status it carries.
struct Order {
  int id = 0;
  Status outcome;
  std::optional<DeadLetterHistory> history;  // set when the order was replayed
};

Order ok_order(int id) {
  return {id, Status::Ok(), std::nullopt};
}
Order bad_order(int id) {  // permanent: retrying cannot help
  return {id, Status(StatusCode::kInvalidArgument, "price is negative", "22003"), std::nullopt};
}
Order unlucky_order(int id) {  // retryable
  return {id, Status(StatusCode::kUnavailable, "connection refused"), std::nullopt};
}

ApplierPtr<Order> apply_each_outcome(int* calls = nullptr) {
  return std::make_shared<BatchFunctionApplier<Order>>([calls](std::span<const Order> batch) {
    if (calls) ++*calls;
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].outcome.ok()) {
        result.add_synced(i);
      } else {
        result.add_failed(i, batch[i].outcome);
      }
    }
    return result;
  });
}

ApplierPtr<Order> answer_with(ApplyResult answer) {
  return std::make_shared<BatchFunctionApplier<Order>>(
      [answer](std::span<const Order>) { return answer; });
}

// An in-memory store that can be told to refuse sends, and counts them.
class ScriptedStore final : public DeadLetterStore {
 public:
  Result<std::vector<std::string>> send(std::span<const DeadLetter> letters) override {
    ++sends;
    if (!refusal.ok()) return refusal;
    return letters_.send(letters);
  }
  Result<std::vector<DeadLetter>> receive(size_t max) override { return letters_.receive(max); }
  Status remove(std::span<const std::string> ids) override { return letters_.remove(ids); }
  Result<size_t> count() override { return letters_.count(); }
  uint64_t dropped_count() const override { return letters_.dropped_count(); }

  std::vector<DeadLetter> all() { return letters_.receive(1000).value_or({}); }

  Status refusal;
  int sends = 0;

 private:
  InMemoryDeadLetterStore letters_;
};

const WallTime kNow = WallTime(std::chrono::sys_days(std::chrono::year(2024) / 5 / 6)) + 7h;

DeadLetterOptions<Order> order_options(
    DeadLetterPolicy policy = DeadLetterPolicy::kPermanentFailures) {
  DeadLetterOptions<Order> options;
  options.encode = [](const Order& order) { return "order-" + std::to_string(order.id); };
  options.metadata = [](const Order& order) {
    return std::map<std::string, std::string>{{"table", "orders"},
                                              {"order_id", std::to_string(order.id)}};
  };
  options.history = [](const Order& order) { return order.history; };
  options.policy = policy;
  options.now = [] { return kNow; };
  return options;
}

struct Fixture {
  explicit Fixture(DeadLetterOptions<Order> options = order_options(),
                   ApplierPtr<Order> inner = apply_each_outcome())
      : store(std::make_shared<ScriptedStore>()),
        applier(std::move(inner), store, std::move(options)) {}

  ApplyResult apply(const std::vector<Order>& batch) {
    return applier.apply(std::span<const Order>(batch));
  }

  std::shared_ptr<ScriptedStore> store;
  DeadLetterApplier<Order> applier;
};

std::vector<size_t> failed_indexes(const ApplyResult& result) {
  std::vector<size_t> indexes;
  for (const RecordFailure& failure : result.failed()) indexes.push_back(failure.index);
  return indexes;
}

std::vector<std::string> payloads(const std::vector<DeadLetter>& letters) {
  std::vector<std::string> out;
  for (const DeadLetter& letter : letters) out.push_back(letter.payload);
  return out;
}

using Indexes = std::vector<size_t>;

TEST(DeadLetterApplier, PermanentFailuresAreDeadLetteredAndReportedAsDeadLetteredNotFailed) {
  Fixture f;
  ApplyResult result = f.apply({ok_order(1), bad_order(2), ok_order(3), bad_order(4)});
  EXPECT_EQ(result.synced(), (Indexes{0, 2}));
  EXPECT_EQ(result.dead_lettered(), (Indexes{1, 3}));
  EXPECT_TRUE(result.failed().empty());
  EXPECT_TRUE(result.all_ok());
  EXPECT_EQ(payloads(f.store->all()), (std::vector<std::string>{"order-2", "order-4"}));
}

TEST(DeadLetterApplier, AllLettersOfABatchGoToTheStoreInOneSend) {
  Fixture f;
  (void)f.apply({bad_order(1), bad_order(2), bad_order(3)});
  EXPECT_EQ(f.store->sends, 1);
}

TEST(DeadLetterApplier, SyncedRecordsAreReportedAsSuchAndNeverSentToTheStore) {
  Fixture f;
  ApplyResult result = f.apply({ok_order(1), ok_order(2)});
  EXPECT_EQ(result.synced(), (Indexes{0, 1}));
  EXPECT_TRUE(result.dead_lettered().empty());
  EXPECT_EQ(f.store->sends, 0);
}

TEST(DeadLetterApplier, RetryableFailuresStayFailedUnderThePermanentFailuresPolicy) {
  Fixture f;
  ApplyResult result = f.apply({unlucky_order(1), bad_order(2)});
  EXPECT_EQ(failed_indexes(result), (Indexes{0}));
  EXPECT_EQ(result.failed()[0].error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(result.dead_lettered(), (Indexes{1}));
  EXPECT_EQ(payloads(f.store->all()), (std::vector<std::string>{"order-2"}));
}

TEST(DeadLetterApplier, OtherNonPermanentFailuresStayFailedUnderThePermanentFailuresPolicy) {
  Fixture f;
  Order unknown = ok_order(1);
  unknown.outcome = Status(StatusCode::kOutcomeUnknown, "connection lost during COMMIT");
  Order cancelled = ok_order(2);
  cancelled.outcome = Status(StatusCode::kCancelled, "shutting down");
  ApplyResult result = f.apply({unknown, cancelled});
  EXPECT_EQ(failed_indexes(result), (Indexes{0, 1}));
  EXPECT_EQ(f.store->sends, 0);
}

TEST(DeadLetterApplier, AllFailuresPolicyDeadLettersRetryableFailuresToo) {
  Fixture f(order_options(DeadLetterPolicy::kAllFailures));
  ApplyResult result = f.apply({unlucky_order(1), ok_order(2), bad_order(3)});
  EXPECT_EQ(result.dead_lettered(), (Indexes{0, 2}));
  EXPECT_EQ(result.synced(), (Indexes{1}));
  EXPECT_TRUE(result.failed().empty());
  std::vector<DeadLetter> letters = f.store->all();
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0].error_code, "unavailable");
  EXPECT_EQ(letters[0].error, "connection refused");
}

TEST(DeadLetterApplier, AFailingStoreKeepsTheRecordsFailedWithTheStoresError) {
  Fixture f;
  f.store->refusal =
      Status(StatusCode::kUnavailable, "redis 127.0.0.1:6379: connection refused", "CONNECT");
  ApplyResult result = f.apply({bad_order(1), ok_order(2), bad_order(3)});
  EXPECT_TRUE(result.dead_lettered().empty());
  EXPECT_EQ(result.synced(), (Indexes{1}));
  ASSERT_EQ(failed_indexes(result), (Indexes{0, 2}));
  for (const RecordFailure& failure : result.failed()) {
    EXPECT_EQ(failure.error.code(), StatusCode::kUnavailable) << "retryable: tried again later";
    EXPECT_EQ(failure.error.detail(), "CONNECT");
    EXPECT_NE(failure.error.message().find("connection refused"), std::string::npos);
    EXPECT_NE(failure.error.message().find("price is negative"), std::string::npos)
        << "the record's own error is kept: " << failure.error.message();
  }
}

TEST(DeadLetterApplier, CodecMetadataAndErrorReachTheStore) {
  Fixture f;
  (void)f.apply({bad_order(7)});
  std::vector<DeadLetter> letters = f.store->all();
  ASSERT_EQ(letters.size(), 1u);
  const DeadLetter& letter = letters[0];
  EXPECT_EQ(letter.payload, "order-7");
  EXPECT_EQ(letter.error, "price is negative");
  EXPECT_EQ(letter.error_code, "invalid_argument");
  EXPECT_EQ(letter.error_detail, "22003");
  EXPECT_EQ(letter.metadata,
            (std::map<std::string, std::string>{{"table", "orders"}, {"order_id", "7"}}));
  EXPECT_EQ(letter.attempts, 1);
  EXPECT_EQ(letter.first_failure, kNow);
  EXPECT_EQ(letter.last_failure, kNow);
}

TEST(DeadLetterApplier, WithoutMetadataOrHistoryFunctionsLettersStillGo) {
  DeadLetterOptions<Order> options;
  options.encode = [](const Order& order) { return std::to_string(order.id); };
  Fixture f(options);
  ApplyResult result = f.apply({bad_order(5)});
  EXPECT_EQ(result.dead_lettered(), (Indexes{0}));
  std::vector<DeadLetter> letters = f.store->all();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_TRUE(letters[0].metadata.empty());
  EXPECT_EQ(letters[0].attempts, 1);
}

TEST(DeadLetterApplier, AReplayedRecordFailingAgainCountsTheAttemptAndKeepsItsFirstFailure) {
  Fixture f;
  Order replayed = bad_order(9);
  const WallTime first = kNow - 48h;
  replayed.history = DeadLetterHistory{.attempts = 2, .first_failure = first};
  (void)f.apply({replayed});
  std::vector<DeadLetter> letters = f.store->all();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 3);
  EXPECT_EQ(letters[0].first_failure, first);
  EXPECT_EQ(letters[0].last_failure, kNow);
}

TEST(DeadLetterApplier, AFatalResultPassesThroughAndNothingIsDeadLettered) {
  ApplyResult fatal =
      ApplyResult::fatal_error(Status(StatusCode::kFailedPrecondition, "bad password"));
  Fixture f(order_options(), answer_with(fatal));
  ApplyResult result = f.apply({bad_order(1)});
  EXPECT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().message(), "bad password");
  EXPECT_EQ(f.store->sends, 0);
}

TEST(DeadLetterApplier, RecordsTheInnerApplierAlreadyDeadLetteredPassThrough) {
  ApplyResult inner;
  inner.add_dead_lettered(0);
  inner.add_synced(1);
  Fixture f(order_options(), answer_with(inner));
  ApplyResult result = f.apply({bad_order(1), ok_order(2)});
  EXPECT_EQ(result.dead_lettered(), (Indexes{0}));
  EXPECT_EQ(result.synced(), (Indexes{1}));
  EXPECT_EQ(f.store->sends, 0);
}

TEST(DeadLetterApplier, AFailureIndexOutsideTheBatchIsAFatalInternalError) {
  ApplyResult inner;
  inner.add_failed(5, Status(StatusCode::kInvalidArgument, "bad"));
  Fixture f(order_options(), answer_with(inner));
  ApplyResult result = f.apply({ok_order(1)});
  ASSERT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().code(), StatusCode::kInternal);
  EXPECT_EQ(f.store->sends, 0);
}

TEST(DeadLetterApplier, IsRefusedWithoutInnerApplierStoreOrEncoder) {
  auto store = std::make_shared<InMemoryDeadLetterStore>();
  EXPECT_THROW(DeadLetterApplier<Order>(nullptr, store, order_options()), std::invalid_argument);
  EXPECT_THROW(DeadLetterApplier<Order>(apply_each_outcome(), nullptr, order_options()),
               std::invalid_argument);
  EXPECT_THROW(DeadLetterApplier<Order>(apply_each_outcome(), store, DeadLetterOptions<Order>{}),
               std::invalid_argument);
}

// The defect of the reference library: dead-lettered records were never marked, so every
// poll fetched them and dead-lettered them again. Here a source that removes what the
// result reports as handled (synced or dead-lettered) sees the bad record once.
TEST(DeadLetterApplier, DeadLetteredRecordsAreHandledSoAMarkingSourceNeverRefetchesThem) {
  Fixture f;
  std::vector<Order> source = {ok_order(1), bad_order(2), unlucky_order(3)};
  for (int poll = 0; poll < 20; ++poll) {
    ApplyResult result = f.apply(source);
    std::vector<bool> handled(source.size(), false);
    for (size_t index : result.synced()) handled[index] = true;
    for (size_t index : result.dead_lettered()) handled[index] = true;
    std::vector<Order> still_pending;
    for (size_t i = 0; i < source.size(); ++i)
      if (!handled[i]) still_pending.push_back(source[i]);
    source = still_pending;
  }
  EXPECT_EQ(f.store->count().value_or(0), 1u) << "order 2 was dead-lettered exactly once";
  ASSERT_EQ(source.size(), 1u) << "only the retryable failure is still pending";
  EXPECT_EQ(source[0].id, 3);
}

}  // namespace
}  // namespace courier
