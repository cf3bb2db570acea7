// poll_until: the tests' one "wait until this holds, or give up" loop, for facts no event
// announces (a server is back, a row arrived, a worker went idle).
//
//   ASSERT_TRUE(courier::testing::poll_until(5s, [&] { return count_rows() == 3; }));
//   poll_until(10s, [&] { return idle(); }, /*pause=*/0ms);   // 0: yield, no sleep
//
// Header-only. Thread-safety: calls `condition` on the caller's thread only.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace courier::testing {

// Calls `condition` until it returns true (then true) or `deadline` of real time has
// passed (then false), sleeping `pause` between tries.
inline bool poll_until(std::chrono::milliseconds deadline, const std::function<bool()>& condition,
                       std::chrono::milliseconds pause = std::chrono::milliseconds(10)) {
  const auto give_up_at = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= give_up_at) return false;
    if (pause.count() > 0)
      std::this_thread::sleep_for(pause);
    else
      std::this_thread::yield();
  }
  return true;
}

}  // namespace courier::testing
