#include "redis/throttled_log.h"

#include <spdlog/spdlog.h>

namespace courier::redis {

void ThrottledLog::warn(const std::string& subject, std::string_view message) {
  auto now = std::chrono::steady_clock::now();
  auto [entry, first] = subjects_.try_emplace(subject);
  Subject& state = entry->second;
  if (!first && now - state.last_logged < interval_) {
    ++state.held_back;
    return;
  }
  if (state.held_back > 0) {
    spdlog::warn("{} ({} similar warnings held back)", message, state.held_back);
  } else {
    spdlog::warn("{}", message);
  }
  state.last_logged = now;
  state.held_back = 0;
}

}  // namespace courier::redis
