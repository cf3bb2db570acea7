#include "app/datagen_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "aggregator/social_datagen.h"
#include "app/cli.h"
#include "app/connection_settings.h"
#include "app/logging.h"
#include "pg/connection.h"

namespace courier::app {

DatagenCommand::DatagenCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "datagen", "fill the query API's tables with Zipf-skewed users, posts and follows");
  command_->add_option("-c,--config", config_path_, "configuration file")->capture_default_str();
  command_->add_option("--users", users_, "users to add")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}))
      ->capture_default_str();
  command_->add_option("--posts", posts_, "posts to add")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}))
      ->capture_default_str();
  command_->add_option("--follows", follows_, "follows to add among the new users")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}))
      ->capture_default_str();
  command_->add_option("--zipf", zipf_, "Zipf exponent of authorship (0: uniform)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  command_->add_option("--seed", seed_, "random seed (same seed, same data)")
      ->capture_default_str();
}

bool DatagenCommand::parsed() const {
  return command_->parsed();
}

int DatagenCommand::run(const ConfigLoader& load_config) {
  std::optional<config::CourierConfig> config = load_config(config_path_);
  if (!config) return kExitInvalid;
  configure_logging({.level = "error"});
  pg::ConnectionOptions options = postgres_options(config->postgres);
  options.statement_timeout = {};  // one COPY of millions of rows may take minutes
  Result<std::unique_ptr<pg::Connection>> connection = pg::Connection::open(options);
  if (!connection.ok()) {
    fmt::print(stderr, "courier datagen: {}\n", connection.status().message());
    return kExitFailure;
  }
  auto started = std::chrono::steady_clock::now();
  Result<aggregator::DatagenReport> report =
      aggregator::generate_social_data(**connection, {.users = users_,
                                                      .posts = posts_,
                                                      .follows = follows_,
                                                      .zipf_exponent = zipf_,
                                                      .seed = seed_});
  if (!report.ok()) {
    fmt::print(stderr, "courier datagen: {}\n", report.status().to_string());
    return kExitFailure;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  fmt::print("datagen users={}..{} posts={} follows={} hottest_user={} zipf={} seconds={:.2f}\n",
             report->first_user_id, report->last_user_id, report->posts, report->follows,
             report->first_user_id, zipf_, took.count());
  return kExitOk;
}

}  // namespace courier::app
