#include "aggregator/zipf_sampler.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace courier::aggregator {
namespace {

TEST(ZipfSampler, ProbabilitiesFollowOneOverRankToTheS) {
  ZipfSampler zipf(4, 1.0);
  double harmonic = 1 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4;
  for (size_t rank = 1; rank <= 4; ++rank)
    EXPECT_NEAR(zipf.probability(rank), 1.0 / rank / harmonic, 1e-12);
  EXPECT_EQ(zipf.probability(0), 0);
  EXPECT_EQ(zipf.probability(5), 0);
}

TEST(ZipfSampler, SampleFrequenciesMatchTheDistribution) {
  ZipfSampler zipf(100, 1.1);
  std::mt19937_64 random(1);
  std::vector<int> seen(101, 0);
  const int draws = 200'000;
  for (int i = 0; i < draws; ++i) {
    size_t rank = zipf.sample(random);
    ASSERT_GE(rank, 1u);
    ASSERT_LE(rank, 100u);
    ++seen[rank];
  }
  for (size_t rank : {1, 2, 10, 50})
    EXPECT_NEAR(seen[rank] / double(draws), zipf.probability(rank), 0.01) << "rank " << rank;
  EXPECT_GT(seen[1], 10 * seen[50]);
}

TEST(ZipfSampler, ExponentZeroIsUniform) {
  ZipfSampler zipf(10, 0);
  for (size_t rank = 1; rank <= 10; ++rank) EXPECT_NEAR(zipf.probability(rank), 0.1, 1e-12);
}

TEST(ZipfSampler, RefusesNoRanksOrANegativeExponent) {
  EXPECT_THROW(ZipfSampler(0, 1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace courier::aggregator
