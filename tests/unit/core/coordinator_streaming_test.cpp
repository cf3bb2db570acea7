#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/streaming_coordinator.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

class StreamingCoordinatorTest : public ::testing::Test {
 protected:
  std::shared_ptr<ChannelSource<int>> channel(size_t capacity = 1000) {
    ChannelSourceOptions<int> options;
    options.capacity = capacity;
    options.clock = clock_;
    log_.record(options, [](int record) { return record; });
    return std::make_shared<ChannelSource<int>>(options);
  }
  StreamingOptions options_with(size_t batch_size, size_t workers = 1) {
    StreamingOptions options;
    options.batch_size = batch_size;
    options.workers = workers;
    options.clock = clock_;
    return options;
  }
  std::vector<int> acked() { return log_.acked(); }
  std::vector<std::pair<int, std::string>> nacked() { return log_.nacked(); }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mutex_;
  AckLog log_;
};

// An applier that tells the test each time it has a batch.
std::shared_ptr<RecordingApplier> counting_applier(Counter& applied) {
  return std::make_shared<RecordingApplier>([&applied](std::span<const int> batch) {
    applied.increment();
    return ApplyResult::all_synced(batch.size());
  });
}

TEST_F(StreamingCoordinatorTest, HalfFullBatchFlushesWhenItsOldestRecordHasWaitedMaxWait) {
  auto source = channel();
  for (int record : {1, 2, 3}) ASSERT_TRUE(source->push(record).ok());
  Counter applied;
  auto applier = counting_applier(applied);
  StreamingCoordinator<int> coordinator(source, applier, options_with(10));
  ASSERT_TRUE(coordinator.start().ok());

  ASSERT_TRUE(clock_->wait_for_waiters(1));  // holds 1..3, waits for the rest of the batch
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(100ms));
  clock_->advance(99ms);
  EXPECT_EQ(clock_->waiters(), 1u);
  EXPECT_THAT(applier->batches(), IsEmpty());
  clock_->advance(1ms);
  ASSERT_TRUE(applied.wait_for(1));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3)));
  ASSERT_TRUE(eventually([&] { return acked().size() == 3; }));
}

TEST_F(StreamingCoordinatorTest, MaxWaitCountsFromTheOldestRecordNotTheNewest) {
  auto source = channel();
  ASSERT_TRUE(source->push(1).ok());
  Counter applied;
  auto applier = counting_applier(applied);
  StreamingCoordinator<int> coordinator(source, applier, options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(60ms);
  ASSERT_TRUE(source->push(2).ok());  // wakes the worker, which then waits only 40 ms more
  ASSERT_TRUE(eventually([&] { return clock_->requested_waits().size() == 2; }));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(100ms, 40ms));
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(40ms);
  ASSERT_TRUE(applied.wait_for(1));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2)));
}

TEST_F(StreamingCoordinatorTest, FullBatchFlushesBeforeMaxWait) {
  auto source = channel();
  for (int record : {1, 2, 3, 4, 5}) ASSERT_TRUE(source->push(record).ok());
  Counter applied;
  auto applier = counting_applier(applied);
  StreamingCoordinator<int> coordinator(source, applier, options_with(3));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applied.wait_for(1));
  EXPECT_EQ(clock_->now(), TimePoint{});  // no time had to pass
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3)));
  clock_->advance(100ms);  // 4, 5: a half-full batch, flushed by age
  ASSERT_TRUE(applied.wait_for(2));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3), ElementsAre(4, 5)));
}

TEST_F(StreamingCoordinatorTest, ApplyWhenDrainedAppliesAHalfFullBatchWithoutWaiting) {
  auto source = channel();
  for (int record : {1, 2, 3}) ASSERT_TRUE(source->push(record).ok());
  Counter applied;
  auto applier = counting_applier(applied);
  StreamingOptions options = options_with(10);
  options.apply_when_drained = true;
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applied.wait_for(1));       // asked for 10, got 3: nothing more was waiting
  EXPECT_EQ(clock_->now(), TimePoint{});  // no time had to pass
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3)));
  ASSERT_TRUE(clock_->wait_for_waiters(1));  // idle: waits for the next record
  ASSERT_TRUE(source->push(4).ok());
  ASSERT_TRUE(applied.wait_for(2));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3), ElementsAre(4)));
}

TEST_F(StreamingCoordinatorTest, AcksHandledRecordsAndNacksEachFailedOneWithItsError) {
  auto source = channel();
  for (int record : {1, 2, 3, 4, 5}) ASSERT_TRUE(source->push(record).ok());
  Counter applied;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i] == 3) {
        result.add_dead_lettered(i);
      } else if (batch[i] % 2 == 0) {
        result.add_synced(i);
      } else {
        result.add_failed(i,
                          Status(StatusCode::kInvalidArgument, "odd " + std::to_string(batch[i])));
      }
    }
    applied.increment();
    return result;
  });
  StreamingCoordinator<int> coordinator(source, applier, options_with(5));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applied.wait_for(1));
  coordinator.stop();
  EXPECT_THAT(acked(), ElementsAre(2, 3, 4));
  EXPECT_THAT(nacked(), ElementsAre(Pair(1, "odd 1"), Pair(5, "odd 5")));
  const RunResult totals = coordinator.totals();
  EXPECT_EQ(totals.fetched, 5u);
  EXPECT_EQ(totals.synced, 2u);
  EXPECT_EQ(totals.dead_lettered, 1u);
  EXPECT_EQ(totals.failed, 2u);
}

TEST_F(StreamingCoordinatorTest, SlowApplierBlocksTheProducerMemoryStaysBounded) {
  auto source = channel(/*capacity=*/2);
  Gate apply_may_return;
  Counter applying;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    applying.increment();
    apply_may_return.wait();
    return ApplyResult::all_synced(batch.size());
  });
  StreamingCoordinator<int> coordinator(source, applier, options_with(1));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(source->push(1).ok());
  ASSERT_TRUE(applying.wait_for(1));  // the worker holds 1 and is stuck in the applier
  ASSERT_TRUE(source->push(2).ok());
  ASSERT_TRUE(source->push(3).ok());
  EXPECT_EQ(source->try_push(4).code(), StatusCode::kUnavailable);  // full: nothing more is held

  std::stop_source give_up;
  auto blocked =
      std::async(std::launch::async, [&] { return source->push(4, give_up.get_token()); });
  give_up.request_stop();  // the buffer is still full: the push can only end by the stop
  EXPECT_EQ(blocked.get().code(), StatusCode::kCancelled);

  auto waiting = std::async(std::launch::async, [&] { return source->push(5); });
  apply_may_return.open();
  EXPECT_TRUE(waiting.get().ok());  // space appeared once the applier moved on
  ASSERT_TRUE(eventually([&] { return acked().size() == 4; }));
  EXPECT_THAT(acked(), ElementsAre(1, 2, 3, 5));
}

TEST_F(StreamingCoordinatorTest, FatalResultStopsEveryWorkerAndNacksTheBatch) {
  auto source = channel();
  for (int record : {1, 2}) ASSERT_TRUE(source->push(record).ok());
  std::vector<Stage> stages;
  StreamingOptions options = options_with(2, 2);
  options.hooks.on_error = [&](Stage stage, const Status&) {
    std::lock_guard lock(mutex_);
    stages.push_back(stage);
  };
  auto applier = std::make_shared<RecordingApplier>([](std::span<const int>) {
    return ApplyResult::fatal_error(Status(StatusCode::kFailedPrecondition, "denied"));
  });
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  EXPECT_EQ(coordinator.totals().fatal.message(), "denied");
  EXPECT_THAT(acked(), IsEmpty());
  EXPECT_THAT(nacked(), ElementsAre(Pair(1, "denied"), Pair(2, "denied")));
  std::lock_guard lock(mutex_);
  EXPECT_THAT(stages, ElementsAre(Stage::kApply));
}

TEST_F(StreamingCoordinatorTest, ClosedSourceEndsTheWorkersAfterDraining) {
  auto source = channel();
  for (int record : {1, 2, 3}) ASSERT_TRUE(source->push(record).ok());
  source->close();
  auto applier = recording_applier([](int) { return Status(); });
  StreamingCoordinator<int> coordinator(source, applier, options_with(10));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1, 2, 3)));
  EXPECT_THAT(acked(), ElementsAre(1, 2, 3));
}

TEST_F(StreamingCoordinatorTest, ReceiveErrorIsReportedAndRetriedAfterAnInterval) {
  class FailingOnce final : public StreamSource<int> {
   public:
    Result<std::vector<int>> receive(size_t, Duration, std::stop_token) override {
      if (calls++ == 0) return connection_refused();
      return Status(StatusCode::kCancelled, "closed");
    }
    Status ack(std::span<const int>) override { return Status(); }
    Status nack(std::span<const int>, const Status&) override { return Status(); }
    void close() override {}
    int calls = 0;
  };
  auto source = std::make_shared<FailingOnce>();
  StreamingOptions options = options_with(10);
  std::vector<Stage> stages;
  options.hooks.on_error = [&](Stage stage, const Status&) { stages.push_back(stage); };
  StreamingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                        options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(1s));
  clock_->advance(1s);
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  EXPECT_EQ(source->calls, 2);
  EXPECT_THAT(stages, ElementsAre(Stage::kReceive));
  EXPECT_EQ(coordinator.totals().errors, 1u);
}

TEST_F(StreamingCoordinatorTest, InvalidOptionsAreRejectedAtConstruction) {
  auto source = channel();
  auto applier = recording_applier([](int) { return Status(); });
  EXPECT_THROW(StreamingCoordinator<int>(source, applier, options_with(0)), std::invalid_argument);
  EXPECT_THROW(StreamingCoordinator<int>(source, applier, options_with(1, 0)),
               std::invalid_argument);
  StreamingOptions no_wait = options_with(1);
  no_wait.max_wait = Duration::zero();
  EXPECT_THROW(StreamingCoordinator<int>(source, applier, no_wait), std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
