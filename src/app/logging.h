// Process-wide logging: spdlog to stderr, as human-readable text or one JSON object per
// line for log collectors.
//
//   configure_logging({.level = "debug", .json = false});
//   spdlog::info("table sync: task {} copied {} rows", name, rows);
//
// Secrets are never logged: log connection *descriptions* (which omit passwords), never
// connection strings. Thread-safety: call configure_logging() once, before threads start.
#pragma once

#include <string>

namespace courier::app {

struct LoggingOptions {
  std::string level = "info";  // trace, debug, info, warn, error
  bool json = false;           // one JSON object per line instead of text
};

// Returns false (and leaves the level at info) when the level name is unknown.
bool configure_logging(const LoggingOptions& options);

}  // namespace courier::app
