#include "courier/bisect.h"

#include <numeric>
#include <utility>

namespace courier {
namespace {

Status bisect_part(std::span<const size_t> part, const BisectAttempt& attempt,
                   std::vector<Refusal>& refused, uint64_t* splits) {
  PartOutcome outcome = attempt(part);
  if (outcome.stop) return outcome.status;
  if (outcome.status.ok()) return Status::Ok();
  if (part.size() == 1) {
    refused.push_back({part.front(), std::move(outcome.status)});
    return Status::Ok();
  }
  if (splits) ++*splits;
  const size_t half = part.size() / 2;
  if (Status first = bisect_part(part.first(half), attempt, refused, splits); !first.ok())
    return first;
  return bisect_part(part.subspan(half), attempt, refused, splits);
}

}  // namespace

Status bisect_refusals(size_t count, const BisectAttempt& attempt, std::vector<Refusal>& refused,
                       uint64_t* splits) {
  if (count == 0) return Status::Ok();
  std::vector<size_t> positions(count);
  std::iota(positions.begin(), positions.end(), size_t{0});
  return bisect_part(positions, attempt, refused, splits);
}

}  // namespace courier
