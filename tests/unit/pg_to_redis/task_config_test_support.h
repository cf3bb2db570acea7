// Reading a `tasks:` section from YAML text the way `courier` does, for the task-config
// tests: every error printed as the user sees it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/courier_config.h"
#include "config/env_substitution.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {

struct ReadTasks {
  std::vector<TaskConfig> tasks;
  std::vector<std::string> errors;  // as printed: "courier.yaml:4:16: tasks[0].structure: …"

  std::string report() const {
    std::string out;
    for (const std::string& error : errors) out += error + '\n';
    return out;
  }
};

inline ReadTasks read(std::string_view yaml) {
  config::LoadResult loaded =
      config::load_config_string(yaml, "courier.yaml", config::environment_from_map({}));
  ReadTasks result;
  for (const config::ConfigError& error : loaded.errors) {
    result.errors.push_back(error.to_string("courier.yaml"));
  }
  for (const config::ConfigError& error : read_tasks(loaded.config, result.tasks)) {
    result.errors.push_back(error.to_string("courier.yaml"));
  }
  return result;
}

// The text of docs/configuration.md, which the tests hold to the code.
inline std::string configuration_reference() {
  std::ifstream in(std::filesystem::path(COURIER_SOURCE_DIR) / "docs/configuration.md");
  std::ostringstream markdown;
  markdown << in.rdbuf();
  return markdown.str();
}

// Exactly one error, printed with `where` ("courier.yaml:4:16: tasks[0].structure:") and
// containing `says`.
inline void expect_one_error(std::string_view yaml, const std::string& where, const std::string& says) {
  ReadTasks result = read(yaml);
  ASSERT_EQ(result.errors.size(), 1U) << result.report();
  EXPECT_EQ(result.errors[0].rfind(where, 0), 0U) << "expected at " << where << ":\n"
                                                  << result.errors[0];
  EXPECT_NE(result.errors[0].find(says), std::string::npos) << result.errors[0];
}

}  // namespace courier::pg_to_redis
