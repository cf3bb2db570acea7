// The `changes:` section: how the tasks with `capture: wal` read the write-ahead log — one
// logical replication slot and one publication for all of them (docs/change-capture.md).
//
//   ChangesConfig changes;
//   std::vector<config::ConfigError> errors = read_changes_config(loaded.config, changes);
//
// Thread-safety: plain values; read from one thread at a time per config.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config_error.h"
#include "config/courier_config.h"

namespace courier::pg_to_redis {

struct ChangesConfig {
  std::string slot = "courier";         // logical replication slot (pgoutput)
  std::string publication = "courier";  // created or altered to cover exactly the wal tasks' tables
  std::chrono::milliseconds status_interval{1000};  // standby status updates to the server
  std::chrono::milliseconds heartbeat{30'000};      // idle database: a message moves the slot
  std::int64_t max_lag_bytes = std::int64_t{1} << 30;  // /health unhealthy beyond this lag

  // One line for `courier validate`: "slot 'courier', publication 'courier', status every
  // 1s, heartbeat 30s, max_lag 1073741824 bytes".
  std::string describe() const;
};

// Reads `changes:` (defaults when absent). Slot and publication names must be what Postgres
// accepts unquoted for a slot: lower-case letters, digits and '_', at most 63.
std::vector<config::ConfigError> read_changes_config(const config::CourierConfig& config,
                                                     ChangesConfig& out);

}  // namespace courier::pg_to_redis
