#include "aggregator/zipf_sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace courier::aggregator {

ZipfSampler::ZipfSampler(size_t n, double exponent) {
  if (n == 0) throw std::invalid_argument("ZipfSampler: needs at least one rank");
  if (!(exponent >= 0)) throw std::invalid_argument("ZipfSampler: exponent must be >= 0");
  cumulative_.reserve(n);
  double total = 0;
  for (size_t rank = 1; rank <= n; ++rank) {
    total += 1.0 / std::pow(static_cast<double>(rank), exponent);
    cumulative_.push_back(total);
  }
  for (double& value : cumulative_) value /= total;
  cumulative_.back() = 1.0;  // no rounding gap above the last rank
}

size_t ZipfSampler::sample(std::mt19937_64& random) const {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  auto found = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  if (found == cumulative_.end()) --found;
  return static_cast<size_t>(found - cumulative_.begin()) + 1;
}

double ZipfSampler::probability(size_t rank) const {
  if (rank == 0 || rank > cumulative_.size()) return 0;
  return cumulative_[rank - 1] - (rank == 1 ? 0.0 : cumulative_[rank - 2]);
}

}  // namespace courier::aggregator
