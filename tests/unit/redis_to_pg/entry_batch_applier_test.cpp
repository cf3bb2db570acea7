// Stream ingest's apply step without servers: rows go to a fake sink, letters to an
// in-memory store, time to an auto-advancing clock. What is acked (synced or
// dead-lettered), what is held, what stays pending.
#include "redis_to_pg/entry_batch_applier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest_test_support.h"

namespace courier::redis_to_pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Refuses every send.
class UnreachableLetters final : public DeadLetterStore {
 public:
  Result<std::vector<std::string>> send(std::span<const DeadLetter>) override {
    return Status(StatusCode::kUnavailable, "redis down");
  }
  Result<std::vector<DeadLetter>> receive(size_t) override { return std::vector<DeadLetter>{}; }
  Status remove(std::span<const std::string>) override { return Status(); }
  Result<size_t> count() override { return size_t{0}; }
  uint64_t dropped_count() const override { return 0; }
};

StreamEntry event(const std::string& id, const std::string& payload) {
  return {"events", id, {{"event_data", payload}}};
}
// An event no mapping names: one row in the generic table.
StreamEntry good(const std::string& id) {
  return event(id, generic_event_payload());
}

class EntryBatchApplierTest : public ::testing::Test {
 protected:
  EntryBatchApplierTest() {
    shared_.config.mappings = rindexer_mappings();
    shared_.config.max_entry_bytes = 4096;
    shared_.config.group = "ingest";
    shared_.decoder = std::make_unique<EntryDecoder>(shared_.config);
    shared_.clock = clock_;
    shared_.breaker = std::make_shared<CircuitBreaker>(
        CircuitBreakerOptions{.failure_threshold = 1000, .clock = clock_});
  }
  ApplyResult apply(std::vector<StreamEntry> entries, DeadLetterStore* letters = nullptr) {
    EntryBatchApplier applier(shared_, rows_, letters ? *letters : letters_,
                              [this] { ++keep_claimed_; });
    return applier.apply(entries);
  }
  std::vector<std::string> letter_errors() {
    std::vector<std::string> errors;
    Result<std::vector<DeadLetter>> letters = letters_.receive(100);
    if (!letters.ok()) return errors;
    for (const DeadLetter& letter : letters.value()) errors.push_back(letter.error);
    return errors;
  }

  std::shared_ptr<ManualClock> clock_ =
      std::make_shared<ManualClock>(ManualClock::Mode::kAutoAdvance);
  IngestShared shared_;
  FakeRowSink rows_;
  InMemoryDeadLetterStore letters_;
  int keep_claimed_ = 0;
};

TEST_F(EntryBatchApplierTest, CommittedEntriesAreSyncedAndABadOneIsDeadLetteredBesideThem) {
  ApplyResult result = apply({good("1-0"), event("2-0", "{not json"), good("3-0")});
  EXPECT_THAT(result.synced(), ElementsAre(0, 2));
  EXPECT_THAT(result.dead_lettered(), ElementsAre(1));
  EXPECT_TRUE(result.failed().empty());
  EXPECT_EQ(rows_.committed, 2u);
  ASSERT_EQ(letter_errors().size(), 1u);
}

TEST_F(EntryBatchApplierTest, AnEntryDeliveredTooOftenIsDeadLetteredWithoutBeingWritten) {
  StreamEntry poison = good("1-0");
  poison.deliveries = 6;  // max_deliveries is 5
  ApplyResult result = apply({poison});
  EXPECT_THAT(result.dead_lettered(), ElementsAre(0));
  EXPECT_EQ(rows_.writes, 0u);
  EXPECT_THAT(letter_errors(), ElementsAre(HasSubstr("more than max_deliveries (5)")));
}

TEST_F(EntryBatchApplierTest, ARowPostgresRefusesIsDeadLetteredAndItsEntryStillAcked) {
  rows_.answers.push_back(std::vector<RowRefusal>{
      {.index = 1, .reason = Status(StatusCode::kFailedPrecondition, "boom", "P0001")}});
  ApplyResult result = apply({good("1-0"), good("2-0")});
  EXPECT_THAT(result.synced(), ElementsAre(0, 1));  // the refusal is kept as a letter
  EXPECT_THAT(letter_errors(), ElementsAre(HasSubstr("refused the row: boom")));
}

TEST_F(EntryBatchApplierTest, ABatchIsHeldThroughAnOutageAndKeptClaimedUntilItCommits) {
  const Status down(StatusCode::kUnavailable, "connection refused");
  for (int i = 0; i < 9; ++i) rows_.answers.push_back(down);  // more than max_retries + 1
  ApplyResult result = apply({good("1-0")});
  EXPECT_THAT(result.synced(), ElementsAre(0));
  EXPECT_EQ(rows_.writes, 10u);
  EXPECT_GE(keep_claimed_, 1);
  EXPECT_EQ(rows_.committed, 1u);
}

TEST_F(EntryBatchApplierTest, AStopDuringAnOutageLeavesTheBatchPending) {
  rows_.answers.assign(100, Status(StatusCode::kUnavailable, "connection refused"));
  shared_.stop.request_stop();
  ApplyResult result = apply({good("1-0"), good("2-0")});
  ASSERT_EQ(result.failed().size(), 2u);
  EXPECT_EQ(result.failed()[0].error.code(), StatusCode::kCancelled);
  EXPECT_EQ(rows_.committed, 0u);
}

TEST_F(EntryBatchApplierTest, LettersThatCannotBeSentLeaveTheBatchPending) {
  UnreachableLetters unreachable;
  ApplyResult result = apply({good("1-0"), event("2-0", "{not json")}, &unreachable);
  ASSERT_EQ(result.failed().size(), 2u);  // neither is acked: both are read again
  EXPECT_THAT(result.failed()[1].error.message(), HasSubstr("redis down"));
}

}  // namespace
}  // namespace courier::redis_to_pg
