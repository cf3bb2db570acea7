// Runs the courier command line in-process and captures what it prints, for the app's
// unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/cli.h"

namespace courier::app {

struct CliOutcome {
  int exit_code;
  std::string out;
  std::string err;
};

// run_cli({"courier", args...}) with stdout and stderr captured.
inline CliOutcome run_captured(std::vector<std::string> args) {
  args.insert(args.begin(), "courier");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = run_cli(args);
  std::fflush(stdout);
  std::fflush(stderr);
  std::string out = ::testing::internal::GetCapturedStdout();
  std::string err = ::testing::internal::GetCapturedStderr();
  return {code, out, err};
}

}  // namespace courier::app
