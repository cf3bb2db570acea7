#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/polling_coordinator.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class PollingCoordinatorTest : public ::testing::Test {
 protected:
  PollingOptions options_with(size_t batch_size) {
    PollingOptions options;
    options.batch_size = batch_size;
    options.clock = clock_;
    options.hooks.on_error = [this](Stage stage, const Status& error) {
      std::lock_guard lock(mutex_);
      errors_.emplace_back(stage, error.to_string());
    };
    return options;
  }
  std::vector<std::pair<Stage, std::string>> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mutex_;
  std::vector<std::pair<Stage, std::string>> errors_;
};

TEST(PollingOptions, DefaultsAndPresets) {
  EXPECT_EQ(PollingOptions{}.interval, 5s);
  EXPECT_EQ(PollingOptions{}.batch_size, 100u);
  EXPECT_EQ(PollingOptions::fast().interval, 100ms);
  EXPECT_EQ(PollingOptions::slow().interval, 30s);
}

TEST_F(PollingCoordinatorTest, FirstPollIsImmediate) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  TimePoint first_fetch_at = TimePoint::max();
  size_t waits_before_first_fetch = 99;
  source->before_fetch = [&] {
    if (source->fetches.value() != 1) return;
    first_fetch_at = clock_->now();
    waits_before_first_fetch = clock_->requested_waits().size();
  };
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));  // the interval after the first poll
  EXPECT_EQ(first_fetch_at, TimePoint{});
  EXPECT_EQ(waits_before_first_fetch, 0u);
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3));
}

TEST_F(PollingCoordinatorTest, DrainsWhileBatchesAreFullThenWaitsTheInterval) {
  auto source = std::make_shared<VectorSource>(range(1, 250));
  auto applier = recording_applier([](int) { return Status(); });
  PollingCoordinator<int> coordinator(source, applier, options_with(100));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_THAT(source->requested_sizes(), ElementsAre(100, 100, 100));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(5s));
  ASSERT_THAT(applier->batches(), SizeIs(3));
  EXPECT_THAT(applier->batches()[2], SizeIs(50));

  clock_->advance(5s);  // the next poll finds nothing, and waits again
  ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == 2; }));
  EXPECT_THAT(source->requested_sizes(), SizeIs(4));
  EXPECT_THAT(applier->batches(), SizeIs(3));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(5s, 5s));
}

TEST_F(PollingCoordinatorTest, PollsNeverOverlap) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  Gate fetch_may_return;
  source->before_fetch = [&] { fetch_may_return.wait(); };
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(source->fetches.wait_for(1));

  EXPECT_EQ(coordinator.run_once().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator.start().code(), StatusCode::kFailedPrecondition);
  fetch_may_return.open();
  for (int poll = 0; poll < 5; ++poll) {
    ASSERT_TRUE(eventually([&] { return clock_->waiters() == 1; }));
    clock_->advance(5s);
  }
  coordinator.stop();
  EXPECT_EQ(source->max_concurrent_fetches(), 1u);
}

TEST_F(PollingCoordinatorTest, RunOnceIsRefusedWhileRunning) {
  auto source = std::make_shared<VectorSource>(std::vector<int>{});
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  const Result<RunResult> refused = coordinator.run_once();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("run_once() refused"));
  EXPECT_EQ(source->fetches.value(), 1u);
}

TEST_F(PollingCoordinatorTest, RunOnceIsRefusedDuringAnotherRunOnce) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  Gate fetch_may_return;
  source->before_fetch = [&] { fetch_may_return.wait(); };
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      options_with(10));
  auto first = std::async(std::launch::async, [&] { return coordinator.run_once(); });
  ASSERT_TRUE(source->fetches.wait_for(1));
  EXPECT_EQ(coordinator.run_once().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator.start().code(), StatusCode::kFailedPrecondition);
  fetch_may_return.open();
  const Result<RunResult> done = first.get();
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->synced, 3u);
  EXPECT_TRUE(coordinator.run_once().ok());  // one at a time is fine
}

TEST_F(PollingCoordinatorTest, RunOnceDrainsAndCounts) {
  auto source = std::make_shared<VectorSource>(range(1, 25));
  auto applier = std::make_shared<RecordingApplier>([](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i] == 7) {
        result.add_failed(i, bad_payload());
      } else if (batch[i] == 8) {
        result.add_dead_lettered(i);
      } else {
        result.add_synced(i);
      }
    }
    return result;
  });
  PollingCoordinator<int> coordinator(source, applier, options_with(10));
  const Result<RunResult> pass = coordinator.run_once();
  ASSERT_TRUE(pass.ok());
  // The failed record stays unmarked, so each later fetch returns it again:
  // [1..10], [7, 11..19], [7, 20..25] (short: the pass ends).
  EXPECT_EQ(pass->batches, 3u);
  EXPECT_EQ(pass->fetched, 27u);
  EXPECT_EQ(pass->synced, 23u);
  EXPECT_EQ(pass->dead_lettered, 1u);
  EXPECT_EQ(pass->failed, 3u);
  EXPECT_EQ(pass->errors, 0u);
  EXPECT_FALSE(pass->ok());  // a record failed
  EXPECT_THAT(source->pending(), ElementsAre(7));
  EXPECT_THAT(clock_->requested_waits(), IsEmpty());  // no interval inside a pass
}

TEST_F(PollingCoordinatorTest, FullBatchOfFailuresDoesNotSpin) {
  auto source = std::make_shared<VectorSource>(range(1, 10));
  PollingCoordinator<int> coordinator(
      source, recording_applier([](int) { return connection_refused(); }), options_with(10));
  const Result<RunResult> pass = coordinator.run_once();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->batches, 1u);  // not fetched again at once: nothing was marked
  EXPECT_EQ(pass->failed, 10u);
  EXPECT_THAT(source->pending(), SizeIs(10));  // left for a later poll: at-least-once
}

TEST_F(PollingCoordinatorTest, MarkFailureIsReportedAndTheBatchIsFetchedAgain) {
  auto source = std::make_shared<VectorSource>(range(1, 4));
  auto applier = recording_applier([](int) { return Status(); });
  source->fail_next_mark(connection_refused());
  PollingCoordinator<int> coordinator(source, applier, options_with(10));

  const Result<RunResult> first = coordinator.run_once();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->errors, 1u);
  EXPECT_EQ(first->first_error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(first->status().code(), StatusCode::kUnavailable);
  ASSERT_THAT(errors(), SizeIs(1));
  EXPECT_EQ(errors()[0].first, Stage::kMark);
  EXPECT_THAT(source->pending(), SizeIs(4));

  const Result<RunResult> second = coordinator.run_once();
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->ok());
  EXPECT_THAT(applier->batches(), ElementsAre(range(1, 4), range(1, 4)));
  EXPECT_THAT(source->pending(), IsEmpty());
  EXPECT_EQ(coordinator.totals().errors, 1u);
  EXPECT_EQ(coordinator.totals().synced, 8u);
}

TEST_F(PollingCoordinatorTest, FatalApplyResultStopsTheRunAndIsReported) {
  auto source = std::make_shared<VectorSource>(range(1, 4));
  const Status denied(StatusCode::kFailedPrecondition, "credentials rejected");
  auto applier = std::make_shared<RecordingApplier>(
      [&](std::span<const int>) { return ApplyResult::fatal_error(denied); });
  PollingCoordinator<int> coordinator(source, applier, options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  EXPECT_EQ(coordinator.totals().fatal.message(), "credentials rejected");
  ASSERT_THAT(errors(), SizeIs(1));
  EXPECT_EQ(errors()[0].first, Stage::kApply);
  EXPECT_THAT(source->marked(), IsEmpty());
  EXPECT_EQ(source->fetches.value(), 1u);
  EXPECT_THAT(clock_->requested_waits(), IsEmpty());  // no next poll was scheduled
}

TEST_F(PollingCoordinatorTest, FetchErrorIsReportedAndRetriedAfterTheInterval) {
  auto source = std::make_shared<VectorSource>(range(1, 2));
  source->fail_next_fetch(connection_refused());
  auto applier = recording_applier([](int) { return Status(); });
  PollingCoordinator<int> coordinator(source, applier, options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  ASSERT_THAT(errors(), SizeIs(1));
  EXPECT_EQ(errors()[0].first, Stage::kFetch);
  EXPECT_THAT(applier->batches(), IsEmpty());
  clock_->advance(5s);
  ASSERT_TRUE(eventually([&] { return source->pending().empty(); }));
  EXPECT_THAT(applier->batches(), ElementsAre(range(1, 2)));
}

TEST_F(PollingCoordinatorTest, FetchErrorsBackOffUpToMaxErrorInterval) {
  auto source = std::make_shared<VectorSource>(std::vector<int>{});
  for (int i = 0; i < 4; ++i) source->fail_next_fetch(connection_refused());
  PollingOptions options = options_with(10);
  options.interval = 1s;
  options.max_error_interval = 3s;
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      options);
  ASSERT_TRUE(coordinator.start().ok());
  for (size_t poll = 1; poll <= 5; ++poll) {
    ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == poll; }));
    ASSERT_TRUE(clock_->wait_for_waiters(1));
    clock_->advance(clock_->requested_waits().back());
  }
  ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == 6; }));
  // Four failed polls (1 s, 2 s, 3 s capped, 3 s), then successes: back to the interval.
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(1s, 2s, 3s, 3s, 1s, 1s));
}

TEST_F(PollingCoordinatorTest, DeadLetteredRecordsAreMarkedAcrossManyPolls) {
  auto source = std::make_shared<VectorSource>(range(1, 10));
  auto applier =
      std::make_shared<RecordingApplier>(dead_letter_where([](int record) { return record % 2; }));
  PollingCoordinator<int> coordinator(source, applier, options_with(100));
  ASSERT_TRUE(coordinator.start().ok());
  for (size_t poll = 1; poll <= 10; ++poll) {
    ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == poll; }));
    ASSERT_TRUE(clock_->wait_for_waiters(1));
    clock_->advance(5s);
  }
  ASSERT_TRUE(eventually([&] { return source->fetches.value() >= 11; }));
  coordinator.stop();
  EXPECT_THAT(applier->batches(), ElementsAre(range(1, 10)));  // each record applied once
  EXPECT_THAT(sorted(source->marked()), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_EQ(coordinator.totals().dead_lettered, 5u);
  EXPECT_EQ(coordinator.totals().synced, 5u);
}

TEST_F(PollingCoordinatorTest, OnBatchReportsSizesAndLatency) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingOptions options = options_with(10);
  std::vector<BatchReport> reports;
  options.hooks.on_batch = [&](const BatchReport& report) { reports.push_back(report); };
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    clock_->advance(250ms);  // the destination is slow
    return dead_letter_where([](int record) { return record == 2; })(batch);
  });
  PollingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.run_once().ok());
  ASSERT_THAT(reports, SizeIs(1));
  EXPECT_EQ(reports[0].records, 3u);
  EXPECT_EQ(reports[0].synced, 2u);
  EXPECT_EQ(reports[0].dead_lettered, 1u);
  EXPECT_EQ(reports[0].failed, 0u);
  EXPECT_EQ(reports[0].latency, 250ms);
}

TEST_F(PollingCoordinatorTest, InvalidOptionsAreRejectedAtConstruction) {
  auto source = std::make_shared<VectorSource>(std::vector<int>{});
  auto applier = recording_applier([](int) { return Status(); });
  EXPECT_THROW(PollingCoordinator<int>(source, applier, options_with(0)), std::invalid_argument);
  EXPECT_THROW(PollingCoordinator<int>(nullptr, applier, options_with(1)), std::invalid_argument);
  EXPECT_THROW(PollingCoordinator<int>(source, nullptr, options_with(1)), std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
