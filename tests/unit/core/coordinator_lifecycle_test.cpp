// stop(): idempotent, thread-safe, fine before start, finishes the batch in flight within
// a deadline; for both coordinators.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/polling_coordinator.h"
#include "courier/streaming_coordinator.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LifecycleTest : public ::testing::Test {
 protected:
  PollingOptions polling_options() {
    PollingOptions options;
    options.batch_size = 10;
    options.clock = clock_;
    return options;
  }
  StreamingOptions streaming_options() {
    StreamingOptions options;
    options.batch_size = 10;
    options.clock = clock_;
    return options;
  }
  std::shared_ptr<ChannelSource<int>> channel(std::vector<int>* acked = nullptr) {
    ChannelSourceOptions<int> options;
    options.clock = clock_;
    if (acked != nullptr) {
      options.on_ack = [this, acked](std::span<const int> records) {
        std::lock_guard lock(mutex_);
        acked->insert(acked->end(), records.begin(), records.end());
        return Status();
      };
    }
    return std::make_shared<ChannelSource<int>>(options);
  }
  std::shared_ptr<RecordingApplier> syncing() {
    return recording_applier([](int) { return Status(); });
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mutex_;
};

// stop() called by two threads at the same moment: both return, nothing crashes.
template <typename Coordinator>
void stop_from_two_threads_at_once(Coordinator& coordinator) {
  std::thread first([&] { coordinator.stop(); });
  std::thread second([&] { coordinator.stop(); });
  first.join();
  second.join();
  EXPECT_FALSE(coordinator.running());
}

TEST_F(LifecycleTest, PollingStopTwiceIsFine) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingCoordinator<int> coordinator(source, syncing(), polling_options());
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  coordinator.stop();
  coordinator.stop();
  EXPECT_FALSE(coordinator.running());
}

TEST_F(LifecycleTest, PollingStopBeforeStartIsFineAndStartAfterStopIsRefused) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingCoordinator<int> coordinator(source, syncing(), polling_options());
  coordinator.stop();
  EXPECT_EQ(coordinator.start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator.run_once().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(source->fetches.value(), 0u);
}

TEST_F(LifecycleTest, PollingStopFromTwoThreadsAtOnce) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingCoordinator<int> coordinator(source, syncing(), polling_options());
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  stop_from_two_threads_at_once(coordinator);
}

TEST_F(LifecycleTest, PollingDestructorStops) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  {
    PollingCoordinator<int> coordinator(source, syncing(), polling_options());
    ASSERT_TRUE(coordinator.start().ok());
    ASSERT_TRUE(clock_->wait_for_waiters(1));
  }
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3));
}

TEST_F(LifecycleTest, PollingStopLetsTheBatchInFlightBeMarked) {
  auto source = std::make_shared<VectorSource>(range(1, 10));  // a full batch: would drain on
  Gate apply_may_return;
  Counter applying;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    applying.increment();
    apply_may_return.wait();
    return ApplyResult::all_synced(batch.size());
  });
  PollingCoordinator<int> coordinator(source, applier, polling_options());
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applying.wait_for(1));

  auto stopped = std::async(std::launch::async, [&] { coordinator.stop(5s); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));  // stop() waits for the batch, on the clock
  apply_may_return.open();
  stopped.get();
  EXPECT_THAT(source->marked(), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  EXPECT_EQ(source->fetches.value(), 1u);  // no fetch after the stop
}

TEST_F(LifecycleTest, PollingStopDeadlineFiresAbortForTheApplier) {
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingOptions options = polling_options();
  Counter applying;
  const std::stop_token abort = options.abort.token();
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    applying.increment();
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    never.wait(lock, abort, [] { return false; });  // a retry that only a stop ends
    return ApplyResult::all_failed(batch.size(), Status(StatusCode::kCancelled, "aborted"));
  });
  PollingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applying.wait_for(1));

  auto stopped = std::async(std::launch::async, [&] { coordinator.stop(2s); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(2s));
  EXPECT_FALSE(abort.stop_requested());
  clock_->advance(2s);
  stopped.get();
  EXPECT_TRUE(abort.stop_requested());
  EXPECT_THAT(source->marked(), IsEmpty());  // failed: left to be fetched again
}

TEST_F(LifecycleTest, PollingStopFromAHookDoesNotDeadlock) {
  auto source = std::make_shared<VectorSource>(range(1, 30));
  PollingOptions options = polling_options();
  PollingCoordinator<int>* self = nullptr;
  options.hooks.on_batch = [&](const BatchReport&) { self->stop(); };
  PollingCoordinator<int> coordinator(source, syncing(), options);
  self = &coordinator;
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  EXPECT_EQ(source->fetches.value(), 1u);  // stopped after the first batch
  coordinator.stop();
}

TEST_F(LifecycleTest, StreamingStopTwiceIsFineAndClosesTheSource) {
  auto source = channel();
  StreamingCoordinator<int> coordinator(source, syncing(), streaming_options());
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  coordinator.stop();
  coordinator.stop();
  EXPECT_FALSE(coordinator.running());
  EXPECT_EQ(source->try_push(1).code(), StatusCode::kCancelled);
}

TEST_F(LifecycleTest, StreamingStopBeforeStartIsFine) {
  auto source = channel();
  StreamingCoordinator<int> coordinator(source, syncing(), streaming_options());
  coordinator.stop();
  coordinator.stop();
  EXPECT_EQ(coordinator.start().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LifecycleTest, StreamingStopFromTwoThreadsAtOnce) {
  auto source = channel();
  StreamingOptions options = streaming_options();
  options.workers = 3;
  StreamingCoordinator<int> coordinator(source, syncing(), options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(3));
  stop_from_two_threads_at_once(coordinator);
}

TEST_F(LifecycleTest, StreamingStopAppliesAndAcksTheRecordsAlreadyReceived) {
  std::vector<int> acked;
  auto source = channel(&acked);
  for (int record : {1, 2, 3}) ASSERT_TRUE(source->push(record).ok());
  auto applier = syncing();
  StreamingCoordinator<int> coordinator(source, applier, streaming_options());
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));  // holding 1..3, waiting for more
  EXPECT_THAT(applier->batches(), IsEmpty());
  coordinator.stop();
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3)));
  std::lock_guard lock(mutex_);
  EXPECT_THAT(acked, ElementsAre(1, 2, 3));
}

TEST_F(LifecycleTest, StreamingStopLetsTheBatchInFlightBeAcked) {
  std::vector<int> acked;
  auto source = channel(&acked);
  Gate apply_may_return;
  Counter applying;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    applying.increment();
    apply_may_return.wait();
    return ApplyResult::all_synced(batch.size());
  });
  StreamingOptions options = streaming_options();
  options.batch_size = 2;
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  for (int record : {1, 2, 3}) ASSERT_TRUE(source->push(record).ok());
  ASSERT_TRUE(applying.wait_for(1));

  auto stopped = std::async(std::launch::async, [&] { coordinator.stop(5s); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  apply_may_return.open();
  stopped.get();
  std::lock_guard lock(mutex_);
  EXPECT_THAT(acked, ElementsAre(1, 2));  // 3 was never received: it stays in the source
  EXPECT_EQ(source->size(), 1u);
}

}  // namespace
}  // namespace courier::testing
