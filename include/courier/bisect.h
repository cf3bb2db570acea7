// Finding the records a destination refuses, when it takes a batch all or nothing: try
// the whole batch, and on a failure a record may have caused, try each half, down to
// single records. A batch with one bad record among n costs about 2·log2(n) more tries;
// the good records are applied by the tries that succeed, the bad ones come back with
// the error each caused alone (to dead-letter them).
//
//   std::vector<courier::Refusal> refused;
//   courier::Status done = courier::bisect_refusals(batch.size(),
//       [&](std::span<const size_t> part) {
//         courier::Status s = db.insert_all_or_nothing(batch, part);  // a savepoint, say
//         if (s.retryable()) return courier::PartOutcome::stop_with(s);  // the server, not a record
//         return s.ok() ? courier::PartOutcome::applied() : courier::PartOutcome::refused(s);
//       },
//       refused);
//
// The try is the caller's (a Postgres savepoint, a Redis MULTI, an HTTP bulk call), and so
// is the judgement of whether a failure may be a record's fault. Stream ingest finds the
// rows a table refuses (a constraint, a trigger) this way.
//
// Thread-safety: a pure function; `attempt` is called on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "courier/status.h"

namespace courier {

// A record refused on its own: its position in the batch, and why.
struct Refusal {
  size_t index = 0;
  Status reason;
};

// What one try of a part of the batch came to.
struct PartOutcome {
  Status status;      // Ok: applied; else why not
  bool stop = false;  // no record is to blame (the server, the connection): end the search

  static PartOutcome applied() { return {}; }
  static PartOutcome refused(Status why) { return {std::move(why), false}; }
  static PartOutcome stop_with(Status why) { return {std::move(why), true}; }
};

// Applies the records at the given positions (ascending) as one unit, all or nothing.
using BisectAttempt = std::function<PartOutcome(std::span<const size_t> positions)>;

// Tries positions 0 … count-1 as one unit, then halves what is refused. Appends each
// record refused alone to `refused`, in batch order; `splits` (optional) counts the halvings.
// Ok when the search ended (every record applied or refused), else the stopping error.
Status bisect_refusals(size_t count, const BisectAttempt& attempt, std::vector<Refusal>& refused,
                       uint64_t* splits = nullptr);

}  // namespace courier
