// The polling coordinator's passes: framed by begin_pass()/end_pass(), retried as
// pass_retry says, scheduled by until_next_pass, reading ahead when asked, and surviving
// a source or applier that throws.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/polling_coordinator.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A cursor over 1..last: fetch() continues after the previous fetch, mark() moves the
// stored position; end_pass() after a failure rewinds the cursor to the stored position,
// as a source that reads ahead must. begin_pass() answers from a queue (default: true).
class CursorSource final : public BatchSource<int> {
 public:
  explicit CursorSource(int last) : last_(last) {}

  Result<bool> begin_pass() override {
    std::lock_guard lock(mutex_);
    ++passes_begun_;
    if (begin_answers_.empty()) return true;
    Result<bool> answer = begin_answers_.front();
    begin_answers_.pop_front();
    return answer;
  }
  void end_pass(const Status& outcome) override {
    std::lock_guard lock(mutex_);
    outcomes_.push_back(outcome);
    if (!outcome.ok()) cursor_ = stored_;
  }
  Result<std::vector<int>> fetch(size_t max_records) override {
    fetches.increment();
    if (before_fetch) before_fetch();
    std::lock_guard lock(mutex_);
    if (fetch_throws_) {
      fetch_throws_ = false;
      throw std::runtime_error("cursor closed");
    }
    std::vector<int> batch;
    while (batch.size() < max_records && cursor_ < last_) batch.push_back(++cursor_);
    return batch;
  }
  Status mark(std::span<const int> handled) override {
    std::lock_guard lock(mutex_);
    for (int record : handled) {
      marked_.push_back(record);
      stored_ = std::max(stored_, record);
    }
    return Status();
  }

  void answer_next_begin(Result<bool> answer) {
    std::lock_guard lock(mutex_);
    begin_answers_.push_back(std::move(answer));
  }
  void throw_on_next_fetch() {
    std::lock_guard lock(mutex_);
    fetch_throws_ = true;
  }
  std::vector<int> marked() const {
    std::lock_guard lock(mutex_);
    return marked_;
  }
  std::vector<Status> outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }
  int passes_begun() const {
    std::lock_guard lock(mutex_);
    return passes_begun_;
  }

  std::function<void()> before_fetch;  // set before the coordinator runs
  Counter fetches;

 private:
  mutable std::mutex mutex_;
  const int last_;
  int cursor_ = 0;
  int stored_ = 0;
  std::vector<int> marked_;
  std::vector<Status> outcomes_;
  std::deque<Result<bool>> begin_answers_;
  int passes_begun_ = 0;
  bool fetch_throws_ = false;
};

class PollingPassTest : public ::testing::Test {
 protected:
  PollingOptions options_with(size_t batch_size) {
    PollingOptions options;
    options.batch_size = batch_size;
    options.clock = clock_;
    options.hooks.on_pass = [this](const PassReport& report) {
      std::lock_guard lock(mutex_);
      passes_.push_back(report);
    };
    return options;
  }
  std::vector<PassReport> passes() {
    std::lock_guard lock(mutex_);
    return passes_;
  }
  static RetryPolicy three_tries() {
    return RetryPolicy{.max_attempts = 3, .initial_delay = 1s, .max_delay = 10s, .jitter = 0};
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mutex_;
  std::vector<PassReport> passes_;
};

std::shared_ptr<RecordingApplier> sync_all() {
  return recording_applier([](int) { return Status(); });
}

TEST_F(PollingPassTest, EachPassIsFramedAndTheSourceHearsHowItEnded) {
  auto source = std::make_shared<CursorSource>(25);
  PollingCoordinator<int> coordinator(source, sync_all(), options_with(10));
  ASSERT_TRUE(coordinator.run_once().ok());
  EXPECT_EQ(source->passes_begun(), 1);
  ASSERT_THAT(source->outcomes(), SizeIs(1));
  EXPECT_TRUE(source->outcomes()[0].ok());
  ASSERT_THAT(passes(), SizeIs(1));
  EXPECT_EQ(passes()[0].attempts, 1u);
  EXPECT_FALSE(passes()[0].skipped);
  EXPECT_EQ(passes()[0].counts.synced, 25u);
  EXPECT_TRUE(passes()[0].status.ok());
}

TEST_F(PollingPassTest, PassIsSkippedWhenBeginPassSaysTheWorkIsElsewhere) {
  auto source = std::make_shared<CursorSource>(5);
  source->answer_next_begin(false);
  PollingCoordinator<int> coordinator(source, sync_all(), options_with(10));
  const Result<RunResult> skipped = coordinator.run_once();
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->fetched, 0u);
  EXPECT_EQ(source->fetches.value(), 0u);
  EXPECT_THAT(source->outcomes(), IsEmpty());  // end_pass only after a pass that began
  ASSERT_THAT(passes(), SizeIs(1));
  EXPECT_TRUE(passes()[0].skipped);

  ASSERT_TRUE(coordinator.run_once().ok());
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(PollingPassTest, FailedBeginPassIsAFetchErrorAndNoFetchHappens) {
  auto source = std::make_shared<CursorSource>(5);
  source->answer_next_begin(connection_refused());
  PollingCoordinator<int> coordinator(source, sync_all(), options_with(10));
  const Result<RunResult> failed = coordinator.run_once();
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(source->fetches.value(), 0u);
  ASSERT_THAT(passes(), SizeIs(1));
  EXPECT_EQ(passes()[0].status.code(), StatusCode::kUnavailable);
}

TEST_F(PollingPassTest, RetryableFailureRunsThePassAgainAfterTheBackoff) {
  clock_->set_mode(ManualClock::Mode::kAutoAdvance);
  auto source = std::make_shared<CursorSource>(5);
  source->answer_next_begin(connection_refused());
  source->answer_next_begin(connection_refused());
  PollingOptions options = options_with(10);
  options.pass_retry = three_tries();
  std::vector<unsigned> retried_after;
  options.on_pass_retry = [&](unsigned attempt, Duration, const Status&, size_t) {
    retried_after.push_back(attempt);
  };
  PollingCoordinator<int> coordinator(source, sync_all(), options);
  const Result<RunResult> pass = coordinator.run_once();
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(pass->ok());  // the last attempt drained
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(1s, 2s));
  EXPECT_THAT(retried_after, ElementsAre(1u, 2u));
  ASSERT_THAT(passes(), SizeIs(1));  // one pass, three attempts
  EXPECT_EQ(passes()[0].attempts, 3u);
  EXPECT_EQ(passes()[0].duration, 3s);
  EXPECT_FALSE(passes()[0].gave_up.has_value());
}

TEST_F(PollingPassTest, RetriesGiveUpWithTheLastError) {
  clock_->set_mode(ManualClock::Mode::kAutoAdvance);
  auto source = std::make_shared<CursorSource>(5);
  for (int i = 0; i < 3; ++i) source->answer_next_begin(connection_refused());
  PollingOptions options = options_with(10);
  options.pass_retry = three_tries();
  PollingCoordinator<int> coordinator(source, sync_all(), options);
  ASSERT_TRUE(coordinator.run_once().ok());
  ASSERT_THAT(passes(), SizeIs(1));
  EXPECT_EQ(passes()[0].attempts, 3u);
  EXPECT_EQ(passes()[0].status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(passes()[0].status.message(), HasSubstr("gave up after 3 tries"));
  EXPECT_EQ(passes()[0].gave_up, RetryStep::kExhausted);
  EXPECT_THAT(source->marked(), IsEmpty());
}

TEST_F(PollingPassTest, PermanentFailureIsNotRetried) {
  auto source = std::make_shared<CursorSource>(3);
  PollingOptions options = options_with(10);
  options.pass_retry = three_tries();
  PollingCoordinator<int> coordinator(source,
                                      recording_applier([](int) { return bad_payload(); }),
                                      options);
  ASSERT_TRUE(coordinator.run_once().ok());
  ASSERT_THAT(passes(), SizeIs(1));
  EXPECT_EQ(passes()[0].attempts, 1u);
  EXPECT_EQ(passes()[0].status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(clock_->requested_waits(), IsEmpty());
}

TEST_F(PollingPassTest, UntilNextPassDecidesWhenTheNextPassStarts) {
  auto source = std::make_shared<CursorSource>(0);
  std::mutex answers_mutex;
  std::deque<Duration> answers{7s, 2s, 0s};  // asked after the pass, then after each wait
  PollingOptions options = options_with(10);
  options.until_next_pass = [&] {
    std::lock_guard lock(answers_mutex);
    if (answers.empty()) return Duration(1h);
    Duration next = answers.front();
    answers.pop_front();
    return next;
  };
  PollingCoordinator<int> coordinator(source, sync_all(), options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_EQ(source->passes_begun(), 1);
  clock_->advance(7s);
  ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == 2; }));
  EXPECT_EQ(source->passes_begun(), 1);  // the schedule said 2 s more
  clock_->advance(2s);
  ASSERT_TRUE(eventually([&] { return source->passes_begun() == 2; }));
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(7s, 2s, 1h));
}

TEST_F(PollingPassTest, ReadAheadFetchesTheNextBatchWhileOneIsApplied) {
  auto source = std::make_shared<CursorSource>(30);
  Gate first_batch_may_finish;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    if (batch.front() == 1) first_batch_may_finish.wait();
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) result.add_synced(i);
    return result;
  });
  PollingOptions options = options_with(10);
  options.read_ahead = true;
  PollingCoordinator<int> coordinator(source, applier, options);
  auto pass = std::async(std::launch::async, [&] { return coordinator.run_once(); });
  ASSERT_TRUE(source->fetches.wait_for(2));  // the second fetch while the first applies
  first_batch_may_finish.open();
  ASSERT_TRUE(pass.get().ok());
  EXPECT_THAT(source->marked(), ElementsAreArray(range(1, 30)));
  EXPECT_THAT(applier->batches(), ElementsAre(range(1, 10), range(11, 20), range(21, 30)));
}

TEST_F(PollingPassTest, BatchReadAheadOfAFailureIsDroppedAndReadAgain) {
  auto source = std::make_shared<CursorSource>(30);
  bool failed_once = false;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    ApplyResult result;
    const bool fail = batch.front() == 11 && !failed_once;
    failed_once = failed_once || fail;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (fail) {
        result.add_failed(i, connection_refused());
      } else {
        result.add_synced(i);
      }
    }
    return result;
  });
  PollingOptions options = options_with(10);
  options.read_ahead = true;
  PollingCoordinator<int> coordinator(source, applier, options);
  const Result<RunResult> first = coordinator.run_once();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(source->marked(), ElementsAreArray(range(1, 10)));  // 21..30 was read, dropped

  ASSERT_TRUE(coordinator.run_once().ok());
  EXPECT_THAT(source->marked(), ElementsAreArray(range(1, 30)));  // nothing skipped or doubled
  EXPECT_THAT(applier->batches(),
              ElementsAre(range(1, 10), range(11, 20), range(11, 20), range(21, 30)));
}

TEST_F(PollingPassTest, ThrowingApplierFailsThePassNotTheProcess) {
  auto source = std::make_shared<CursorSource>(3);
  auto applier = std::make_shared<RecordingApplier>(
      [](std::span<const int>) -> ApplyResult { throw std::runtime_error("disk on fire"); });
  PollingCoordinator<int> coordinator(source, applier, options_with(10));
  const Result<RunResult> pass = coordinator.run_once();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->failed, 3u);
  EXPECT_EQ(pass->status().code(), StatusCode::kInternal);
  EXPECT_THAT(pass->status().message(), HasSubstr("the applier threw: disk on fire"));
  EXPECT_THAT(source->marked(), IsEmpty());
}

TEST_F(PollingPassTest, ThrowingFetchFailsThePassAndTheNextPassReadsAgain) {
  auto source = std::make_shared<CursorSource>(3);
  source->throw_on_next_fetch();
  PollingCoordinator<int> coordinator(source, sync_all(), options_with(10));
  const Result<RunResult> failed = coordinator.run_once();
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status().code(), StatusCode::kInternal);
  EXPECT_THAT(failed->status().message(), HasSubstr("the source's fetch threw: cursor closed"));
  ASSERT_TRUE(coordinator.run_once().ok());
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3));
}

}  // namespace
}  // namespace courier::testing
