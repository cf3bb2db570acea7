// Helpers shared by the config unit tests: load YAML text with a fixed environment and
// look at the errors as the user would see them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/courier_config.h"

namespace courier::config::testing {

inline LoadResult load(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  return load_config_string(yaml, "courier.yaml", environment_from_map(std::move(env)));
}

// Each error exactly as printed: "courier.yaml:3:9: postgres.port: …".
inline std::vector<std::string> printed_errors(const LoadResult& result) {
  std::vector<std::string> printed;
  for (const ConfigError& error : result.errors) printed.push_back(error.to_string("courier.yaml"));
  return printed;
}

}  // namespace courier::config::testing
