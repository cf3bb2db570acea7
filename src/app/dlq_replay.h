// `courier dlq replay` once its store is open: letters, oldest first, become entries of a
// Redis stream and leave the store once added (at least once; docs/dead-letters.md).
// Results go to stdout, failures to stderr; both name the store and the stream.
//
//   DeadLetterReplay replay("courier dlq replay", {store, where, server}, target,
//                           {.stream = "orders", .server = "Redis 127.0.0.1:6379"});
//   return dry_run ? replay.show(wanted) : replay.run(wanted);  // an exit code
//
// Thread-safety: one thread drives a DeadLetterReplay.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "courier/dead_letter.h"
#include "courier/status.h"
#include "redis/client.h"

namespace courier::app {

// Letters received per round trip while replaying or purging.
inline constexpr size_t kDlqPageSize = 500;

// "1 dead letter", "2 dead letters".
std::string plural(size_t n, std::string_view word);

// `error` with where it happened leading its message. A WRONGTYPE names the flag that
// chose the key.
Status error_at(const std::string& where, const Status& error, std::string_view key_flag = {});

class DeadLetterReplay {
 public:
  // Where the letters are: the store, `dead-letter stream "k" on Redis …` and the server
  // alone (the store's own errors name the stream).
  struct Source {
    DeadLetterStore& store;
    std::string where;
    std::string server;
  };
  // Where they go: XADD <stream> * <field> <payload> ….
  struct Target {
    std::string stream;
    std::string field = "payload";
    std::string server;  // `Redis 127.0.0.1:6379`, for messages
  };

  // `command_name` leads every failure line ("courier dlq replay: …").
  DeadLetterReplay(std::string command_name, Source source, redis::Client& client, Target target);

  // Replays up to `wanted` letters; returns the exit code (cli.h's kExit*). Stops at the
  // first failure, saying how many went and that the rest are still in the store.
  int run(size_t wanted);

  // Lists the `wanted` letters a run would replay; changes nothing.
  int show(size_t wanted);

 private:
  Status replay_one(const DeadLetter& letter);
  int fail(const Status& error);
  int stopped(size_t replayed, size_t wanted, const Status& error);

  std::string name_;
  Source source_;
  redis::Client& client_;
  Target target_;
  std::string to_;  // `stream "k" on Redis …`
};

}  // namespace courier::app
