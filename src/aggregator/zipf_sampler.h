// ZipfSampler: ranks 1..n drawn with probability proportional to 1 / rank^s, so a few
// ranks are "hot". Used by `courier datagen` (post authorship) and the hot-partition
// benchmark (which users are read).
//
//   ZipfSampler zipf(1000, 1.1);
//   std::mt19937_64 random(42);
//   size_t rank = zipf.sample(random);   // 1 most often, then 2, ...
//
// Sampling is a binary search in the precomputed cumulative distribution: O(log n), exact.
// Thread-safety: immutable after construction; share freely, but each thread needs its
// own random engine.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace courier::aggregator {

class ZipfSampler {
 public:
  // n >= 1 ranks, exponent s >= 0 (0 is uniform). Throws std::invalid_argument otherwise.
  ZipfSampler(size_t n, double exponent);

  size_t size() const { return cumulative_.size(); }
  // A rank in 1..n.
  size_t sample(std::mt19937_64& random) const;
  // The probability of `rank` (1..n).
  double probability(size_t rank) const;

 private:
  std::vector<double> cumulative_;  // cumulative_[i]: P(rank <= i + 1); the last is 1
};

}  // namespace courier::aggregator
