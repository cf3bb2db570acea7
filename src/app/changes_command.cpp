#include "app/changes_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "app/cli.h"
#include "app/connection_settings.h"
#include "app/logging.h"
#include "pg/connection.h"
#include "pg/identifier.h"
#include "pg_to_redis/change_capture.h"
#include "pg_to_redis/changes_config.h"
#include "pg_to_redis/task_lease.h"
#include "redis/client.h"

namespace courier::app {
namespace {

int failed(const std::string& what) {
  fmt::print(stderr, "courier changes drop-slot: {}\n", what);
  return kExitFailure;
}

}  // namespace

ChangesCommand::ChangesCommand(CLI::App& parent) {
  command_ = parent.add_subcommand("changes", "change capture's replication slot");
  command_->require_subcommand(1);
  drop_slot_ = command_->add_subcommand(
      "drop-slot", "drop the replication slot and publication of the file's wal tasks");
  drop_slot_->add_option("-c,--config", config_path_, "configuration file")
      ->capture_default_str();
}

bool ChangesCommand::parsed() const {
  return command_->parsed();
}

int ChangesCommand::run(const Loader& load_config) {
  std::optional<config::CourierConfig> config = load_config(config_path_);
  if (!config) return kExitInvalid;
  configure_logging({.level = "error"});
  pg_to_redis::ChangesConfig changes;
  (void)pg_to_redis::read_changes_config(*config, changes);  // checked by the loader

  auto connection = pg::Connection::open(postgres_options(config->postgres));
  if (!connection.ok()) return failed(connection.status().message());
  pg::Connection& db = **connection;
  // Holding the capture's lock keeps every courier process from streaming meanwhile.
  auto lease = pg_to_redis::TaskLease::try_acquire(db, "changes:" + changes.slot);
  if (!lease.ok()) return failed(lease.status().message());
  if (!*lease) {
    return failed("a courier process is streaming from slot '" + changes.slot +
                  "' (it holds the capture's lock); stop it first");
  }
  auto slot = db.execute(
      "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", {changes.slot});
  if (!slot.ok()) return failed(slot.status().message());
  if (slot->row_count() > 0 && slot->get(0, 0)) {
    return failed("slot '" + changes.slot + "' is in use by server process " +
                  std::string(*slot->get(0, 0)) + "; stop its reader first");
  }
  if (slot->row_count() > 0) {
    auto dropped = db.execute("SELECT pg_drop_replication_slot($1)", {changes.slot});
    if (!dropped.ok()) return failed(dropped.status().message());
    fmt::print("dropped replication slot '{}'\n", changes.slot);
  } else {
    fmt::print("no replication slot '{}'\n", changes.slot);
  }
  auto publication = pg::quote_identifier(changes.publication);
  if (!publication.ok()) return failed(publication.status().message());
  if (Status dropped = db.execute_script("DROP PUBLICATION IF EXISTS " + *publication);
      !dropped.ok()) {
    return failed(dropped.message());
  }
  fmt::print("dropped publication '{}' (if it existed)\n", changes.publication);

  auto redis = redis::make_client(redis_options(config->redis));
  if (!redis.ok()) return failed("Redis: " + redis.status().message());
  auto forgotten = (*redis)->command({"DEL", pg_to_redis::snapshot_marks_key(changes.slot)});
  if (!forgotten.ok()) return failed("Redis: " + forgotten.status().message());
  fmt::print("forgot the snapshots of slot '{}': the next run copies the tables again\n",
             changes.slot);
  return kExitOk;
}

}  // namespace courier::app
