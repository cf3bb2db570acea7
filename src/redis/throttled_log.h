// ThrottledLog: warnings about one subject (a node, the slot map) at most once per
// interval, with a count of the ones held back, so an outage does not flood the log.
//
//   ThrottledLog log;
//   log.warn("127.0.0.1:7000", "redis 127.0.0.1:7000: cannot connect: ...");
//   // the same subject again within a second: counted, not printed
//
// Thread-safety: one thread at a time (each client owns one).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace courier::redis {

class ThrottledLog {
 public:
  explicit ThrottledLog(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  void warn(const std::string& subject, std::string_view message);

 private:
  struct Subject {
    std::chrono::steady_clock::time_point last_logged;
    uint64_t held_back = 0;
  };
  std::chrono::milliseconds interval_;
  std::unordered_map<std::string, Subject> subjects_;
};

}  // namespace courier::redis
