#include "courier/source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ChannelSourceTest : public ::testing::Test {
 protected:
  ChannelSource<int> make(size_t capacity) {
    ChannelSourceOptions<int> options;
    options.capacity = capacity;
    options.clock = clock_;
    return ChannelSource<int>(options);
  }
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(ChannelSourceTest, ReceiveReturnsAtOnceWithWhatItHas) {
  auto channel = make(10);
  ASSERT_TRUE(channel.push(1).ok());
  ASSERT_TRUE(channel.push(2).ok());
  const auto received = channel.receive(5, 1s, {});
  ASSERT_TRUE(received.ok());
  EXPECT_THAT(*received, ElementsAre(1, 2));
  EXPECT_THAT(clock_->requested_waits(), IsEmpty());
}

TEST_F(ChannelSourceTest, ReceiveTakesAtMostMaxRecords) {
  auto channel = make(10);
  for (int record : {1, 2, 3}) ASSERT_TRUE(channel.push(record).ok());
  EXPECT_THAT(channel.receive(2, 1s, {}).value(), ElementsAre(1, 2));
  EXPECT_THAT(channel.receive(2, 1s, {}).value(), ElementsAre(3));
}

TEST_F(ChannelSourceTest, EmptyReceiveWaitsMaxWaitOnTheClock) {
  auto channel = make(10);
  auto received = std::async(std::launch::async, [&] { return channel.receive(5, 250ms, {}); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  clock_->advance(250ms);
  const auto result = received.get();
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(*result, IsEmpty());
  EXPECT_THAT(clock_->requested_waits(), ElementsAre(250ms));
}

TEST_F(ChannelSourceTest, PushWakesAWaitingReceiver) {
  auto channel = make(10);
  auto received = std::async(std::launch::async, [&] { return channel.receive(5, 1h, {}); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  ASSERT_TRUE(channel.push(7).ok());
  EXPECT_THAT(received.get().value(), ElementsAre(7));
}

TEST_F(ChannelSourceTest, StopWakesAWaitingReceiver) {
  auto channel = make(10);
  std::stop_source stop;
  auto received =
      std::async(std::launch::async, [&] { return channel.receive(5, 1h, stop.get_token()); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  stop.request_stop();
  EXPECT_THAT(received.get().value(), IsEmpty());
}

TEST_F(ChannelSourceTest, CloseWakesEveryoneAndDrainsBeforeReportingClosed) {
  auto channel = make(1);
  ASSERT_TRUE(channel.push(1).ok());
  auto pusher_a = std::async(std::launch::async, [&] { return channel.push(2); });
  auto pusher_b = std::async(std::launch::async, [&] { return channel.push(3); });
  channel.close();
  EXPECT_EQ(pusher_a.get().code(), StatusCode::kCancelled);
  EXPECT_EQ(pusher_b.get().code(), StatusCode::kCancelled);
  EXPECT_THAT(channel.receive(5, 1s, {}).value(), ElementsAre(1));  // queued before the close
  EXPECT_EQ(channel.receive(5, 1s, {}).status().code(), StatusCode::kCancelled);
  EXPECT_EQ(channel.try_push(4).code(), StatusCode::kCancelled);
}

TEST_F(ChannelSourceTest, CloseWakesABlockedReceiver) {
  auto channel = make(1);
  auto received = std::async(std::launch::async, [&] { return channel.receive(5, 1h, {}); });
  ASSERT_TRUE(clock_->wait_for_waiters(1));
  channel.close();
  EXPECT_EQ(received.get().status().code(), StatusCode::kCancelled);
}

TEST_F(ChannelSourceTest, PushBlocksWhileFullAndIsInterruptible) {
  auto channel = make(1);
  ASSERT_TRUE(channel.push(1).ok());
  EXPECT_EQ(channel.try_push(2).code(), StatusCode::kUnavailable);
  std::stop_source stop;
  auto blocked = std::async(std::launch::async, [&] { return channel.push(2, stop.get_token()); });
  stop.request_stop();
  EXPECT_EQ(blocked.get().code(), StatusCode::kCancelled);
  EXPECT_EQ(channel.size(), 1u);

  auto waiting = std::async(std::launch::async, [&] { return channel.push(3); });
  EXPECT_THAT(channel.receive(5, 1s, {}).value(), ElementsAre(1));
  EXPECT_TRUE(waiting.get().ok());
  EXPECT_THAT(channel.receive(5, 1s, {}).value(), ElementsAre(3));
}

TEST_F(ChannelSourceTest, AckAndNackCallTheGivenFunctions) {
  std::vector<int> acked;
  std::vector<std::string> reasons;
  ChannelSourceOptions<int> options;
  options.clock = clock_;
  options.on_ack = [&](std::span<const int> records) {
    acked.assign(records.begin(), records.end());
    return Status();
  };
  options.on_nack = [&](std::span<const int>, const Status& reason) {
    reasons.push_back(reason.message());
    return Status();
  };
  ChannelSource<int> channel(options);
  const std::vector<int> records = {4, 5};
  EXPECT_TRUE(channel.ack(records).ok());
  EXPECT_TRUE(channel.nack(records, bad_payload()).ok());
  EXPECT_THAT(acked, ElementsAre(4, 5));
  EXPECT_THAT(reasons, ElementsAre("bad payload"));
}

TEST(BatchSourceFunctions, CallsFetchWithTheBatchSizeAndMark) {
  size_t asked = 0;
  std::vector<int> marked;
  auto source = batch_source_functions<int>(
      [&](size_t max) -> Result<std::vector<int>> {
        asked = max;
        return std::vector<int>{1, 2};
      },
      [&](std::span<const int> handled) {
        marked.assign(handled.begin(), handled.end());
        return Status();
      });
  EXPECT_THAT(source->fetch(42).value(), ElementsAre(1, 2));
  EXPECT_EQ(asked, 42u);
  const std::vector<int> handled = {2};
  EXPECT_TRUE(source->mark(handled).ok());
  EXPECT_THAT(marked, ElementsAre(2));
}

TEST(BatchSourceFunctions, MissingFunctionsAreRejected) {
  EXPECT_THROW(BatchSourceFunctions<int>(nullptr, [](std::span<const int>) { return Status(); }),
               std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
