// TrackingCursor: where an incremental read of a task stopped — the cursor columns'
// values of the last row read (the tracking column, then each primary-key column; without
// tracking just the primary key), as Postgres printed them under session_settings_sql().
// They go back to Postgres as text parameters whose types the server infers from the
// columns they are compared with, so integer, numeric, timestamp, timestamptz, text and
// uuid values round-trip exactly: no float, no time-zone or precision loss on the way.
//
//   std::string stored = cursor.encode();        // ["2024-05-01 10:00:00.123456+00","42"]
//   auto again = TrackingCursor::decode(stored, "checkpoint:orders");  // Result<…>
//   if (!again.ok()) log(again.status().to_string());  // names the key and the mistake
//
// Stored format (the Redis value under tracking.last_value_key): a JSON array of strings,
// the cursor columns' values in cursor order, nothing else. No checkpoint stored = first
// run. Thread-safety: a plain value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"

namespace courier::pg_to_redis {

struct TrackingCursor {
  // Text of each cursor column of the last row read: tracking column first (when the task
  // tracks one), then the primary key in key order. Never SQL NULL (see table_reader.h).
  std::vector<std::string> values;

  // The stored form: a JSON array of strings (control characters, '"' and '\' escaped;
  // other bytes, UTF-8 included, kept as they are).
  std::string encode() const;
  // Parses what encode() wrote (any valid JSON array of strings, read by nlohmann::json, so
  // strings that are not UTF-8 are refused). A malformed value — e.g. a checkpoint another
  // tool left under the same key — is kInvalidArgument naming `key` and saying what to do.
  static Result<TrackingCursor> decode(std::string_view stored, std::string_view key);

  bool operator==(const TrackingCursor&) const = default;
};

}  // namespace courier::pg_to_redis
