// The `courier` command line: version, validate, run. Kept apart from main() so tests
// can drive it. Exit codes: 0 success, 1 failure while running, 2 invalid configuration
// or usage.
//
//   int code = run_cli({"courier", "validate", "-c", "courier.yaml"});
//
// Thread-safety: call from the main thread only (run installs the shutdown signals).
#pragma once

#include <string>
#include <vector>

namespace courier::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 2;

int run_cli(std::vector<std::string> args);

}  // namespace courier::app
