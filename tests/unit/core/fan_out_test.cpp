#include "courier/fan_out.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "coordinator_test_support.h"
#include "core_test_support.h"

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

std::map<size_t, std::string> failure_messages(const ApplyResult& result) {
  std::map<size_t, std::string> messages;
  for (const RecordFailure& failure : result.failed()) {
    messages[failure.index] = failure.error.message();
  }
  return messages;
}

TEST(FanOutApplier, EveryDestinationSyncedMeansSynced) {
  auto first = recording_applier([](int) { return Status(); });
  auto second = recording_applier([](int) { return Status(); });
  FanOutApplier<int> fan_out({first, second});
  const std::vector<int> batch = {1, 2, 3};
  const ApplyResult result = fan_out.apply(batch);
  EXPECT_THAT(synced_positions(result), ElementsAre(0, 1, 2));
  EXPECT_TRUE(result.all_ok());
  EXPECT_THAT(first->batches(), ElementsAre(batch));
  EXPECT_THAT(second->batches(), ElementsAre(batch));
}

TEST(FanOutApplier, PartialFailureIsReportedPerRecordAndPerDestination) {
  auto everything = recording_applier([](int) { return Status(); });
  auto rejects_2 =
      recording_applier([](int record) { return record == 2 ? bad_payload() : Status(); });
  auto flaky_3_dead_letters_4 = std::make_shared<RecordingApplier>([](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i] == 3) {
        result.add_failed(i, connection_refused());
      } else if (batch[i] == 4) {
        result.add_dead_lettered(i);
      } else {
        result.add_synced(i);
      }
    }
    return result;
  });
  FanOutApplier<int> fan_out({everything, rejects_2, flaky_3_dead_letters_4});
  const std::vector<int> batch = {1, 2, 3, 4};
  const ApplyResult result = fan_out.apply(batch);

  EXPECT_THAT(synced_positions(result), ElementsAre(0));
  EXPECT_THAT(result.dead_lettered(), ElementsAre(3));
  EXPECT_THAT(failure_codes(result), ElementsAre(Pair(1, StatusCode::kInvalidArgument),
                                                 Pair(2, StatusCode::kUnavailable)));
  EXPECT_THAT(failure_messages(result), ElementsAre(Pair(1, "destination 1: bad payload"),
                                                    Pair(2, "destination 2: connection refused")));

  const std::vector<ApplyResult> per_destination = fan_out.last_destination_results();
  ASSERT_THAT(per_destination, SizeIs(3));
  EXPECT_THAT(synced_positions(per_destination[0]), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(synced_positions(per_destination[1]), ElementsAre(0, 2, 3));
  EXPECT_THAT(failure_codes(per_destination[1]),
              ElementsAre(Pair(1, StatusCode::kInvalidArgument)));
  EXPECT_THAT(synced_positions(per_destination[2]), ElementsAre(0, 1));
  EXPECT_THAT(per_destination[2].dead_lettered(), ElementsAre(3));
}

TEST(FanOutApplier, TheFirstFailingDestinationsErrorIsReported) {
  auto first = recording_applier([](int) { return bad_payload(); });
  auto second = recording_applier([](int) { return connection_refused(); });
  FanOutApplier<int> fan_out({first, second});
  const std::vector<int> batch = {1};
  EXPECT_THAT(failure_messages(fan_out.apply(batch)),
              ElementsAre(Pair(0, "destination 0: bad payload")));
}

TEST(FanOutApplier, AFatalDestinationMakesTheBatchFatal) {
  auto fine = recording_applier([](int) { return Status(); });
  auto fatal = std::make_shared<RecordingApplier>([](std::span<const int>) {
    return ApplyResult::fatal_error(Status(StatusCode::kFailedPrecondition, "auth"));
  });
  FanOutApplier<int> fan_out({fine, fatal});
  const std::vector<int> batch = {1, 2};
  const ApplyResult result = fan_out.apply(batch);
  ASSERT_TRUE(result.is_fatal());
  EXPECT_EQ(result.fatal().message(), "destination 1: auth");
}

TEST(FanOutApplier, ARecordADestinationDidNotReportFails) {
  auto silent =
      std::make_shared<RecordingApplier>([](std::span<const int>) { return ApplyResult(); });
  FanOutApplier<int> fan_out({silent});
  const std::vector<int> batch = {1};
  EXPECT_THAT(failure_codes(fan_out.apply(batch)), ElementsAre(Pair(0, StatusCode::kInternal)));
}

TEST(FanOutApplier, NeedsDestinations) {
  EXPECT_THROW(FanOutApplier<int>({}), std::invalid_argument);
  EXPECT_THROW(FanOutApplier<int>({nullptr}), std::invalid_argument);
}

}  // namespace
}  // namespace courier::testing
