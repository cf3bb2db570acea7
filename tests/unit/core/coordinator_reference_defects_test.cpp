// One test per defect of the reference (Go) library listed in REFERENCE-NOTES.md, named
// after the defect, each proving it absent here. (The half-open probe limit is proven in
// circuit_breaker_test.cpp.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"
#include "courier/fan_out.h"
#include "courier/polling_coordinator.h"
#include "courier/streaming_coordinator.h"
#include "courier/sync.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

PollingOptions manual(std::shared_ptr<ManualClock> clock, size_t batch_size) {
  PollingOptions options;
  options.clock = std::move(clock);
  options.batch_size = batch_size;
  return options;
}

TEST(ReferenceDefect, BatchSizeOptionWasIgnored) {
  auto source = std::make_shared<VectorSource>(range(1, 100));
  auto clock = std::make_shared<ManualClock>();
  PollingCoordinator<int> coordinator(source, recording_applier([](int) { return Status(); }),
                                      manual(clock, 30));
  const Result<RunResult> pass = coordinator.run_once();
  ASSERT_TRUE(pass.ok());
  EXPECT_THAT(source->requested_sizes(), ElementsAre(30, 30, 30, 30));
  EXPECT_EQ(pass->batches, 4u);  // 30 + 30 + 30 + 10
}

TEST(ReferenceDefect, MaxRetriesOptionWasIgnored) {
  for (int attempts : {1, 2, 4}) {
    auto clock = std::make_shared<ManualClock>(ManualClock::Mode::kAutoAdvance);
    int tries = 0;
    auto coordinator = sync_with_retry<int>(
        [](size_t) -> Result<std::vector<int>> { return std::vector<int>{1}; },
        [&](const int&) {
          ++tries;
          return connection_refused();
        },
        [](std::span<const int>) { return Status(); }, attempts, manual(clock, 10));
    ASSERT_TRUE(coordinator->run_once().ok());
    EXPECT_EQ(tries, attempts);
  }
}

TEST(ReferenceDefect, RetryDelayWasIgnored) {
  auto clock = std::make_shared<ManualClock>(ManualClock::Mode::kAutoAdvance);
  int tries = 0;
  auto coordinator = sync_with_retry<int>(
      [](size_t) -> Result<std::vector<int>> { return std::vector<int>{1}; },
      [&](const int&) { return ++tries < 4 ? connection_refused() : Status(); },
      [](std::span<const int>) { return Status(); }, 5, manual(clock, 10));
  ASSERT_TRUE(coordinator->run_once().ok());
  // Three backoffs of the default policy (100 ms doubling, ±10 % jitter).
  const std::vector<Duration> waits = clock->requested_waits();
  ASSERT_EQ(waits.size(), 3u);
  EXPECT_GE(waits[0], 90ms);
  EXPECT_LE(waits[0], 110ms);
  EXPECT_GE(waits[1], 180ms);
  EXPECT_LE(waits[1], 220ms);
  EXPECT_GE(waits[2], 360ms);
  EXPECT_LE(waits[2], 440ms);
}

TEST(ReferenceDefect, SlowStreamWaitedForeverForAFullBatch) {
  auto clock = std::make_shared<ManualClock>();
  ChannelSourceOptions<int> channel_options;
  channel_options.clock = clock;
  auto source = std::make_shared<ChannelSource<int>>(channel_options);
  ASSERT_TRUE(source->push(1).ok());  // one record, a batch of 100: never full
  Counter applied;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    applied.increment();
    return ApplyResult::all_synced(batch.size());
  });
  StreamingOptions options;
  options.clock = clock;
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(clock->wait_for_waiters(1));
  clock->advance(options.max_wait);
  ASSERT_TRUE(applied.wait_for(1));
  EXPECT_THAT(applier->batches(), ElementsAre(ElementsAre(1)));
}

TEST(ReferenceDefect, DeadLetteredRecordsWereNeverMarkedAndCameBackEveryPoll) {
  auto source = std::make_shared<VectorSource>(range(1, 6));
  auto clock = std::make_shared<ManualClock>();
  auto applier = std::make_shared<RecordingApplier>(dead_letter_where([](int) { return true; }));
  PollingCoordinator<int> coordinator(source, applier, manual(clock, 10));
  for (int poll = 0; poll < 20; ++poll) ASSERT_TRUE(coordinator.run_once().ok());
  EXPECT_THAT(applier->batches(), ElementsAre(range(1, 6)));  // dead-lettered once, not 20 times
  EXPECT_THAT(source->pending(), IsEmpty());
  EXPECT_EQ(source->fetches.value(), 20u);
}

TEST(ReferenceDefect, FanOutReportedEveryRecordAsFailed) {
  auto fine = recording_applier([](int) { return Status(); });
  auto rejects_2 =
      recording_applier([](int record) { return record == 2 ? bad_payload() : Status(); });
  FanOutApplier<int> fan_out({fine, rejects_2});
  const std::vector<int> batch = {1, 2, 3};
  const ApplyResult result = fan_out.apply(batch);
  EXPECT_THAT(synced_positions(result), ElementsAre(0, 2));
  EXPECT_THAT(failure_codes(result), ElementsAre(::testing::Pair(1, StatusCode::kInvalidArgument)));
}

TEST(ReferenceDefect, StoppingTwiceCrashed) {
  auto clock = std::make_shared<ManualClock>();
  auto source = std::make_shared<VectorSource>(range(1, 3));
  PollingCoordinator<int> polling(source, recording_applier([](int) { return Status(); }),
                                  manual(clock, 10));
  ASSERT_TRUE(polling.start().ok());
  ASSERT_TRUE(clock->wait_for_waiters(1));
  polling.stop();
  polling.stop();

  ChannelSourceOptions<int> channel_options;
  channel_options.clock = clock;
  StreamingOptions streaming_options;
  streaming_options.clock = clock;
  StreamingCoordinator<int> streaming(std::make_shared<ChannelSource<int>>(channel_options),
                                      recording_applier([](int) { return Status(); }),
                                      streaming_options);
  ASSERT_TRUE(streaming.start().ok());
  streaming.stop();
  streaming.stop();
}

TEST(ReferenceDefect, ReadmeNamedAChannelSourceThatDidNotExist) {
  auto clock = std::make_shared<ManualClock>();
  std::vector<int> marked;
  ChannelSourceOptions<int> channel_options;
  channel_options.clock = clock;
  channel_options.on_ack = [&](std::span<const int> done) {  // the README's markDone
    marked.insert(marked.end(), done.begin(), done.end());
    return Status();
  };
  auto events = std::make_shared<ChannelSource<int>>(channel_options);
  StreamingOptions options;
  options.clock = clock;
  options.batch_size = 2;
  StreamingCoordinator<int> coordinator(events, recording_applier([](int) { return Status(); }),
                                        options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(events->push(1).ok());
  ASSERT_TRUE(events->push(2).ok());
  ASSERT_TRUE(eventually([&] { return coordinator.totals().synced == 2; }));
  coordinator.stop();
  EXPECT_THAT(marked, ElementsAre(1, 2));
}

TEST(ReferenceDefect, ReadmeNamedAStreamWorkersOptionThatDidNotExist) {
  auto clock = std::make_shared<ManualClock>();
  ChannelSourceOptions<int> channel_options;
  channel_options.clock = clock;
  auto source = std::make_shared<ChannelSource<int>>(channel_options);
  for (int record : {1, 2, 3, 4}) ASSERT_TRUE(source->push(record).ok());
  // Each of 4 batches of one record waits until all 4 are being applied at once: only 4
  // parallel workers let it through.
  std::mutex mutex;
  std::condition_variable all_in;
  size_t applying = 0;
  bool together = true;
  auto applier = std::make_shared<RecordingApplier>([&](std::span<const int> batch) {
    std::unique_lock lock(mutex);
    ++applying;
    all_in.notify_all();
    together = together && all_in.wait_for(lock, 10s, [&] { return applying == 4; });
    return ApplyResult::all_synced(batch.size());
  });
  StreamingOptions options;
  options.clock = clock;
  options.batch_size = 1;
  options.workers = 4;
  StreamingCoordinator<int> coordinator(source, applier, options);
  ASSERT_TRUE(coordinator.start().ok());
  ASSERT_TRUE(eventually([&] { return coordinator.totals().synced == 4; }));
  coordinator.stop();
  std::lock_guard lock(mutex);
  EXPECT_TRUE(together);
}

}  // namespace
}  // namespace courier::testing
