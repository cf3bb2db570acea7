// Fakes shared by the core unit tests: an applier that records every batch it sees and
// answers through a function, and readers that turn an ApplyResult into comparable values.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "courier/applier.h"
#include "courier/status.h"
#include "poll_until.h"

namespace courier::testing {

using namespace std::chrono_literals;

inline Status connection_refused() {
  return Status(StatusCode::kUnavailable, "connection refused");
}
inline Status bad_payload() {
  return Status(StatusCode::kInvalidArgument, "bad payload");
}

// Records are ints; the applier answers each batch through `respond` and keeps a copy of
// every batch it was given, in order.
class RecordingApplier final : public Applier<int> {
 public:
  using Respond = std::function<ApplyResult(std::span<const int>)>;
  explicit RecordingApplier(Respond respond) : respond_(std::move(respond)) {}

  ApplyResult apply(std::span<const int> batch) override {
    {
      std::lock_guard lock(mutex_);
      batches_.emplace_back(batch.begin(), batch.end());
    }
    return respond_(batch);
  }

  std::vector<std::vector<int>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  Respond respond_;
  mutable std::mutex mutex_;
  std::vector<std::vector<int>> batches_;
};

// A responder deciding each record on its own: ok syncs it, an error fails it.
inline RecordingApplier::Respond each_record(std::function<Status(int record)> status_of) {
  return [status_of = std::move(status_of)](std::span<const int> batch) {
    ApplyResult result;
    for (size_t i = 0; i < batch.size(); ++i) {
      Status status = status_of(batch[i]);
      if (status.ok()) {
        result.add_synced(i);
      } else {
        result.add_failed(i, std::move(status));
      }
    }
    return result;
  };
}

inline std::shared_ptr<RecordingApplier> recording_applier(std::function<Status(int)> status_of) {
  return std::make_shared<RecordingApplier>(each_record(std::move(status_of)));
}

inline std::vector<size_t> synced_positions(const ApplyResult& result) {
  std::vector<size_t> positions = result.synced();
  std::sort(positions.begin(), positions.end());
  return positions;
}

inline std::map<size_t, StatusCode> failure_codes(const ApplyResult& result) {
  std::map<size_t, StatusCode> codes;
  for (const RecordFailure& failure : result.failed()) codes[failure.index] = failure.error.code();
  return codes;
}

// Polls `condition` until it holds or 10 s of real time have passed (then false). For the
// rare fact no event announces, such as a worker thread going idle.
inline bool eventually(const std::function<bool()>& condition) {
  return poll_until(10s, condition, /*pause=*/0ms);
}

}  // namespace courier::testing
