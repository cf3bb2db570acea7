// bisect_refusals: the records refused alone are found, the others applied, and a failure
// no record is to blame for ends the search.
#include "courier/bisect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace courier::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A destination that takes a part all or nothing and refuses any part holding a bad record.
struct AllOrNothing {
  std::set<size_t> bad;
  std::vector<size_t> applied;
  int tries = 0;
  int fail_server_at_try = 0;  // from 1; 0: never

  PartOutcome operator()(std::span<const size_t> part) {
    ++tries;
    if (tries == fail_server_at_try)
      return PartOutcome::stop_with(Status(StatusCode::kUnavailable, "server gone"));
    for (size_t record : part) {
      if (bad.contains(record))
        return PartOutcome::refused(
            Status(StatusCode::kInvalidArgument, "record " + std::to_string(record)));
    }
    applied.insert(applied.end(), part.begin(), part.end());
    return PartOutcome::applied();
  }
};

std::vector<size_t> indices_of(const std::vector<Refusal>& refused) {
  std::vector<size_t> out;
  for (const Refusal& r : refused) out.push_back(r.index);
  return out;
}

TEST(BisectRefusals, AGoodBatchIsOneTry) {
  AllOrNothing target;
  std::vector<Refusal> refused;
  uint64_t splits = 0;
  EXPECT_TRUE(bisect_refusals(8, std::ref(target), refused, &splits).ok());
  EXPECT_EQ(target.tries, 1);
  EXPECT_EQ(splits, 0u);
  EXPECT_THAT(refused, IsEmpty());
  EXPECT_EQ(target.applied.size(), 8u);
}

TEST(BisectRefusals, FindsEachBadRecordWithItsOwnErrorAndAppliesTheRest) {
  AllOrNothing target{.bad = {3, 11}};
  std::vector<Refusal> refused;
  uint64_t splits = 0;
  ASSERT_TRUE(bisect_refusals(16, std::ref(target), refused, &splits).ok());
  EXPECT_THAT(indices_of(refused), ElementsAre(3, 11));
  EXPECT_EQ(refused[1].reason.message(), "record 11");
  std::set<size_t> applied(target.applied.begin(), target.applied.end());
  EXPECT_EQ(applied.size(), 14u);
  EXPECT_FALSE(applied.contains(3));
  EXPECT_FALSE(applied.contains(11));
  EXPECT_EQ(target.applied.size(), 14u);  // nothing applied twice
  EXPECT_LT(target.tries, 16);            // fewer tries than one per record
  EXPECT_GT(splits, 0u);
}

TEST(BisectRefusals, EveryRecordBadIsEveryRecordRefusedInOrder) {
  AllOrNothing target{.bad = {0, 1, 2}};
  std::vector<Refusal> refused;
  ASSERT_TRUE(bisect_refusals(3, std::ref(target), refused).ok());
  EXPECT_THAT(indices_of(refused), ElementsAre(0, 1, 2));
  EXPECT_THAT(target.applied, IsEmpty());
}

TEST(BisectRefusals, AFailureNoRecordIsToBlameForEndsTheSearch) {
  AllOrNothing target{.bad = {5}, .fail_server_at_try = 2};
  std::vector<Refusal> refused;
  Status done = bisect_refusals(8, std::ref(target), refused);
  EXPECT_EQ(done.code(), StatusCode::kUnavailable);
  EXPECT_EQ(target.tries, 2);
  EXPECT_THAT(refused, IsEmpty());
}

TEST(BisectRefusals, AnEmptyBatchTriesNothing) {
  AllOrNothing target;
  std::vector<Refusal> refused;
  EXPECT_TRUE(bisect_refusals(0, std::ref(target), refused).ok());
  EXPECT_EQ(target.tries, 0);
}

}  // namespace
}  // namespace courier::testing
