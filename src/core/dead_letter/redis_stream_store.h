// RedisStreamDeadLetterStore: dead letters as entries of one Redis stream, one field per
// letter field (payload, error, error_code, error_detail, attempts, first_failure,
// last_failure as RFC 3339 UTC with milliseconds) plus "meta.<key>" per metadata entry.
// Values are binary-safe: the payload is stored as the exact bytes the codec returned.
// The letter's id is its stream entry id. One key, so it works on a Redis Cluster as well.
//
//   auto client = courier::redis::make_client({.nodes = {"127.0.0.1:6379"}});
//   courier::RedisStreamDeadLetterStore store(**client, "orders:dead-letters");
//   auto letters = store.receive(100);  // then replay, and store.remove(their ids)
//
// Thread-safety: one thread at a time, like the redis::Client it uses (which must outlive
// the store); dropped_count() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "courier/dead_letter.h"
#include "redis/client.h"

namespace courier {

struct RedisStreamDeadLetterOptions {
  // Cap on the stream's length (exact XADD MAXLEN, not `~`, which may leave a node's worth
  // of letters over the cap): each send trims the OLDEST letters beyond it. Trimmed
  // letters are counted in dropped_count(). 0: never trim.
  size_t max_length = 100'000;
};

class RedisStreamDeadLetterStore final : public DeadLetterStore {
 public:
  // Throws std::invalid_argument for an empty key.
  RedisStreamDeadLetterStore(redis::Client& client, std::string stream_key,
                             RedisStreamDeadLetterOptions options = {});

  // One round trip: MULTI, XADD per letter, EXEC, so the letters are stored all or none
  // (a connection lost before EXEC's reply is kUnavailable, and the letters may then have
  // been stored: a retry can store them twice).
  Result<std::vector<std::string>> send(std::span<const DeadLetter> letters) override;
  // XRANGE key - + COUNT max. Fields missing or malformed in an entry (e.g. one added by
  // hand) are left at their defaults, so every entry can still be listed and removed.
  Result<std::vector<DeadLetter>> receive(size_t max) override;
  // XDEL; an id that is not a stream entry id is kInvalidArgument.
  Status remove(std::span<const std::string> ids) override;
  // XLEN.
  Result<size_t> count() override;
  // Letters trimmed by this object's sends (other writers' trims are not seen here).
  uint64_t dropped_count() const override { return dropped_.load(); }

  const std::string& stream_key() const { return stream_key_; }

 private:
  // `error` with the stream's name leading its message.
  Status in_stream(const Status& error) const;
  redis::Command xadd_command(const DeadLetter& letter) const;
  Result<std::string> read_entry_id(const redis::Reply& reply) const;
  void count_trimmed(const redis::Reply& length_before, const redis::Reply& length_after,
                     size_t added);

  redis::Client& client_;
  std::string stream_key_;
  RedisStreamDeadLetterOptions options_;
  std::atomic<uint64_t> dropped_{0};
};

// The letter held by one XRANGE entry ([id, [field, value, …]]); kInternal when the reply
// does not have that shape.
Result<DeadLetter> dead_letter_from_stream_entry(const redis::Reply& entry);

}  // namespace courier
