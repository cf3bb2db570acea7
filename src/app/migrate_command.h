// `courier migrate`: applies the versioned SQL migrations the configuration names — the
// stream ingest schema (the built-in rindexer tables, or `streams.migrations`) and any
// directory given with --dir — under the advisory lock, and prints what it applied.
// `courier run` applies the same migrations at start-up; this runs them alone (deploys).
//
//   courier migrate -c courier.yaml
//   courier migrate -c courier.yaml --dir db/migrations --scope app
//
// In code (cli.cpp): `MigrateCommand migrate(app);`, then
// `if (migrate.parsed()) return migrate.run(load_config);`.
//
// Thread-safety: driven by the main thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "config/courier_config.h"

namespace CLI {
class App;
}

namespace courier::app {

class MigrateCommand {
 public:
  // Loads a configuration file, printing its errors (nullopt then): cli.cpp's loader,
  // which also checks the streams section.
  using Loader = std::function<std::optional<config::CourierConfig>(const std::string&)>;

  explicit MigrateCommand(CLI::App& parent);
  MigrateCommand(const MigrateCommand&) = delete;
  MigrateCommand& operator=(const MigrateCommand&) = delete;

  bool parsed() const;
  // Returns the exit code (cli.h's kExit*).
  int run(const Loader& load_config);

 private:
  CLI::App* command_ = nullptr;
  std::string config_path_ = "courier.yaml";
  std::string directory_;
  std::string scope_ = "default";
};

}  // namespace courier::app
