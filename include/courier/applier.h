// Appliers: the "apply" step of a fetch → apply → mark pipeline. An applier takes a batch
// of records and says, for each one, whether it synced or failed (and why), and whether
// a fatal error must stop the whole run.
//
//   auto publish = courier::process_each<Event>([&](const Event& e) { return send(e); });
//   courier::ApplyResult result = publish->apply(batch);
//   for (const auto& failure : result.failed()) log(failure.index, failure.error);
//
// Thread-safety: ApplyResult is a plain value. An Applier's apply() is called by one
// thread at a time unless the applier's own header says otherwise.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "courier/status.h"

namespace courier {

// One record of a batch that did not sync: its position in the batch and the reason.
struct RecordFailure {
  size_t index = 0;
  Status error;
};

// What happened to one batch. Every index of the batch is reported exactly once, as
// synced, dead-lettered or failed — unless fatal() is set, which stops the run and leaves
// the batch unmarked (it will be fetched again). Synced and dead-lettered records are
// both *handled*: the coordinator marks/acks them, so they are never fetched again.
class ApplyResult {
 public:
  static ApplyResult all_synced(size_t batch_size) {
    ApplyResult result;
    for (size_t i = 0; i < batch_size; ++i) result.synced_.push_back(i);
    return result;
  }
  static ApplyResult all_failed(size_t batch_size, const Status& error) {
    ApplyResult result;
    for (size_t i = 0; i < batch_size; ++i) result.failed_.push_back({i, error});
    return result;
  }
  static ApplyResult fatal_error(Status error) {
    ApplyResult result;
    result.fatal_ = std::move(error);
    return result;
  }

  void add_synced(size_t index) { synced_.push_back(index); }
  // The record failed for good and now sits in a dead-letter queue.
  void add_dead_lettered(size_t index) { dead_lettered_.push_back(index); }
  void add_failed(size_t index, Status error) { failed_.push_back({index, std::move(error)}); }
  void set_fatal(Status error) { fatal_ = std::move(error); }

  const std::vector<size_t>& synced() const { return synced_; }
  const std::vector<size_t>& dead_lettered() const { return dead_lettered_; }
  const std::vector<RecordFailure>& failed() const { return failed_; }
  // Non-ok when the run must stop (e.g. the destination rejected our credentials).
  const Status& fatal() const { return fatal_; }
  bool is_fatal() const { return !fatal_.ok(); }
  bool all_ok() const { return failed_.empty() && fatal_.ok(); }

 private:
  std::vector<size_t> synced_;
  std::vector<size_t> dead_lettered_;
  std::vector<RecordFailure> failed_;
  Status fatal_;
};

template <typename Record>
class Applier {
 public:
  virtual ~Applier() = default;
  virtual ApplyResult apply(std::span<const Record> batch) = 0;
};

template <typename Record>
using ApplierPtr = std::shared_ptr<Applier<Record>>;

// An applier from a function over the whole batch.
template <typename Record>
class BatchFunctionApplier final : public Applier<Record> {
 public:
  using Function = std::function<ApplyResult(std::span<const Record>)>;
  explicit BatchFunctionApplier(Function function) : function_(std::move(function)) {}
  ApplyResult apply(std::span<const Record> batch) override { return function_(batch); }

 private:
  Function function_;
};

// For decorators' constructors: a decorator around nothing is a programming error, caught
// where it is made rather than at the first batch.
template <typename Record>
ApplierPtr<Record> require_inner_applier(ApplierPtr<Record> inner, const char* decorator) {
  if (!inner) throw std::invalid_argument(std::string(decorator) + " needs an inner applier");
  return inner;
}

// `result` of applying a subset of a batch, reported by position in the whole batch:
// index i of the subset is `positions[i]` of the batch. An index outside the subset is a
// bug in the applier that produced it, reported as a fatal kInternal error.
inline ApplyResult map_to_batch_positions(const ApplyResult& result,
                                          std::span<const size_t> positions) {
  if (result.is_fatal()) return ApplyResult::fatal_error(result.fatal());
  auto out_of_range = [&](size_t index) {
    return ApplyResult::fatal_error(
        Status(StatusCode::kInternal, "applier reported record " + std::to_string(index) +
                                          " of a batch of " + std::to_string(positions.size())));
  };
  ApplyResult mapped;
  for (size_t index : result.synced()) {
    if (index >= positions.size()) return out_of_range(index);
    mapped.add_synced(positions[index]);
  }
  for (size_t index : result.dead_lettered()) {
    if (index >= positions.size()) return out_of_range(index);
    mapped.add_dead_lettered(positions[index]);
  }
  for (const RecordFailure& failure : result.failed()) {
    if (failure.index >= positions.size()) return out_of_range(failure.index);
    mapped.add_failed(positions[failure.index], failure.error);
  }
  return mapped;
}

// Applies `inner` to the records of `batch` at `positions` and reports every outcome by
// its position in `batch`. Decorators use it to retry or forward part of a batch. The
// records of a proper subset are copied (Record must be copyable); a batch passed whole,
// in order, is not.
template <typename Record>
ApplyResult apply_subset(Applier<Record>& inner, std::span<const Record> batch,
                         std::span<const size_t> positions) {
  bool whole_batch = positions.size() == batch.size();
  for (size_t i = 0; whole_batch && i < positions.size(); ++i) whole_batch = positions[i] == i;
  if (whole_batch) return map_to_batch_positions(inner.apply(batch), positions);

  std::vector<Record> subset;
  subset.reserve(positions.size());
  for (size_t position : positions) subset.push_back(batch[position]);
  return map_to_batch_positions(inner.apply(std::span<const Record>(subset)), positions);
}

// The seed library's "process one record" form: the function is called for each record
// in order; a non-ok status fails that record only.
template <typename Record>
ApplierPtr<Record> process_each(std::function<Status(const Record&)> process) {
  return std::make_shared<BatchFunctionApplier<Record>>(
      [process = std::move(process)](std::span<const Record> batch) {
        ApplyResult result;
        for (size_t i = 0; i < batch.size(); ++i) {
          Status status = process(batch[i]);
          if (status.ok()) {
            result.add_synced(i);
          } else {
            result.add_failed(i, std::move(status));
          }
        }
        return result;
      });
}

}  // namespace courier
