// `courier dlq`: inspect, replay and purge the dead letters a pipeline kept in a Redis
// stream or a Postgres table (docs/dead-letters.md). Connections come from the
// configuration file's `postgres:` and `redis:` sections; the store is named on the
// command line with exactly one of --redis-stream KEY or --postgres-table NAME.
//
//   courier dlq list   -c courier.yaml --redis-stream orders:dlq --limit 5
//   courier dlq replay -c courier.yaml --postgres-table ops.dead_letters --to-stream orders
//   courier dlq purge  -c courier.yaml --redis-stream orders:dlq --id 1714000000000-0
//
// In code (cli.cpp): `DlqCommand dlq(app);` before parsing, then
// `if (dlq.parsed()) return dlq.run(load_config);`.
//
// How a letter is printed is in dlq_format.h, the replay itself in dlq_replay.h.
//
// Thread-safety: DlqCommand is driven by the main thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/courier_config.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace courier::app {

// Loads a configuration file; nullopt after printing its errors (cli.cpp's load_or_report).
using ConfigLoader = std::function<std::optional<config::CourierConfig>(const std::string&)>;

class DlqCommand {
 public:
  // Adds `dlq` and its subcommands count, list, replay and purge to `parent`, which must
  // outlive this object (CLI11 writes the parsed values into it).
  explicit DlqCommand(CLI::App& parent);
  DlqCommand(const DlqCommand&) = delete;
  DlqCommand& operator=(const DlqCommand&) = delete;

  // True when the command line named `dlq`.
  bool parsed() const;

  // Runs the subcommand that was parsed; returns the exit code (cli.h's kExit*). Usage
  // mistakes are checked before the configuration is loaded.
  int run(const ConfigLoader& load_config);

  // The values CLI11 fills in; one set serves every subcommand, as only one runs.
  struct Arguments {
    std::string config_path = "courier.yaml";
    std::string redis_stream;    // --redis-stream KEY
    std::string postgres_table;  // --postgres-table [SCHEMA.]TABLE
    size_t list_limit = 20;      // list --limit
    size_t replay_limit = 0;     // replay --limit; only when given
    bool json = false;           // list --json
    std::string to_stream;       // replay --to-stream
    std::string field = "payload";
    bool dry_run = false;
    bool all = false;              // purge --all
    std::vector<std::string> ids;  // purge --id, repeated
  };

 private:
  CLI::App* dlq_ = nullptr;
  CLI::App* count_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* replay_ = nullptr;
  CLI::App* purge_ = nullptr;
  CLI::Option* replay_limit_option_ = nullptr;
  Arguments arguments_;
};

}  // namespace courier::app
