#include "app/status_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

#include "app/cli.h"
#include "app/connection_settings.h"
#include "app/logging.h"
#include "core/dead_letter/redis_stream_store.h"
#include "pg/connection.h"
#include "pg_to_redis/change_capture.h"
#include "pg_to_redis/structure_writer.h"
#include "redis/client.h"
#include "redis/errors.h"
#include "text/integer.h"

namespace courier::app {
namespace {

std::optional<uint64_t> dead_letter_count(redis::Client& client, const std::string& key,
                                          std::string& problem) {
  RedisStreamDeadLetterStore store(client, key);
  Result<size_t> count = store.count();
  if (count.ok()) return *count;
  problem = "cannot count the dead letters: " + count.status().message();
  return std::nullopt;
}

// An error reply is a Status for some clients and a Reply for others: one answer for both.
Result<redis::Reply> command_reply(redis::Client& client, const redis::Command& command) {
  Result<redis::Reply> reply = client.command(command);
  if (reply.ok() && reply->is_error()) return redis::status_from_error_reply(reply->str());
  return reply;
}

TaskStatus read_task(redis::Client* client, const pg_to_redis::TaskConfig& task, bool cluster) {
  TaskStatus status{.name = task.name,
                    .capture = task.capture == pg_to_redis::Capture::kWal ? "wal" : "poll",
                    .checkpoint_key = pg_to_redis::checkpoint_key_for(task, cluster),
                    .dead_letter_key = task.dead_letter_key()};
  if (client == nullptr) return status;  // Redis did not answer: its own problem says so
  Result<redis::Reply> stored = command_reply(*client, {"GET", status.checkpoint_key});
  if (!stored.ok()) {
    status.problem = "cannot read the checkpoint at key '" + status.checkpoint_key +
                     "': " + stored.status().message();
    return status;
  }
  status.read = true;
  if (!stored->is_nil()) status.checkpoint = stored->str();
  Result<redis::Reply> last_run =
      command_reply(*client, {"GET", pg_to_redis::last_run_key_for(task, cluster)});
  if (last_run.ok() && !last_run->is_nil())
    status.last_run = text::parse_integer(last_run->str(), {});
  status.dead_letters = dead_letter_count(*client, status.dead_letter_key, status.problem);
  return status;
}

SlotStatus read_slot(pg::Connection* db, const pg_to_redis::ChangesConfig& changes,
                     const std::string& server) {
  SlotStatus slot{.name = changes.slot, .max_lag_bytes = changes.max_lag_bytes};
  if (db == nullptr) return slot;  // Postgres did not answer: its own problem says so
  Result<std::optional<pg_to_redis::SlotLag>> lag = pg_to_redis::read_slot_lag(*db, changes.slot);
  if (!lag.ok()) {
    slot.problem = "cannot read pg_replication_slots: " + lag.status().message();
    return slot;
  }
  slot.read = true;
  if (!*lag) {
    slot.problem = "does not exist in " + server +
                   "; `courier run` creates it when it starts the 'capture: wal' tasks";
    return slot;
  }
  slot.exists = true;
  slot.active = (*lag)->active;
  slot.lag_bytes = (*lag)->bytes;
  slot.wal_status = (*lag)->wal_status;
  if (slot.wal_status == "lost")
    slot.problem =
        "the WAL it needs was removed (wal_status lost): drop it with `courier "
        "changes drop-slot` and run again to copy the tables afresh";
  return slot;
}

// XINFO GROUPS' entry for `group`: its fields as name/value pairs.
std::optional<redis::Reply> find_group(const redis::Reply& groups, const std::string& group) {
  for (const redis::Reply& entry : groups.elements()) {
    const auto& fields = entry.elements();
    for (size_t i = 0; i + 1 < fields.size(); i += 2)
      if (fields[i].str() == "name" && fields[i + 1].str() == group) return entry;
  }
  return std::nullopt;
}

std::optional<uint64_t> integer_field(const redis::Reply& entry, std::string_view name) {
  const auto& fields = entry.elements();
  for (size_t i = 0; i + 1 < fields.size(); i += 2)
    if (fields[i].str() == name && fields[i + 1].is_integer() && fields[i + 1].integer() >= 0)
      return static_cast<uint64_t>(fields[i + 1].integer());
  return std::nullopt;
}

StreamStatus read_stream(redis::Client& client, const std::string& stream,
                         const std::string& group) {
  StreamStatus status{.stream = stream, .group = group};
  Result<redis::Reply> length = command_reply(client, {"XLEN", stream});
  if (!length.ok()) {
    status.problem = "cannot read its length: " + length.status().message();
    return status;
  }
  status.length = static_cast<uint64_t>(std::max(0LL, length->integer()));
  Result<redis::Reply> groups = command_reply(client, {"XINFO", "GROUPS", stream});
  if (!groups.ok()) {
    // "ERR no such key": nothing was ever added to the stream, nor a group created on it.
    status.problem = status.length == 0u
                         ? "the stream does not exist, nor its consumer group; stream ingest "
                           "creates the group when it starts (`courier run`)"
                         : "cannot read its consumer groups: " + groups.status().message();
    return status;
  }
  std::optional<redis::Reply> found = find_group(*groups, group);
  if (!found) {
    status.problem =
        "no such consumer group; stream ingest creates it when it starts (`courier run`)";
    return status;
  }
  status.pending = integer_field(*found, "pending");
  status.lag = integer_field(*found, "lag");  // Redis 7 and later; nil when not known
  return status;
}

}  // namespace

StatusReport read_status(const config::CourierConfig& config, const PipelineConfigs& pipelines) {
  StatusReport report;
  report.now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  const pg::ConnectionOptions pg_options = postgres_options(config.postgres);
  const redis::ClientOptions redis_client_options = redis_options(config.redis);
  report.postgres.name = describe_postgres(pg_options);
  report.redis.name = describe_redis(redis_client_options);

  std::unique_ptr<redis::Client> redis;
  if (auto made = redis::make_client(redis_client_options); !made.ok()) {
    report.redis.problem = made.status().message();
  } else if (Status answered = (*made)->ping(); !answered.ok()) {
    report.redis.problem = answered.message();
  } else {
    redis = std::move(*made);
  }
  std::unique_ptr<pg::Connection> db;
  if (auto opened = pg::Connection::open(pg_options); !opened.ok()) {
    report.postgres.problem = opened.status().message();
  } else {
    db = std::move(*opened);
  }

  bool captures = false;
  for (const pg_to_redis::TaskConfig& task : pipelines.tasks) {
    report.tasks.push_back(read_task(redis.get(), task, config.redis.cluster()));
    captures = captures || task.capture == pg_to_redis::Capture::kWal;
  }
  if (captures) report.slot = read_slot(db.get(), pipelines.changes, report.postgres.name);
  if (pipelines.streams) {
    const redis_to_pg::StreamsConfig& streams = *pipelines.streams;
    report.stream_dead_letter_key = streams.dead_letter_stream;
    for (const std::string& stream : streams.streams) {
      if (redis)
        report.streams.push_back(read_stream(*redis, stream, streams.group));
      else
        report.streams.push_back({.stream = stream, .group = streams.group});
    }
    if (redis) {
      report.stream_dead_letters =
          dead_letter_count(*redis, streams.dead_letter_stream, report.stream_dead_letters_problem);
    }
  }
  return report;
}

StatusCommand::StatusCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "status",
      "show each task's checkpoint, the slot's lag, each stream's group and dead "
      "letters; exit 0 when healthy, 1 when not");
  command_->add_option("-c,--config", config_path_, "configuration file")->capture_default_str();
  command_->add_flag("--json", json_, "one JSON object instead of the screen");
  command_->footer("See docs/operations.md, \"courier status\".");
}

bool StatusCommand::parsed() const {
  return command_->parsed();
}

int StatusCommand::run(const config::CourierConfig& config, const PipelineConfigs& pipelines) {
  // Only errors, on stderr: the report itself says what failed, once.
  configure_logging({.level = "error"});
  const StatusReport report = read_status(config, pipelines);
  if (json_) {
    fmt::print("{}", status_as_json(report));
  } else {
    const bool colour = isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
    fmt::print("{}", status_as_text(report, colour));
  }
  return report.healthy() ? kExitOk : kExitFailure;
}

}  // namespace courier::app
