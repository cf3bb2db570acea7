#include "courier/timeout.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

#include "core_test_support.h"

namespace courier {
namespace {

using namespace std::chrono_literals;
using testing::bad_payload;
using testing::eventually;
using testing::failure_codes;
using testing::recording_applier;
using testing::synced_positions;

// An applier that blocks in its first call until the test opens the gate, then reads
// the records it was given. Later calls do not block.
class GatedApplier final : public Applier<int> {
 public:
  ApplyResult apply(std::span<const int> batch) override {
    const bool first_call = calls_++ == 0;
    if (first_call) {
      entered_.set_value();
      gate_.get_future().wait();
    }
    std::lock_guard lock(mutex_);
    batches_.emplace_back(batch.begin(), batch.end());
    return ApplyResult::all_synced(batch.size());
  }

  void wait_until_entered() { entered_future_.wait(); }
  void open_gate() { gate_.set_value(); }
  int calls() const { return calls_; }
  std::vector<std::vector<int>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::atomic<int> calls_ = 0;
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> gate_;
  mutable std::mutex mutex_;
  std::vector<std::vector<int>> batches_;
};

class TimeoutApplierTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(TimeoutApplierTest, BatchFinishedInTimeReturnsTheInnerResult) {
  auto inner = recording_applier([](int record) { return record == 2 ? bad_payload() : Status(); });
  TimeoutApplier<int> bounded(inner, 5s, clock_);

  ApplyResult result = bounded.apply(std::vector<int>{1, 2, 3});

  EXPECT_EQ(synced_positions(result), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(failure_codes(result),
            (std::map<size_t, StatusCode>{{1, StatusCode::kInvalidArgument}}));
  EXPECT_EQ(clock_->requested_waits(), (std::vector<Duration>{5s}));
}

TEST_F(TimeoutApplierTest, SlowBatchTimesOutAndTheLateResultIsDiscarded) {
  auto inner = std::make_shared<GatedApplier>();
  TimeoutApplier<int> bounded(inner, 5s, clock_);

  auto applying = std::async(std::launch::async, [&] {
    std::vector<int> batch{1, 2, 3};  // gone once apply() returns; the worker has its copy
    return bounded.apply(batch);
  });
  inner->wait_until_entered();
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(5s);
  ApplyResult timed_out = applying.get();

  ASSERT_EQ(timed_out.failed().size(), 3u);
  EXPECT_TRUE(timed_out.synced().empty());
  EXPECT_EQ(timed_out.failed()[0].error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(timed_out.failed()[0].error.message().rfind("timed out after 5s", 0), 0u);
  EXPECT_TRUE(bounded.inner_call_running());

  inner->open_gate();
  ASSERT_TRUE(eventually([&] { return !bounded.inner_call_running(); }));
  EXPECT_EQ(inner->batches(), (std::vector<std::vector<int>>{{1, 2, 3}}));  // read its own copy
}

TEST_F(TimeoutApplierTest, NewBatchFailsAtOnceWhileATimedOutCallStillRuns) {
  auto inner = std::make_shared<GatedApplier>();
  TimeoutApplier<int> bounded(inner, 5s, clock_);
  auto applying =
      std::async(std::launch::async, [&] { return bounded.apply(std::vector<int>{1}); });
  inner->wait_until_entered();
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(5s);
  (void)applying.get();

  ApplyResult refused = bounded.apply(std::vector<int>{2, 3});

  EXPECT_EQ(inner->calls(), 1);  // the inner applier never runs twice at once
  ASSERT_EQ(refused.failed().size(), 2u);
  EXPECT_EQ(refused.failed()[0].error.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.failed()[0].error.message().find("still running"), std::string::npos);

  inner->open_gate();
  ASSERT_TRUE(eventually([&] { return !bounded.inner_call_running(); }));
  EXPECT_TRUE(bounded.apply(std::vector<int>{4}).all_ok());
  EXPECT_EQ(inner->calls(), 2);
}

TEST_F(TimeoutApplierTest, ExceptionFromTheInnerApplierBecomesAFatalError) {
  auto inner = std::make_shared<testing::RecordingApplier>(
      [](std::span<const int>) -> ApplyResult { throw std::runtime_error("boom"); });
  TimeoutApplier<int> bounded(inner, 5s, clock_);
  ApplyResult result = bounded.apply(std::vector<int>{1});
  ASSERT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().message(), "inner applier threw: boom");
}

TEST_F(TimeoutApplierTest, LimitMustBePositive) {
  auto inner = recording_applier([](int) { return Status::Ok(); });
  EXPECT_THROW(TimeoutApplier<int>(inner, 0s, clock_), std::invalid_argument);
}

}  // namespace
}  // namespace courier
