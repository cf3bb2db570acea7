// ConfigError and ConfigErrors: what is wrong with a configuration, and where.
//
// Loading never stops at the first mistake: every reader adds to one ConfigErrors,
// and the caller prints them all, sorted by position.
//
//   ConfigErrors errors;
//   errors.add("redis.port", {12, 9}, "expected an integer, got 'abc'");
//   for (const ConfigError& e : errors.sorted()) std::cerr << e.to_string("courier.yaml");
//
// Thread-safety: plain values; a ConfigErrors is filled by one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace courier::config {

// A place in a source file, 1-based. Line 0 means "the file as a whole".
struct Position {
  int line = 0;
  int column = 0;
};

struct ConfigError {
  std::string path;     // "tasks[2].tracking.column"; empty for file-level errors
  int line = 0;         // 1-based; 0 when the error concerns the whole file
  int column = 0;       // 1-based; 0 when unknown
  std::string message;  // never contains a secret value

  // "courier.yaml:12:5: redis.pasword: unknown key 'pasword'; did you mean 'password'?"
  std::string to_string(std::string_view source_name) const;
};

// Collects errors from every reader; hands them out sorted by line, then column.
class ConfigErrors {
 public:
  void add(std::string path, Position where, std::string message);
  void add(ConfigError error);

  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }

  // Sorted by (line, column); errors at the same place keep the order they were added.
  std::vector<ConfigError> sorted() const;

 private:
  std::vector<ConfigError> errors_;
};

// All errors, one per line, each prefixed with the source name (for printing).
std::string format_errors(const std::vector<ConfigError>& errors, std::string_view source_name);

}  // namespace courier::config
