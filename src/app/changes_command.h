// `courier changes drop-slot`: removes what change capture keeps in Postgres — the file's
// logical replication slot (which pins WAL while it exists) and its publication — and the
// snapshot marks in Redis, so the next `courier run` starts over with a fresh snapshot.
// Refused while a courier process streams from the slot (its advisory lock is held, or
// the slot is active).
//
//   courier changes drop-slot -c courier.yaml
//
// In code (cli.cpp): `ChangesCommand changes(app);`, then
// `if (changes.parsed()) return changes.run(load_config);`.
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

class ChangesCommand {
 public:
  // Loads a configuration file, printing its errors (nullopt then).
  using Loader = std::function<std::optional<config::CourierConfig>(const std::string&)>;

  explicit ChangesCommand(CLI::App& parent);
  ChangesCommand(const ChangesCommand&) = delete;
  ChangesCommand& operator=(const ChangesCommand&) = delete;

  bool parsed() const;
  // Returns the exit code (cli.h's kExit*).
  int run(const Loader& load_config);

 private:
  CLI::App* command_ = nullptr;
  CLI::App* drop_slot_ = nullptr;
  std::string config_path_ = "courier.yaml";
};

}  // namespace courier::app
