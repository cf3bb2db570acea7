#include "app/cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include "aggregator/api_config.h"
#include "app/datagen_command.h"
#include "app/dlq_command.h"
#include "app/logging.h"
#include "app/shutdown_signal.h"
#include "app/supervisor.h"
#include "app/version.h"
#include "config/courier_config.h"
#include "pg_to_redis/task_config.h"

namespace courier::app {
namespace {

struct LoadedConfig {
  config::CourierConfig config;
  std::vector<pg_to_redis::TaskConfig> tasks;
};

// Loads the file and the sections read by modules (tasks); on errors prints every one of
// them to stderr, sorted by line, and returns nullopt.
std::optional<LoadedConfig> load_all_or_report(const std::string& path) {
  config::LoadResult loaded = config::load_config_file(path, config::process_environment());
  LoadedConfig result{std::move(loaded.config), {}};
  config::ConfigErrors errors;
  for (config::ConfigError& error : loaded.errors) errors.add(std::move(error));
  for (config::ConfigError& error : pg_to_redis::read_tasks(result.config, result.tasks)) {
    errors.add(std::move(error));
  }
  std::optional<aggregator::ApiConfig> api;
  for (config::ConfigError& error : aggregator::read_api_config(result.config, api))
    errors.add(std::move(error));
  if (errors.empty()) return result;
  fmt::print(stderr, "{}", config::format_errors(errors.sorted(), loaded.source_name));
  fmt::print(stderr, "{}: {} error{} — nothing was started\n", path, errors.size(),
             errors.size() == 1 ? "" : "s");
  return std::nullopt;
}

std::optional<config::CourierConfig> load_or_report(const std::string& path) {
  std::optional<LoadedConfig> loaded = load_all_or_report(path);
  if (!loaded) return std::nullopt;
  return std::move(loaded->config);
}

int validate(const std::string& path) {
  auto loaded = load_all_or_report(path);
  if (!loaded) return kExitInvalid;
  fmt::print("{}: valid\n{}", path, loaded->config.describe());
  for (const pg_to_redis::TaskConfig& task : loaded->tasks)
    fmt::print("task {}\n", task.describe());
  return kExitOk;
}

int run(const std::string& path, const std::string& log_level_override) {
  ShutdownSignal shutdown;  // before any thread starts, so all of them inherit the mask
  auto config = load_or_report(path);
  if (!config) return kExitInvalid;
  LoggingOptions logging{.level = std::string(config::to_string(config->log.level)),
                         .json = config->log.format == config::LogFormat::kJson};
  if (!log_level_override.empty()) logging.level = log_level_override;
  if (!configure_logging(logging)) {
    fmt::print(stderr, "--log-level: unknown level '{}' (trace, debug, info, warn, error)\n",
               logging.level);
    return kExitInvalid;
  }
  spdlog::info("courier {} starting with {}", kVersion, path);
  Supervisor supervisor(*config);
  if (Status started = supervisor.start(); !started.ok()) {
    spdlog::error("cannot start: {}", started.message());
    return kExitFailure;
  }
  int signal = shutdown.wait();
  spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
  supervisor.stop();
  return kExitOk;
}

}  // namespace

int run_cli(std::vector<std::string> args) {
  CLI::App app{"courier: keeps PostgreSQL and Redis in step", "courier"};
  app.require_subcommand(1);
  std::string config_path = "courier.yaml";
  std::string log_level;

  auto* version_command = app.add_subcommand("version", "print the version");
  auto* validate_command =
      app.add_subcommand("validate", "check a configuration file and list every mistake");
  validate_command->add_option("-c,--config", config_path, "configuration file")
      ->capture_default_str();
  auto* run_command = app.add_subcommand("run", "run everything the configuration names");
  run_command->add_option("-c,--config", config_path, "configuration file")
      ->capture_default_str();
  run_command->add_option("--log-level", log_level, "override log.level");
  DlqCommand dlq(app);
  DatagenCommand datagen(app);

  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  args.pop_back();                         // the program name
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? kExitOk : kExitInvalid;
  }
  if (version_command->parsed()) {
    fmt::print("courier {}\n", kVersion);
    return kExitOk;
  }
  if (validate_command->parsed()) return validate(config_path);
  if (run_command->parsed()) return run(config_path, log_level);
  if (dlq.parsed()) return dlq.run(load_or_report);
  if (datagen.parsed()) return datagen.run(load_or_report);
  return kExitInvalid;
}

}  // namespace courier::app
