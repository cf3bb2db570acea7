// `courier status`: one screen that reads Postgres and Redis and shows, per table-sync
// task, its stored checkpoint and dead letters; for the `capture: wal` tasks the
// replication slot's lag; per stream of stream ingest, the consumer group's pending count
// and lag, and the dead letters. Exit 0 when healthy, 1 when not (a server unreachable, a
// group or slot missing, a slot beyond changes.max_lag), 2 for an invalid file.
//
//   courier status -c courier.yaml          the screen (colours only on a terminal)
//   courier status -c courier.yaml --json   one JSON object, for scripts
//
// In code (cli.cpp): `StatusCommand status(app);`, then after loading the file
// `return status.run(config, pipelines);`. What is shown is status_format.h.
//
// Thread-safety: driven by the main thread only.
#pragma once

#include <string>

#include "app/pipelines.h"
#include "app/status_format.h"
#include "config/courier_config.h"

namespace CLI {
class App;
}

namespace courier::app {

// Reads what the file's pipelines left in Postgres and Redis (read-only: creates nothing).
StatusReport read_status(const config::CourierConfig& config, const PipelineConfigs& pipelines);

class StatusCommand {
 public:
  explicit StatusCommand(CLI::App& parent);
  StatusCommand(const StatusCommand&) = delete;
  StatusCommand& operator=(const StatusCommand&) = delete;

  bool parsed() const;
  const std::string& config_path() const { return config_path_; }
  // Prints the status; returns the exit code (cli.h's kExit*).
  int run(const config::CourierConfig& config, const PipelineConfigs& pipelines);

 private:
  CLI::App* command_ = nullptr;
  std::string config_path_ = "courier.yaml";
  bool json_ = false;
};

}  // namespace courier::app
