#include "courier/sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An outbox of strings: fetch returns unmarked rows, mark removes them.
struct Outbox {
  std::vector<std::string> rows;
  std::vector<size_t> asked;

  FetchFunction<std::string> fetch() {
    return [this](size_t max) -> Result<std::vector<std::string>> {
      asked.push_back(max);
      return std::vector<std::string>(rows.begin(),
                                      rows.begin() + static_cast<long>(std::min(max, rows.size())));
    };
  }
  MarkFunction<std::string> mark() {
    return [this](std::span<const std::string> done) {
      for (const std::string& row : done) std::erase(rows, row);
      return Status();
    };
  }
};

PollingOptions auto_advancing(std::shared_ptr<ManualClock>& clock) {
  clock = std::make_shared<ManualClock>(ManualClock::Mode::kAutoAdvance);
  PollingOptions options;
  options.clock = clock;
  return options;
}

// Fails each record with a retryable error `failures` times, then succeeds.
ProcessFunction<std::string> flaky(int failures, std::map<std::string, int>& tries) {
  return [failures, &tries](const std::string& row) {
    return ++tries[row] <= failures ? connection_refused() : Status();
  };
}

TEST(RunOnce, ProcessesEveryRecordAndReturnsCounts) {
  Outbox outbox{{"a", "b", "c"}};
  std::vector<std::string> processed;
  const Result<RunResult> result = run_once<std::string>(
      outbox.fetch(),
      [&](const std::string& row) {
        processed.push_back(row);
        return Status();
      },
      outbox.mark());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->batches, 1u);
  EXPECT_EQ(result->fetched, 3u);
  EXPECT_EQ(result->synced, 3u);
  EXPECT_THAT(processed, ElementsAre("a", "b", "c"));
  EXPECT_THAT(outbox.rows, IsEmpty());
}

TEST(RunOnce, FailedRecordsAreCountedAndLeftUnmarked) {
  Outbox outbox{{"a", "bad", "c"}};
  const Result<RunResult> result = run_once<std::string>(
      outbox.fetch(),
      [](const std::string& row) { return row == "bad" ? bad_payload() : Status(); },
      outbox.mark());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->synced, 2u);
  EXPECT_EQ(result->failed, 1u);
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(result->status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result->status().message(), ::testing::HasSubstr("1 of 3 records failed"));
  EXPECT_THAT(outbox.rows, ElementsAre("bad"));
}

TEST(Sync, ReturnsAStartableCoordinatorThatPollsWhenStarted) {
  Outbox outbox{{"a", "b"}};
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  PollingOptions options;
  options.clock = clock;
  options.batch_size = 5;
  auto coordinator = sync<std::string>(
      outbox.fetch(), [](const std::string&) { return Status(); }, outbox.mark(), options);
  EXPECT_FALSE(coordinator->running());
  EXPECT_THAT(outbox.asked, IsEmpty());
  ASSERT_TRUE(coordinator->start().ok());
  ASSERT_TRUE(clock->wait_for_waiters(1));
  coordinator->stop();
  EXPECT_THAT(outbox.asked, ElementsAre(5));
  EXPECT_THAT(outbox.rows, IsEmpty());
}

TEST(SyncWithRetry, AttemptsAreHonoured) {
  std::shared_ptr<ManualClock> clock;
  {
    Outbox outbox{{"row"}};
    std::map<std::string, int> tries;
    auto coordinator = sync_with_retry<std::string>(outbox.fetch(), flaky(2, tries), outbox.mark(),
                                                    3, auto_advancing(clock));
    const Result<RunResult> result = coordinator->run_once();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->synced, 1u);
    EXPECT_EQ(tries["row"], 3);
    EXPECT_THAT(outbox.rows, IsEmpty());
  }
  {
    Outbox outbox{{"row"}};
    std::map<std::string, int> tries;
    auto coordinator = sync_with_retry<std::string>(outbox.fetch(), flaky(2, tries), outbox.mark(),
                                                    2, auto_advancing(clock));
    const Result<RunResult> result = coordinator->run_once();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->synced, 0u);
    EXPECT_EQ(result->failed, 1u);
    EXPECT_EQ(tries["row"], 2);
    EXPECT_THAT(outbox.rows, ElementsAre("row"));  // left for the next poll
  }
}

TEST(SyncWithRetry, PermanentErrorsAreNotRetried) {
  Outbox outbox{{"row"}};
  int tries = 0;
  std::shared_ptr<ManualClock> clock;
  auto coordinator = sync_with_retry<std::string>(
      outbox.fetch(),
      [&](const std::string&) {
        ++tries;
        return bad_payload();
      },
      outbox.mark(), 5, auto_advancing(clock));
  ASSERT_TRUE(coordinator->run_once().ok());
  EXPECT_EQ(tries, 1);
}

TEST(SyncWithRetry, NegativeAttemptsAreRejected) {
  Outbox outbox;
  EXPECT_THROW(sync_with_retry<std::string>(
                   outbox.fetch(), [](const std::string&) { return Status(); }, outbox.mark(), -1),
               std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
