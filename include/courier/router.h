// RouterApplier: sends each record to the applier of the first route whose predicate
// matches it. A record no route matches fails permanently ("no route for record"), so it
// is dead-lettered rather than silently reported as synced; add a catch-all route last
// (`[](const auto&) { return true; }`) to send the rest somewhere on purpose.
//
//   courier::RouterApplier<Event> by_kind({{is_order, to_orders}, {is_refund, to_refunds}});
//   courier::ApplyResult result = by_kind.apply(batch);  // indices are positions in `batch`
//   // an event that is neither an order nor a refund: failed, kInvalidArgument
//
// Each route's applier gets its records as one batch, in their original order (copied
// unless a route takes the whole batch); outcomes are reported at the original positions.
// A fatal result from any route makes the whole batch fatal.
//
// Thread-safety: apply() may run on several threads at once when the predicates and the
// routes' appliers allow it.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/status.h"

namespace courier {

template <typename Record>
struct Route {
  std::function<bool(const Record&)> matches;
  ApplierPtr<Record> applier;
};

template <typename Record>
class RouterApplier final : public Applier<Record> {
 public:
  explicit RouterApplier(std::vector<Route<Record>> routes) : routes_(std::move(routes)) {
    for (size_t r = 0; r < routes_.size(); ++r) {
      if (!routes_[r].matches || !routes_[r].applier) {
        throw std::invalid_argument("RouterApplier route " + std::to_string(r) +
                                    " needs a predicate and an applier");
      }
    }
  }

  ApplyResult apply(std::span<const Record> batch) override {
    std::vector<std::vector<size_t>> positions(routes_.size());
    ApplyResult combined;
    for (size_t i = 0; i < batch.size(); ++i) {
      const size_t route = route_of(batch[i]);
      if (route == routes_.size()) {
        combined.add_failed(i, Status(StatusCode::kInvalidArgument,
                                      "no route for record at position " + std::to_string(i) +
                                          " of the batch; add a route that matches it"));
      } else {
        positions[route].push_back(i);
      }
    }
    for (size_t r = 0; r < routes_.size(); ++r) {
      if (positions[r].empty()) continue;
      const ApplyResult routed = apply_route(r, batch, positions[r]);
      if (routed.is_fatal()) return routed;
      add_at_positions(routed, positions[r], combined);
    }
    return combined;
  }

 private:
  size_t route_of(const Record& record) const {
    for (size_t r = 0; r < routes_.size(); ++r) {
      if (routes_[r].matches(record)) return r;
    }
    return routes_.size();
  }

  ApplyResult apply_route(size_t route, std::span<const Record> batch,
                          const std::vector<size_t>& positions) {
    Applier<Record>& applier = *routes_[route].applier;
    if (positions.size() == batch.size()) return applier.apply(batch);  // all of it, in order
    std::vector<Record> subset;
    subset.reserve(positions.size());
    for (size_t position : positions) subset.push_back(batch[position]);
    return applier.apply(std::span<const Record>(subset));
  }

  // Outcomes of a route's sub-batch, at their positions in the whole batch. An index
  // outside the sub-batch is the route applier's bug; that record is then reported failed
  // (kInternal) with the others the applier did not mention.
  static void add_at_positions(const ApplyResult& routed, const std::vector<size_t>& positions,
                               ApplyResult& combined) {
    std::vector<bool> reported(positions.size(), false);
    auto take = [&](size_t index) {
      if (index >= positions.size() || reported[index]) return false;
      reported[index] = true;
      return true;
    };
    for (size_t index : routed.synced()) {
      if (take(index)) combined.add_synced(positions[index]);
    }
    for (size_t index : routed.dead_lettered()) {
      if (take(index)) combined.add_dead_lettered(positions[index]);
    }
    for (const RecordFailure& failure : routed.failed()) {
      if (take(failure.index)) combined.add_failed(positions[failure.index], failure.error);
    }
    for (size_t index = 0; index < positions.size(); ++index) {
      if (!reported[index]) {
        combined.add_failed(positions[index],
                            Status(StatusCode::kInternal, "the route's applier did not report it"));
      }
    }
  }

  std::vector<Route<Record>> routes_;
};

}  // namespace courier
