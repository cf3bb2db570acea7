// FanOutApplier: every record goes to every destination. A record is synced only when
// every destination synced it; when each destination handled it but some dead-lettered
// it, it is dead-lettered (handled: marked, not fetched again); when any destination
// failed it, it fails with the first such destination's error, prefixed "destination N:".
// What each destination said about the last batch is kept for inspection.
//
//   courier::FanOutApplier<Event> everywhere({to_kafka, to_search, to_metrics});
//   courier::ApplyResult result = everywhere.apply(batch);
//   auto per_destination = everywhere.last_destination_results();  // one ApplyResult each
//
// Destinations are applied one after another, each to the whole batch. Wrapped in a
// RetryingApplier, a failed record is sent again to *every* destination, including those
// that synced it; to retry each destination on its own, wrap each destination instead.
//
// Thread-safety: apply() may run on several threads at once when every destination
// allows it; last_destination_results() is then the batch that finished last.
#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/applier.h"
#include "courier/status.h"

namespace courier {

template <typename Record>
class FanOutApplier final : public Applier<Record> {
 public:
  explicit FanOutApplier(std::vector<ApplierPtr<Record>> destinations)
      : destinations_(std::move(destinations)) {
    if (destinations_.empty()) throw std::invalid_argument("FanOutApplier needs a destination");
    for (const auto& destination : destinations_) {
      if (!destination) throw std::invalid_argument("FanOutApplier destination is null");
    }
  }

  ApplyResult apply(std::span<const Record> batch) override {
    std::vector<ApplyResult> results;
    results.reserve(destinations_.size());
    for (const auto& destination : destinations_) results.push_back(destination->apply(batch));
    ApplyResult combined = combine(results, batch.size());
    std::lock_guard lock(mutex_);
    last_results_ = std::move(results);
    return combined;
  }

  // What each destination reported for the last batch, in destination order.
  std::vector<ApplyResult> last_destination_results() const {
    std::lock_guard lock(mutex_);
    return last_results_;
  }

 private:
  enum class Outcome { kUnreported, kSynced, kDeadLettered, kFailed };

  static Status for_destination(size_t destination, const Status& error) {
    return Status(error.code(),
                  "destination " + std::to_string(destination) + ": " + error.message(),
                  error.detail());
  }

  static ApplyResult combine(const std::vector<ApplyResult>& results, size_t records) {
    std::vector<Outcome> outcome(records, Outcome::kSynced);
    std::vector<Status> error(records);
    for (size_t d = 0; d < results.size(); ++d) {
      const ApplyResult& result = results[d];
      if (result.is_fatal()) return ApplyResult::fatal_error(for_destination(d, result.fatal()));
      std::vector<Outcome> said(records, Outcome::kUnreported);
      std::vector<const Status*> failure(records, nullptr);
      for (size_t i : result.synced()) {
        if (i < records) said[i] = Outcome::kSynced;
      }
      for (size_t i : result.dead_lettered()) {
        if (i < records) said[i] = Outcome::kDeadLettered;
      }
      for (const RecordFailure& f : result.failed()) {
        if (f.index < records) {
          said[f.index] = Outcome::kFailed;
          failure[f.index] = &f.error;
        }
      }
      for (size_t i = 0; i < records; ++i) {
        if (outcome[i] == Outcome::kFailed) continue;  // the first destination's error stays
        if (said[i] == Outcome::kFailed) {
          outcome[i] = Outcome::kFailed;
          error[i] = for_destination(d, *failure[i]);
        } else if (said[i] == Outcome::kUnreported) {
          outcome[i] = Outcome::kFailed;
          error[i] = for_destination(d, Status(StatusCode::kInternal, "record not reported"));
        } else if (said[i] == Outcome::kDeadLettered) {
          outcome[i] = Outcome::kDeadLettered;
        }
      }
    }
    ApplyResult combined;
    for (size_t i = 0; i < records; ++i) {
      switch (outcome[i]) {
        case Outcome::kSynced:
          combined.add_synced(i);
          break;
        case Outcome::kDeadLettered:
          combined.add_dead_lettered(i);
          break;
        case Outcome::kFailed:
        case Outcome::kUnreported:
          combined.add_failed(i, error[i]);
          break;
      }
    }
    return combined;
  }

  std::vector<ApplierPtr<Record>> destinations_;
  mutable std::mutex mutex_;
  std::vector<ApplyResult> last_results_;
};

}  // namespace courier
