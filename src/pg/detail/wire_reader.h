// Internal to src/pg: WireReader reads the big-endian integers and strings of Postgres'
// binary messages (replication, pgoutput). A read past the end or a string without its
// terminating zero marks the reader failed and returns zero or empty, so a decoder reads
// every field and checks failed() once; error() then says where the message broke.
//
//   detail::WireReader in(payload, "pgoutput Begin message");
//   Begin begin{.final_lsn = in.u64(), .commit_time = in.i64(), .xid = in.u32()};
//   if (in.failed()) return in.error();
//
// Thread-safety: none; a reader is a cursor over one message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "courier/status.h"

namespace courier::pg::detail {

class WireReader {
 public:
  WireReader(std::string_view data, std::string_view what) : data_(data), what_(what) {}

  uint8_t u8() { return static_cast<uint8_t>(unsigned_integer(1)); }
  uint16_t u16() { return static_cast<uint16_t>(unsigned_integer(2)); }
  uint32_t u32() { return static_cast<uint32_t>(unsigned_integer(4)); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  uint64_t u64() { return unsigned_integer(8); }
  int64_t i64() { return static_cast<int64_t>(u64()); }

  // `count` raw bytes.
  std::string_view bytes(size_t count) {
    if (failed_ || data_.size() - offset_ < count) return fail(count);
    std::string_view out = data_.substr(offset_, count);
    offset_ += count;
    return out;
  }
  // A zero-terminated string (the zero is read, not returned).
  std::string_view cstring() {
    if (failed_) return {};
    size_t zero = data_.find('\0', offset_);
    if (zero == std::string_view::npos) {
      failed_ = true;
      problem_ = "a string without its terminating zero at byte " + std::to_string(offset_);
      return {};
    }
    std::string_view out = data_.substr(offset_, zero - offset_);
    offset_ = zero + 1;
    return out;
  }
  std::string_view rest() { return bytes(data_.size() - offset_); }

  bool failed() const { return failed_; }
  bool at_end() const { return offset_ == data_.size(); }
  size_t offset() const { return offset_; }
  // Marks the message bad for a reason of the decoder's ("unknown tuple kind 'x'").
  void reject(std::string problem) {
    if (failed_) return;
    failed_ = true;
    problem_ = std::move(problem) + " at byte " + std::to_string(offset_);
  }
  // kInvalidArgument naming the message and where it broke.
  Status error() const {
    return Status(StatusCode::kInvalidArgument, std::string(what_) + " is malformed: " + problem_ +
                                             " of " + std::to_string(data_.size()));
  }

 private:
  uint64_t unsigned_integer(size_t width) {
    std::string_view raw = bytes(width);
    uint64_t value = 0;
    for (char byte : raw) value = value << 8 | static_cast<uint8_t>(byte);
    return value;
  }
  std::string_view fail(size_t wanted) {
    if (!failed_) {
      failed_ = true;
      problem_ = "it ends where " + std::to_string(wanted) + " more bytes were due at byte " +
                 std::to_string(offset_);
    }
    return {};
  }

  std::string_view data_;
  std::string_view what_;
  size_t offset_ = 0;
  bool failed_ = false;
  std::string problem_;
};

// Appends big-endian integers, for the messages Courier sends.
inline void put_u64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

}  // namespace courier::pg::detail
