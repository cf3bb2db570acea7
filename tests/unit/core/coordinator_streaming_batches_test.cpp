// How a StreamingCoordinator closes batches by bytes, backs off a failing source, and
// survives an applier that throws.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/streaming_coordinator.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A record that knows its size, as a stream entry does.
struct Sized {
  int id = 0;
  size_t bytes = 0;
  size_t byte_size() const { return bytes; }
};

class StreamingBatchesTest : public ::testing::Test {
 protected:
  std::shared_ptr<ChannelSource<Sized>> channel() {
    ChannelSourceOptions<Sized> options;
    options.clock = clock_;
    log_.record(options, [](const Sized& record) { return record.id; });
    return std::make_shared<ChannelSource<Sized>>(options);
  }
  StreamingOptions capped(size_t max_batch_bytes) {
    StreamingOptions options;
    options.batch_size = 10;
    options.max_batch_bytes = max_batch_bytes;
    options.clock = clock_;
    return options;
  }
  // Applies every batch, remembering the ids of each.
  std::shared_ptr<Applier<Sized>> recording(std::function<void()> inside = {}) {
    return std::make_shared<BatchFunctionApplier<Sized>>([this, inside](std::span<const Sized> b) {
      if (inside) inside();
      std::vector<int> ids;
      for (const Sized& record : b) ids.push_back(record.id);
      {
        std::lock_guard lock(mutex_);
        batches_.push_back(ids);
      }
      applied_.increment();
      return ApplyResult::all_synced(b.size());
    });
  }
  std::vector<std::vector<int>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::vector<int> acked() { return log_.acked(); }
  std::vector<std::pair<int, std::string>> nacked() { return log_.nacked(); }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::mutex mutex_;
  Counter applied_;
  std::vector<std::vector<int>> batches_;
  AckLog log_;
};

TEST_F(StreamingBatchesTest, AByteCapClosesTheBatchAndTheRecordBeyondItStartsTheNext) {
  auto source = channel();
  for (Sized record : {Sized{1, 40}, Sized{2, 40}, Sized{3, 40}, Sized{4, 10}}) {
    ASSERT_TRUE(source->push(record).ok());
  }
  StreamingCoordinator<Sized> coordinator(source, recording(), capped(100));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applied_.wait_for(1));  // 1 and 2 (80 bytes): 3 would pass 100, no wait needed
  EXPECT_EQ(clock_->now(), TimePoint{});
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(100ms);  // 3 and 4, 50 bytes: flushed by age
  ASSERT_TRUE(applied_.wait_for(2));
  EXPECT_THAT(batches(), ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4)));
  ASSERT_TRUE(eventually([&] { return acked().size() == 4; }));
}

TEST_F(StreamingBatchesTest, ARecordLargerThanTheCapIsAppliedAloneAndAtOnce) {
  auto source = channel();
  ASSERT_TRUE(source->push(Sized{1, 500}).ok());
  StreamingCoordinator<Sized> coordinator(source, recording(), capped(100));
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(applied_.wait_for(1));
  EXPECT_EQ(clock_->now(), TimePoint{});
  EXPECT_THAT(batches(), ElementsAre(ElementsAre(1)));
}

TEST_F(StreamingBatchesTest, RecordsCarriedBeyondTheLastBatchAreNackedAtStop) {
  auto source = channel();
  for (int id : {1, 2, 3}) ASSERT_TRUE(source->push(Sized{id, 60}).ok());
  StreamingCoordinator<Sized>* running = nullptr;
  // While 1 is applied (2 and 3 were received beyond the cap), the stop comes: from the
  // worker's own thread stop() only asks, so the worker goes on to finish.
  StreamingCoordinator<Sized> coordinator(source, recording([&] {
                                            if (batches().empty()) running->stop();
                                          }),
                                          capped(100));
  running = &coordinator;
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return !coordinator.running(); }));
  coordinator.stop();
  EXPECT_THAT(batches(), ElementsAre(ElementsAre(1), ElementsAre(2)));  // 2 was in hand
  EXPECT_THAT(acked(), ElementsAre(1, 2));
  EXPECT_THAT(nacked(), ElementsAre(Pair(3, HasSubstr("stopped before"))));
}

// Fails every receive, counting them.
class FailingSource final : public StreamSource<int> {
 public:
  Result<std::vector<int>> receive(size_t, Duration, std::stop_token) override {
    receives.increment();
    return Status(StatusCode::kUnavailable, "connection refused");
  }
  Status ack(std::span<const int>) override { return Status(); }
  Status nack(std::span<const int>, const Status&) override { return Status(); }
  void close() override {}
  Counter receives;
};

TEST_F(StreamingBatchesTest, ReceiveErrorsInARowDoubleTheWaitUpToTheCap) {
  auto source = std::make_shared<FailingSource>();
  StreamingOptions options;
  options.clock = clock_;
  options.receive_error_interval = 100ms;
  options.max_receive_error_interval = 350ms;
  auto applier = std::make_shared<BatchFunctionApplier<int>>(
      [](std::span<const int> b) { return ApplyResult::all_synced(b.size()); });
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  for (size_t waits = 1; waits <= 4; ++waits) {
    ASSERT_TRUE(clock_->wait_for_waiters(1));
    ASSERT_EQ(clock_->requested_waits().size(), waits);
    clock_->advance(clock_->requested_waits().back());
    ASSERT_TRUE(source->receives.wait_for(waits + 1));
  }
  const std::vector<Duration> waits = clock_->requested_waits();  // a fifth may have begun
  EXPECT_THAT(std::vector<Duration>(waits.begin(), waits.begin() + 4),
              ElementsAre(100ms, 200ms, 350ms, 350ms));
}

TEST_F(StreamingBatchesTest, AnApplierThatThrowsNacksTheBatchReportsItAndTheWorkerGoesOn) {
  auto source = channel();
  ASSERT_TRUE(source->push(Sized{1, 1}).ok());
  std::vector<std::pair<Stage, Status>> errors;
  StreamingOptions options = capped(0);
  options.batch_size = 1;
  options.hooks.on_error = [&](Stage stage, const Status& error) {
    std::lock_guard lock(mutex_);
    errors.emplace_back(stage, error);
  };
  bool thrown = false;
  auto applier = std::make_shared<BatchFunctionApplier<Sized>>([&](std::span<const Sized> b) {
    if (!thrown) {
      thrown = true;
      throw std::runtime_error("a bug");
    }
    applied_.increment();
    return ApplyResult::all_synced(b.size());
  });
  StreamingCoordinator<Sized> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return nacked().size() == 1; }));
  ASSERT_TRUE(source->push(Sized{2, 1}).ok());
  ASSERT_TRUE(applied_.wait_for(1));
  ASSERT_TRUE(eventually([&] { return acked().size() == 1; }));
  coordinator.stop();
  EXPECT_THAT(nacked(), ElementsAre(Pair(1, "the applier threw: a bug")));
  EXPECT_THAT(acked(), ElementsAre(2));
  std::lock_guard lock(mutex_);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, Stage::kApply);
  EXPECT_EQ(errors[0].second.code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace courier::testing
