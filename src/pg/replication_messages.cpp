#include "pg/replication_messages.h"

#include <charconv>
#include <cstdio>

#include "pg/detail/wire_reader.h"

namespace courier::pg {
namespace {

// 2000-01-01 00:00 UTC in Unix seconds.
constexpr int64_t kPgEpochUnixSeconds = 946684800;

}  // namespace

std::string format_lsn(Lsn lsn) {
  char text[24];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return text;
}

Result<Lsn> parse_lsn(std::string_view text) {
  const size_t slash = text.find('/');
  auto bad = [&] {
    return Status(StatusCode::kInvalidArgument,
                  "'" + std::string(text) + "' is not an LSN (two hex numbers: 16/B374D848)");
  };
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return bad();
  uint32_t high = 0, low = 0;
  const char* end = text.data() + text.size();
  auto first = std::from_chars(text.data(), text.data() + slash, high, 16);
  auto second = std::from_chars(text.data() + slash + 1, end, low, 16);
  if (first.ec != std::errc() || first.ptr != text.data() + slash || second.ec != std::errc() ||
      second.ptr != end)
    return bad();
  return static_cast<Lsn>(high) << 32 | low;
}

int64_t to_pg_micros(std::chrono::system_clock::time_point time) {
  const auto unix_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return unix_micros - kPgEpochUnixSeconds * 1'000'000;
}

std::chrono::system_clock::time_point from_pg_micros(int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(micros + kPgEpochUnixSeconds * 1'000'000)));
}

Result<ReplicationMessage> parse_replication_message(std::string_view copy_data) {
  detail::WireReader in(copy_data, "replication message");
  const char kind = static_cast<char>(in.u8());
  if (kind == 'w') {
    XLogData data;
    data.start = in.u64();
    data.server_end = in.u64();
    data.send_time = in.i64();
    data.payload = in.rest();
    if (in.failed()) return in.error();
    return ReplicationMessage(data);
  }
  if (kind == 'k') {
    PrimaryKeepalive keepalive;
    keepalive.server_end = in.u64();
    keepalive.send_time = in.i64();
    keepalive.reply_requested = in.u8() != 0;
    if (!in.failed() && !in.at_end()) in.reject("bytes after the keepalive");
    if (in.failed()) return in.error();
    return ReplicationMessage(keepalive);
  }
  if (!in.failed()) in.reject(std::string("unknown message kind '") + kind + "'");
  return in.error();
}

std::string standby_status_update(const StandbyPositions& positions, int64_t now,
                                  bool reply_requested) {
  std::string out = "r";
  detail::put_u64(out, positions.write);
  detail::put_u64(out, positions.flush);
  detail::put_u64(out, positions.apply);
  detail::put_u64(out, static_cast<uint64_t>(now));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

}  // namespace courier::pg
