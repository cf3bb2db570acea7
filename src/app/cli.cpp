#include "app/cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "app/changes_command.h"
#include "app/connection_settings.h"
#include "app/datagen_command.h"
#include "app/dlq_command.h"
#include "app/logging.h"
#include "app/migrate_command.h"
#include "app/once_command.h"
#include "app/pipelines.h"
#include "app/shutdown_signal.h"
#include "app/status_command.h"
#include "app/supervisor.h"
#include "app/version.h"
#include "config/courier_config.h"
#include "pg/connection.h"
#include "pg_to_redis/schema_check.h"
#include "pg_to_redis/task_config.h"
#include "redis_to_pg/stream_config.h"

namespace courier::app {
namespace {

struct LoadedConfig {
  config::CourierConfig config;
  PipelineConfigs pipelines;
  std::string source_name;  // the file's path, as errors name it
};

constexpr const char* kDefaultConfigPath = "courier.yaml";
// After SIGTERM, how long pipelines get to finish and acknowledge the batch in hand. Only a
// dependency that hangs (its connections open, nothing answering) makes them take longer;
// the process then exits anyway, and what was not acknowledged is delivered again.
constexpr std::chrono::seconds kShutdownDeadline{8};

// Stream ingest's reference service runs from environment variables alone: without a
// file at the default path but with DATABASE_URL set, that is what `courier` does too.
config::LoadResult load_file_or_environment(const std::string& path) {
  config::EnvLookup env = config::process_environment();
  std::error_code error;
  if (path == kDefaultConfigPath && !std::filesystem::exists(path, error) && env("DATABASE_URL"))
    return config::load_config_string(redis_to_pg::kEnvironmentOnlyConfig,
                                      "environment (DATABASE_URL, REDIS_URL, HTTP_PORT)", env);
  return config::load_config_file(path, env);
}

// Loads the file and the sections read by modules (tasks, streams, api); on errors prints every
// one of them to stderr, sorted by line, and returns nullopt.
std::optional<LoadedConfig> load_all_or_report(const std::string& path) {
  config::LoadResult loaded = load_file_or_environment(path);
  LoadedConfig result{std::move(loaded.config), {}, loaded.source_name};
  config::ConfigErrors errors;
  for (config::ConfigError& error : loaded.errors) errors.add(std::move(error));
  for (config::ConfigError& error : read_pipelines(result.config, result.pipelines))
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

// `validate --check-db`: every table-sync task against the schema of the file's database.
// Problems are printed like the file's errors; warnings alone leave the file valid.
int check_tasks_against_database(const LoadedConfig& loaded, const std::string& path) {
  const pg::ConnectionOptions options = postgres_options(loaded.config.postgres);
  auto conn = pg::Connection::open(options);
  if (!conn.ok()) {
    fmt::print(stderr, "{}: cannot check the tasks against the database: {}\n", path,
               conn.status().message());
    return kExitFailure;
  }
  std::vector<pg_to_redis::SchemaFinding> findings;
  for (const pg_to_redis::TaskConfig& task : loaded.pipelines.tasks) {
    auto found = pg_to_redis::check_task_schema(**conn, task);
    if (!found.ok()) {
      fmt::print(stderr, "{}: checking task '{}' against {} failed: {}\n", path, task.name,
                 options.describe(), found.status().message());
      return kExitFailure;
    }
    findings.insert(findings.end(), found->begin(), found->end());
  }
  std::stable_sort(findings.begin(), findings.end(), [](const auto& a, const auto& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  const auto errors = std::count_if(findings.begin(), findings.end(),
                                    [](const auto& finding) { return !finding.warning; });
  const auto warnings = static_cast<std::ptrdiff_t>(findings.size()) - errors;
  for (const pg_to_redis::SchemaFinding& finding : findings) {
    fmt::print(stderr, "{}\n", finding.to_string(loaded.source_name));
  }
  auto count = [](std::ptrdiff_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
  };
  if (errors > 0) {
    fmt::print(stderr, "{}: {} and {} against the database {}\n", path, count(errors, "error"),
               count(warnings, "warning"), options.describe());
    return kExitInvalid;
  }
  fmt::print("database {}: {} checked, {}\n", options.describe(),
             count(static_cast<std::ptrdiff_t>(loaded.pipelines.tasks.size()), "task"),
             warnings == 0 ? std::string("no problems") : count(warnings, "warning"));
  return kExitOk;
}

int validate(const std::string& path, bool check_db) {
  auto loaded = load_all_or_report(path);
  if (!loaded) return kExitInvalid;
  fmt::print("{}: valid\n{}", path, loaded->config.describe());
  bool captures = false;
  for (const pg_to_redis::TaskConfig& task : loaded->pipelines.tasks) {
    fmt::print("task {}\n", task.describe());
    captures = captures || task.capture == pg_to_redis::Capture::kWal;
  }
  if (captures) fmt::print("changes {}\n", loaded->pipelines.changes.describe());
  if (loaded->pipelines.streams) fmt::print("{}", loaded->pipelines.streams->describe());
  if (loaded->pipelines.api) {
    fmt::print("api: {}\n", loaded->pipelines.api->enabled
                                ? "the query API, served on the http listen address"
                                : "not served ('enabled: false')");
  }
  if (!check_db) return kExitOk;
  std::fflush(stdout);  // the summary before any problem the check prints on stderr
  return check_tasks_against_database(*loaded, path);
}

// Sets up logging from the file's `log:` section (and --log-level); false after printing
// why not.
bool start_logging(const config::CourierConfig& config, const std::string& log_level_override) {
  LoggingOptions logging{.level = std::string(config::to_string(config.log.level)),
                         .json = config.log.format == config::LogFormat::kJson};
  if (!log_level_override.empty()) logging.level = log_level_override;
  if (configure_logging(logging)) return true;
  fmt::print(stderr, "--log-level: unknown level '{}' (trace, debug, info, warn, error)\n",
             logging.level);
  return false;
}

int run(const std::string& path, const std::string& log_level_override) {
  ShutdownSignal shutdown;  // before any thread starts, so all of them inherit the mask
  auto loaded = load_all_or_report(path);
  if (!loaded || !start_logging(loaded->config, log_level_override)) return kExitInvalid;
  spdlog::info("courier {} starting with {}", kVersion, path);
  Supervisor supervisor(http_server_options(loaded->config.http),
                        make_components(loaded->config, std::move(loaded->pipelines)));
  if (Status started = supervisor.start(); !started.ok()) {
    spdlog::error("cannot start: {}", started.message());
    return kExitFailure;
  }
  int signal = shutdown.wait();
  spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
  if (!supervisor.stop_within(kShutdownDeadline)) {
    spdlog::error(
        "shutdown: pipelines still blocked after {}s on a dependency that does not answer; "
        "exiting without them (unacknowledged work is delivered again after a restart)",
        kShutdownDeadline.count());
    spdlog::shutdown();
    std::_Exit(kExitFailure);  // destructors would join the blocked threads
  }
  return kExitOk;
}

int once(const std::string& path, const std::vector<std::string>& only,
         const std::string& log_level_override) {
  ShutdownSignal shutdown;
  auto loaded = load_all_or_report(path);
  if (!loaded || !start_logging(loaded->config, log_level_override)) return kExitInvalid;
  return run_tasks_once(loaded->config, loaded->pipelines.tasks, only, shutdown);
}

}  // namespace

int run_cli(std::vector<std::string> args) {
  CLI::App app{"courier: keeps PostgreSQL and Redis in step", "courier"};
  app.require_subcommand(1);
  std::string config_path = kDefaultConfigPath;
  std::string log_level;

  auto* version_command = app.add_subcommand("version", "print the version");
  auto* validate_command =
      app.add_subcommand("validate", "check a configuration file and list every mistake");
  validate_command->add_option("-c,--config", config_path, "configuration file")
      ->capture_default_str();
  bool check_db = false;
  validate_command->add_flag(
      "--check-db", check_db,
      "also connect to Postgres and check every table-sync task's table and columns");
  auto* run_command = app.add_subcommand("run", "run everything the configuration names");
  run_command->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  run_command->add_option("--log-level", log_level, "override log.level");
  std::vector<std::string> only_tasks;
  auto* once_command =
      app.add_subcommand("once", "run the table-sync tasks once each, then exit (cron jobs)");
  once_command->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  once_command->add_option("--task", only_tasks, "run only this task (repeatable)");
  once_command->add_option("--log-level", log_level, "override log.level");
  DlqCommand dlq(app);
  ChangesCommand changes(app);
  MigrateCommand migrate(app);
  DatagenCommand datagen(app);
  StatusCommand status(app);

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
  if (validate_command->parsed()) return validate(config_path, check_db);
  if (run_command->parsed()) return run(config_path, log_level);
  if (once_command->parsed()) return once(config_path, only_tasks, log_level);
  if (status.parsed()) {
    auto loaded = load_all_or_report(status.config_path());
    if (!loaded) return kExitInvalid;
    return status.run(loaded->config, loaded->pipelines);
  }
  if (dlq.parsed()) return dlq.run(load_or_report);
  if (changes.parsed()) return changes.run(load_or_report);
  if (migrate.parsed()) return migrate.run(load_or_report);
  if (datagen.parsed()) return datagen.run(load_or_report);
  return kExitInvalid;
}

}  // namespace courier::app
