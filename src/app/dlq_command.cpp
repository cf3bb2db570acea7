// `courier dlq`: the subcommands, their options and usage checks, and the store they open.
#include "app/dlq_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string_view>
#include <utility>

#include "app/cli.h"
#include "app/connection_settings.h"
#include "app/dlq_format.h"
#include "app/dlq_replay.h"
#include "app/logging.h"
#include "core/dead_letter/letter_fields.h"
#include "core/dead_letter/postgres_table_store.h"
#include "core/dead_letter/redis_stream_store.h"
#include "pg/connection.h"
#include "pg/identifier.h"
#include "redis/client.h"

namespace courier::app {

namespace {

// "<ms>-<seq>" or "<ms>" for a Redis stream, a decimal row id for a Postgres table: what
// the stores accept, checked here so that a typo is a usage mistake with a usage message.
bool is_letter_id(std::string_view id, bool redis) {
  if (!redis) return is_decimal_number(id);
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos) return is_decimal_number(id);
  return is_decimal_number(id.substr(0, dash)) && is_decimal_number(id.substr(dash + 1));
}

// The dead-letter store named on the command line, open, with the connection it uses and
// the Redis client a replay writes with.
class OpenStore {
 public:
  static Result<OpenStore> open(const config::CourierConfig& config,
                                const DlqCommand::Arguments& arguments) {
    OpenStore opened;
    if (!arguments.redis_stream.empty()) {
      if (Status made = opened.connect_redis(config); !made.ok()) return made;
      opened.store_ =
          std::make_unique<RedisStreamDeadLetterStore>(*opened.redis_, arguments.redis_stream);
      opened.server_ = opened.redis_server_;
      opened.where_ =
          fmt::format("dead-letter stream \"{}\" on {}", arguments.redis_stream, opened.server_);
      return opened;
    }
    const pg::ConnectionOptions options = postgres_options(config.postgres);
    const std::string server = describe_postgres(options);
    auto connection = pg::Connection::open(options);
    if (!connection.ok()) return error_at(server, connection.status());
    opened.postgres_ = std::move(*connection);
    auto store =
        std::make_unique<PostgresTableDeadLetterStore>(*opened.postgres_, arguments.postgres_table);
    // Checked first: inspecting a queue must never create it, and "relation does not
    // exist" from a later query would not say which flag to fix.
    auto found =
        opened.postgres_->execute("SELECT to_regclass($1) IS NOT NULL", {store->quoted_table()});
    if (!found.ok()) return error_at(server, found.status());
    if (found->get(0, 0).value_or("f") != "t")
      return Status(StatusCode::kNotFound,
                    fmt::format("no dead-letter table {} in {} (check --postgres-table; the "
                                "table appears when a pipeline's Postgres dead-letter store "
                                "first starts)",
                                arguments.postgres_table, server));
    opened.store_ = std::move(store);
    opened.server_ = server;
    opened.where_ = fmt::format("dead-letter table {} on {}", arguments.postgres_table, server);
    return opened;
  }

  DeadLetterStore& store() { return *store_; }
  // `dead-letter stream "k" on Redis 127.0.0.1:6379`, for messages; no credentials.
  const std::string& where() const { return where_; }
  // The server alone, `Redis 127.0.0.1:6379`: the store's own errors name the stream.
  const std::string& server() const { return server_; }

  // The client replayed letters are written with: the store's own for a Redis store.
  Result<redis::Client*> redis_client(const config::CourierConfig& config) {
    if (!redis_) {
      if (Status made = connect_redis(config); !made.ok()) return made;
    }
    return redis_.get();
  }
  const std::string& redis_server() const { return redis_server_; }

 private:
  Status connect_redis(const config::CourierConfig& config) {
    const redis::ClientOptions options = redis_options(config.redis);
    redis_server_ = describe_redis(options);
    auto client = redis::make_client(options);
    if (!client.ok()) return error_at(redis_server_, client.status());
    redis_ = std::move(*client);
    return Status::Ok();
  }

  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<pg::Connection> postgres_;
  std::unique_ptr<DeadLetterStore> store_;  // uses redis_ or postgres_: declared after them
  std::string where_;
  std::string server_;
  std::string redis_server_;
};

// What each subcommand does once its store is open: results on stdout, failures on
// stderr; returns the exit code.
class DlqRun {
 public:
  DlqRun(std::string command_name, const DlqCommand::Arguments& arguments,
         const config::CourierConfig& config, OpenStore& opened)
      : name_(std::move(command_name)), arguments_(arguments), config_(config), opened_(opened) {}

  int count() {
    Result<size_t> letters = store().count();
    if (!letters.ok()) return fail(letters.status());
    fmt::print("{}\n", *letters);
    return kExitOk;
  }

  int list() {
    Result<std::vector<DeadLetter>> letters = store().receive(arguments_.list_limit);
    if (!letters.ok()) return fail(letters.status());
    if (arguments_.json) {
      for (const DeadLetter& letter : *letters) fmt::print("{}\n", dead_letter_as_json(letter));
      return kExitOk;
    }
    if (letters->empty()) {
      fmt::print("no dead letters in {}\n", opened_.where());
      return kExitOk;
    }
    for (size_t i = 0; i < letters->size(); ++i)
      fmt::print("{}{}", i == 0 ? "" : "\n", dead_letter_as_text((*letters)[i]));
    if (letters->size() == arguments_.list_limit) {
      Result<size_t> total = store().count();
      if (total.ok() && *total > letters->size())
        fmt::print("\nthe oldest {} of {} in {}; --limit N shows more\n", letters->size(),
                   plural(*total, "dead letter"), opened_.where());
    }
    return kExitOk;
  }

  int replay(bool limit_given) {
    // Only the letters there now: a letter added meanwhile (or replayed into the queue it
    // came from) waits for the next replay instead of keeping this one going.
    Result<size_t> present = store().count();
    if (!present.ok()) return fail(present.status());
    const size_t wanted = limit_given ? std::min(*present, arguments_.replay_limit) : *present;
    Result<redis::Client*> target = opened_.redis_client(config_);
    if (!target.ok()) return fail(target.status());
    DeadLetterReplay replay(name_, {store(), opened_.where(), opened_.server()}, **target,
                            {.stream = arguments_.to_stream,
                             .field = arguments_.field,
                             .server = opened_.redis_server()});
    return arguments_.dry_run ? replay.show(wanted) : replay.run(wanted);
  }

  int purge() {
    if (arguments_.all) return purge_all();
    Result<size_t> before = store().count();
    if (!before.ok()) return fail(before.status());
    if (Status removed = store().remove(arguments_.ids); !removed.ok()) return fail(removed);
    Result<size_t> after = store().count();
    if (!after.ok()) return fail(after.status());
    // Ids not (or no longer) stored are ignored by the store, so count what went.
    const size_t removed = *before > *after ? *before - *after : 0;
    fmt::print("removed {} of the {} given from {}\n", plural(removed, "dead letter"),
               plural(arguments_.ids.size(), "id"), opened_.where());
    return kExitOk;
  }

 private:
  DeadLetterStore& store() { return opened_.store(); }

  // A store failure: its message names the stream or table, this adds the server.
  int fail(const Status& error) {
    fmt::print(stderr, "{}: {}\n", name_,
               error_at(opened_.server(), error, "--redis-stream").message());
    return kExitFailure;
  }

  int purge_all() {
    // Only the letters there when it starts, oldest first, a page at a time.
    Result<size_t> present = store().count();
    if (!present.ok()) return fail(present.status());
    size_t removed = 0;
    while (removed < *present) {
      Result<std::vector<DeadLetter>> letters =
          store().receive(std::min(kDlqPageSize, *present - removed));
      if (!letters.ok()) return fail(letters.status());
      if (letters->empty()) break;
      std::vector<std::string> ids;
      ids.reserve(letters->size());
      for (const DeadLetter& letter : *letters) ids.push_back(letter.id);
      if (Status gone = store().remove(ids); !gone.ok()) {
        fmt::print(stderr, "{}: removed {} before failing\n", name_,
                   plural(removed, "dead letter"));
        return fail(gone);
      }
      removed += ids.size();
    }
    fmt::print("removed {} from {}\n", plural(removed, "dead letter"), opened_.where());
    return kExitOk;
  }

  std::string name_;
  const DlqCommand::Arguments& arguments_;
  const config::CourierConfig& config_;
  OpenStore& opened_;
};

// For --limit: CLI::PositiveNumber's message prints the range of a double.
std::string at_least_one(std::string& text) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits && text.find_first_not_of('0') != std::string::npos) return {};
  return "expected a whole number of 1 or more, got \"" + text + "\"";
}

// What is wrong with the command line that CLI11 cannot tell; empty when nothing is.
std::string usage_problem(const CLI::App& command, const DlqCommand::Arguments& arguments) {
  const bool redis = !arguments.redis_stream.empty();
  const bool postgres = !arguments.postgres_table.empty();
  if (!redis && !postgres)
    return "name the dead-letter store with --redis-stream KEY or --postgres-table NAME";
  if (redis && postgres)
    return "give either --redis-stream or --postgres-table, not both: one command works on "
           "one store";
  if (postgres) {
    Result<std::string> quoted = pg::quote_qualified_name(arguments.postgres_table);
    if (!quoted.ok())
      return fmt::format("--postgres-table \"{}\": {}", arguments.postgres_table,
                         quoted.status().message());
  }
  const std::string& name = command.get_name();
  if (name == "replay") {
    if (arguments.to_stream.empty()) return "--to-stream needs a stream key";
    if (redis && arguments.to_stream == arguments.redis_stream)
      return "--to-stream names the dead-letter stream itself; replay into the stream the "
             "pipeline reads";
  }
  if (name == "purge") {
    if (arguments.all && !arguments.ids.empty()) return "give either --all or --id, not both";
    if (!arguments.all && arguments.ids.empty())
      return "say which letters to remove: --id ID (repeatable), or --all to remove every "
             "one (never implied)";
    for (const std::string& id : arguments.ids)
      if (!is_letter_id(id, redis))
        return fmt::format(
            "--id \"{}\" is not an id of a dead letter in a {} (they look "
            "like {}; `courier dlq list` shows them)",
            id, redis ? "Redis stream" : "Postgres table", redis ? "1714000060123-0" : "42");
  }
  return {};
}

}  // namespace

DlqCommand::DlqCommand(CLI::App& parent) {
  dlq_ = parent.add_subcommand(
      "dlq", "inspect, replay and purge dead letters kept in a Redis stream or Postgres table");
  dlq_->require_subcommand(1);
  dlq_->footer("See docs/dead-letters.md.");

  auto add_command = [this](const std::string& name, const std::string& description) {
    CLI::App* command = dlq_->add_subcommand(name, description);
    command
        ->add_option("-c,--config", arguments_.config_path,
                     "configuration file (connections from its postgres: and redis:)")
        ->capture_default_str();
    command
        ->add_option("--redis-stream", arguments_.redis_stream,
                     "the dead letters are in this Redis stream")
        ->type_name("KEY");
    command
        ->add_option("--postgres-table", arguments_.postgres_table,
                     "the dead letters are in this Postgres table")
        ->type_name("[SCHEMA.]TABLE");
    return command;
  };

  count_ = add_command("count", "print how many dead letters the store holds");

  list_ = add_command("list", "show dead letters, oldest first");
  const CLI::Validator positive(at_least_one, "", "at least 1");
  list_->add_option("--limit", arguments_.list_limit, "show at most N letters")
      ->type_name("N")
      ->check(positive)
      ->capture_default_str();
  list_->add_flag("--json", arguments_.json,
                  "one JSON object per line (a binary payload as payload_base64)");

  replay_ = add_command(
      "replay", "add dead letters, oldest first, to a Redis stream, removing each once added");
  replay_->add_option("--to-stream", arguments_.to_stream, "the Redis stream to add them to")
      ->type_name("KEY")
      ->required();
  replay_->add_option("--field", arguments_.field, "the entry field that holds the payload")
      ->type_name("NAME")
      ->capture_default_str();
  replay_limit_option_ =
      replay_->add_option("--limit", arguments_.replay_limit, "replay at most N (default: all)")
          ->type_name("N")
          ->check(positive);
  replay_->add_flag("--dry-run", arguments_.dry_run, "show what would be replayed; change nothing");
  replay_->footer(
      "Each letter, oldest first, becomes\n"
      "  XADD KEY * <field> <payload> courier.replayed_from <id> courier.attempts <n>\n"
      "       courier.meta.<key> <value> ...\n"
      "and is removed from the store only after that XADD succeeded: at least once (a crash\n"
      "in between replays it twice). Stops at the first failure; letters not replayed stay.\n"
      "For now the target is always a Redis stream (--to-stream); replaying into a\n"
      "pipeline's own source will come with the pipelines.");

  purge_ = add_command("purge", "remove dead letters for good");
  purge_->add_flag("--all", arguments_.all, "remove every letter the store holds");
  purge_->add_option("--id", arguments_.ids, "remove the letter with this id (repeatable)")
      ->type_name("ID");
}

bool DlqCommand::parsed() const {
  return dlq_->parsed();
}

int DlqCommand::run(const ConfigLoader& load_config) {
  CLI::App* command = nullptr;
  for (CLI::App* candidate : {count_, list_, replay_, purge_})
    if (candidate->parsed()) command = candidate;
  if (command == nullptr) return kExitInvalid;  // require_subcommand(1) rules this out
  const std::string name = "courier dlq " + command->get_name();

  if (std::string problem = usage_problem(*command, arguments_); !problem.empty()) {
    fmt::print(stderr, "{}: {}\nRun `{} --help` for the options.\n", name, problem, name);
    return kExitInvalid;
  }
  const std::optional<config::CourierConfig> config = load_config(arguments_.config_path);
  if (!config) return kExitInvalid;
  // Library logs go to stderr, and only errors: stdout stays clean for `list --json`, and
  // a failure is reported once, by this command, not also as a client's warning.
  configure_logging({.level = "error"});

  Result<OpenStore> opened = OpenStore::open(*config, arguments_);
  if (!opened.ok()) {
    fmt::print(stderr, "{}: {}\n", name, opened.status().message());
    return kExitFailure;
  }
  DlqRun run(name, arguments_, *config, *opened);
  if (command == count_) return run.count();
  if (command == list_) return run.list();
  if (command == replay_) return run.replay(replay_limit_option_->count() > 0);
  return run.purge();
}

}  // namespace courier::app
