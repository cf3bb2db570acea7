#include "app/migrate_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/cli.h"
#include "app/connection_settings.h"
#include "app/logging.h"
#include "pg/connection.h"
#include "pg/migrations.h"
#include "redis_to_pg/stream_config.h"
#include "redis_to_pg/stream_ingest.h"

namespace courier::app {
namespace {

std::string versions(const std::vector<int64_t>& applied) {
  std::string text;
  for (int64_t version : applied) text += (text.empty() ? "" : ", ") + std::to_string(version);
  return text.empty() ? "none" : text;
}

}  // namespace

MigrateCommand::MigrateCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "migrate", "apply the versioned SQL migrations (stream ingest schema, --dir) and exit");
  command_->add_option("-c,--config", config_path_, "configuration file")->capture_default_str();
  command_->add_option("--dir", directory_, "also apply the NNNN_name.sql files of this directory")
      ->type_name("DIR");
  command_->add_option("--scope", scope_, "history scope of the --dir migrations")
      ->capture_default_str();
}

bool MigrateCommand::parsed() const {
  return command_->parsed();
}

int MigrateCommand::run(const Loader& load_config) {
  std::optional<config::CourierConfig> config = load_config(config_path_);
  if (!config) return kExitInvalid;
  configure_logging({.level = "error"});
  auto connection = pg::Connection::open(postgres_options(config->postgres));
  if (!connection.ok()) {
    fmt::print(stderr, "courier migrate: {}\n", connection.status().message());
    return kExitFailure;
  }
  if (config->reserved_section("streams")) {
    redis_to_pg::StreamsConfig streams;
    (void)redis_to_pg::read_streams(*config, config::process_environment(), streams);  // checked
    auto applied = redis_to_pg::apply_ingest_schema(**connection, streams);
    if (!applied.ok()) {
      fmt::print(stderr, "courier migrate: stream ingest schema: {}\n", applied.status().message());
      return kExitFailure;
    }
    fmt::print("stream ingest schema: applied {}\n", versions(*applied));
  }
  if (!directory_.empty()) {
    auto migrations = pg::load_migrations_from_directory(directory_);
    if (!migrations.ok()) {
      fmt::print(stderr, "courier migrate: {}\n", migrations.status().message());
      return kExitInvalid;
    }
    auto report = pg::apply_migrations(**connection, *migrations, {.scope = scope_});
    if (!report.ok()) {
      fmt::print(stderr, "courier migrate: {}\n", report.status().message());
      return kExitFailure;
    }
    fmt::print("{} (scope '{}'): applied {}, already applied {}\n", directory_, scope_,
               versions(report->applied), versions(report->already_applied));
  }
  return kExitOk;
}

}  // namespace courier::app
