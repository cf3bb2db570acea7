// The streaming-replication protocol's own messages, inside the CopyData of a
// START_REPLICATION stream: XLogData ('w', a piece of WAL — for logical replication, one
// output-plugin message) and the primary keepalive ('k') from the server; the standby
// status update ('r') Courier sends back. Also LSNs, in Postgres' text form "16/B374D848".
// Integers are big-endian; times are microseconds since 2000-01-01 00:00 UTC.
//
//   auto message = courier::pg::parse_replication_message(copy_data);
//   if (auto* keepalive = std::get_if<courier::pg::PrimaryKeepalive>(&*message);
//       keepalive && keepalive->reply_requested)
//     send(courier::pg::standby_status_update({.flush = confirmed}, now_pg_micros()));
//
// Thread-safety: pure functions and plain values. Views in XLogData point into the
// CopyData buffer given to parse_replication_message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "courier/status.h"

namespace courier::pg {

// A WAL position (log sequence number).
using Lsn = uint64_t;

// "16/B374D848": the two 32-bit halves in hex, as Postgres prints them.
std::string format_lsn(Lsn lsn);
Result<Lsn> parse_lsn(std::string_view text);

// Microseconds since 2000-01-01 00:00 UTC (Postgres' epoch) for a system-clock time.
int64_t to_pg_micros(std::chrono::system_clock::time_point time);
std::chrono::system_clock::time_point from_pg_micros(int64_t micros);

struct XLogData {
  Lsn start = 0;            // where this piece of WAL starts
  Lsn server_end = 0;       // the end of WAL on the server when it was sent
  int64_t send_time = 0;    // µs since 2000-01-01
  std::string_view payload; // for logical replication: one output-plugin message
};

struct PrimaryKeepalive {
  Lsn server_end = 0;
  int64_t send_time = 0;
  bool reply_requested = false;  // answer at once, or be dropped after wal_sender_timeout
};

using ReplicationMessage = std::variant<XLogData, PrimaryKeepalive>;

// Parses one CopyData message of a replication stream. kInvalidArgument for a malformed or
// unknown message (the stream cannot be trusted past it).
Result<ReplicationMessage> parse_replication_message(std::string_view copy_data);

// What the standby has written, flushed and applied. For logical replication the flush
// LSN becomes the slot's confirmed_flush_lsn: WAL before it may be recycled.
struct StandbyPositions {
  Lsn write = 0;
  Lsn flush = 0;
  Lsn apply = 0;
};

// The 34-byte 'r' message; `now` in µs since 2000-01-01.
std::string standby_status_update(const StandbyPositions& positions, int64_t now,
                                  bool reply_requested = false);

}  // namespace courier::pg
