// PostKey and PageCursor: the order every timeline and feed is served in, newest first by
// (created_at, id) exactly as `ORDER BY created_at DESC, id DESC` orders it, and the opaque
// cursor that resumes a page after the last post shown.
//
//   PostKey a{.created_us = 1'700'000'000'000'000, .id = 7};
//   std::string cursor = encode_cursor(a);                 // "1700000000000000.7"
//   Result<PostKey> back = decode_cursor(cursor);          // == a
//
// created_us is microseconds since the Unix epoch: Postgres timestamptz's own resolution,
// and exact in a sorted-set score (a double holds integers up to 2^53 exactly).
// Thread-safety: plain values and pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "courier/status.h"

namespace courier::aggregator {

struct PostKey {
  std::int64_t created_us = 0;
  std::int64_t id = 0;

  friend auto operator<=>(const PostKey&, const PostKey&) = default;
};

// True when `a` comes before `b` in a newest-first page.
inline bool comes_before(const PostKey& a, const PostKey& b) {
  return a > b;
}

// "<created_us>.<id>": a cursor meaning "the posts after this one".
std::string encode_cursor(const PostKey& last_shown);

// kInvalidArgument (with what was wrong) unless `text` is what encode_cursor makes.
Result<PostKey> decode_cursor(std::string_view text);

}  // namespace courier::aggregator
