// StreamConsumer: one consumer of a Redis consumer group over the configured streams.
// Creates the groups when missing (MKSTREAM, from the stream's start) and again after a
// stream or group vanished (NOGROUP); reads its own pending entries first (a restart with
// the same consumer name resumes them), then new ones; takes over entries idle longer
// than claim_idle from any consumer (XAUTOCLAIM), with their delivery counts; acks a
// batch in one pipelined round trip. Entries deleted while pending (XDEL, a producer's
// MAXLEN trim) have nothing left to write: they are acked, counted and logged.
//
//   StreamConsumer consumer(*client, config, "host-0");
//   auto entries = consumer.read(100, std::chrono::milliseconds(500));
//   /* write them */  (void)consumer.ack(*entries);
//
// Thread-safety: none; one consumer per thread, with its own redis::Client.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "courier/status.h"
#include "redis/client.h"
#include "redis_to_pg/entry_decoder.h"
#include "redis_to_pg/stream_config.h"

namespace courier::redis_to_pg {

// "<host name>-<index>": stable across restarts, so a restarted worker finds its own
// pending entries. `configured` (CONSUMER_NAME) replaces the host name when set.
std::string consumer_name_for(const std::string& configured, int worker_index);

// The entries of an XREADGROUP / XRANGE-shaped reply ([[stream, [[id, [f, v…]]…]]…]).
// Entries whose data was deleted come back with no fields, marked `deleted`.
Result<std::vector<StreamEntry>> parse_read_reply(const redis::Reply& reply);

// An XAUTOCLAIM reply: [next cursor, [entry…], and since Redis 7 [id of a deleted entry…]].
// Entries deleted while pending (XDEL, a trim) are gone: Redis 7 drops them from the
// pending list and names them in the third element; Redis 6.2 answers nil in an entry's
// place, without its id, and moves it to the claimer's pending list like the others.
struct AutoclaimReply {
  std::string next_cursor;  // "0-0" when the scan went round
  std::vector<StreamEntry> entries;
  std::vector<std::string> deleted_ids;  // Redis 7
  size_t deleted_unnamed = 0;            // Redis 6.2: nil entries
};
Result<AutoclaimReply> parse_autoclaim_reply(const std::string& stream, const redis::Reply& reply);

class StreamConsumer {
 public:
  StreamConsumer(redis::Client& client, const StreamsConfig& config, std::string name);

  // XGROUP CREATE … 0 MKSTREAM for every stream; an existing group is fine.
  Status ensure_groups();

  // Up to `count` entries: this consumer's pending ones until none are left, then new
  // ones, waiting at most `block` for the first. Entries idle elsewhere are claimed when
  // claim_idle has passed since the last claim. Recreates the group after NOGROUP. A
  // claimed entry joins this consumer's pending list, so a caller collecting several
  // reads into one batch must drop repeated ids.
  Result<std::vector<StreamEntry>> read(size_t count, std::chrono::milliseconds block);

  // XCLAIM … JUSTID of the entries to this consumer: resets their idle time without
  // counting a delivery, so a batch held through an outage is not taken over. Best effort.
  void refresh_claim(std::span<const StreamEntry> entries);

  // XACK of every entry, one XACK per stream, all in one pipeline.
  Status ack(std::span<const StreamEntry> entries);

  // Read this consumer's pending entries again, from the start, before new ones (after a
  // batch that was not acked).
  void resume_pending();

  const std::string& name() const { return name_; }
  // Entries taken over from other consumers so far.
  uint64_t claimed() const { return claimed_; }
  // Entries found deleted while pending so far, dropped from the group unwritten.
  uint64_t vanished() const { return vanished_; }

 private:
  // One XREADGROUP over `streams` (indices of one slot): new entries, or this consumer's
  // pending ones after their cursors; without `block` it does not wait.
  Result<std::vector<StreamEntry>> read_group(const std::vector<size_t>& streams, size_t count,
                                              std::optional<std::chrono::milliseconds> block,
                                              bool pending);
  // read_group over every slot group in turn, without waiting.
  Result<std::vector<StreamEntry>> read_every_slot(size_t count, bool pending);
  Result<std::vector<StreamEntry>> read_pending(size_t count);
  Result<std::vector<StreamEntry>> read_new(size_t count, std::chrono::milliseconds block);
  Result<std::vector<StreamEntry>> claim_idle(size_t count);
  // Acks the deleted entries among `entries` (read from the pending list) and removes them.
  Status drop_deleted(std::vector<StreamEntry>& entries);
  void count_vanished(const std::string& stream, size_t entries);
  // Sets each entry's delivery count from XPENDING.
  Status load_delivery_counts(std::vector<StreamEntry>& entries);
  // On NOGROUP: create the groups again and read pending from the start.
  Status recover(const Status& error);

  redis::Client& client_;
  const StreamsConfig& config_;
  std::string name_;
  bool reading_pending_ = true;
  std::vector<std::string> pending_cursor_;  // per stream: last pending id read
  std::chrono::steady_clock::time_point next_claim_{};
  std::vector<std::string> claim_cursor_;  // per stream: XAUTOCLAIM start
  uint64_t claimed_ = 0;
  uint64_t vanished_ = 0;
  // Stream indices grouped by cluster slot: one XREADGROUP per group (one group when all
  // streams share a slot, e.g. by a {hash tag}, which is the fast path).
  std::vector<std::vector<size_t>> slot_groups_;
  size_t next_blocking_group_ = 0;
};

}  // namespace courier::redis_to_pg
