#include "config/config_error.h"

#include <algorithm>

namespace courier::config {

std::string ConfigError::to_string(std::string_view source_name) const {
  std::string out(source_name);
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

void ConfigErrors::add(std::string path, Position where, std::string message) {
  add(ConfigError{std::move(path), where.line, where.column, std::move(message)});
}

void ConfigErrors::add(ConfigError error) {
  errors_.push_back(std::move(error));
}

std::vector<ConfigError> ConfigErrors::sorted() const {
  std::vector<ConfigError> out = errors_;
  std::stable_sort(out.begin(), out.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

std::string format_errors(const std::vector<ConfigError>& errors, std::string_view source_name) {
  std::string out;
  for (const ConfigError& error : errors) out += error.to_string(source_name) + '\n';
  return out;
}

}  // namespace courier::config
