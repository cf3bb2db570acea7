// Replaying dead letters into a Redis stream, a page at a time.
#include "app/dlq_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>
#include <vector>

#include "app/cli.h"

namespace courier::app {

std::string plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

Status error_at(const std::string& where, const Status& error, std::string_view key_flag) {
  std::string hint;
  if (error.detail() == "WRONGTYPE" && !key_flag.empty())
    hint = fmt::format(" (the key holds something other than a stream: check {})", key_flag);
  return Status(error.code(), where + ": " + error.message() + hint, error.detail());
}

DeadLetterReplay::DeadLetterReplay(std::string command_name, Source source, redis::Client& client,
                                   Target target)
    : name_(std::move(command_name)),
      source_(std::move(source)),
      client_(client),
      target_(std::move(target)),
      to_(fmt::format("stream \"{}\" on {}", target_.stream, target_.server)) {}

int DeadLetterReplay::run(size_t wanted) {
  size_t replayed = 0;
  while (replayed < wanted) {
    Result<std::vector<DeadLetter>> letters =
        source_.store.receive(std::min(kDlqPageSize, wanted - replayed));
    if (!letters.ok())
      return stopped(replayed, wanted,
                     error_at(source_.server, letters.status(), "--redis-stream"));
    if (letters->empty()) break;  // removed meanwhile, e.g. by a purge
    for (const DeadLetter& letter : *letters) {
      if (Status sent = replay_one(letter); !sent.ok()) return stopped(replayed, wanted, sent);
      ++replayed;
    }
  }
  fmt::print("replayed {} from {} to {}\n", plural(replayed, "dead letter"), source_.where, to_);
  return kExitOk;
}

int DeadLetterReplay::show(size_t wanted) {
  Result<std::vector<DeadLetter>> letters = source_.store.receive(wanted);
  if (!letters.ok()) return fail(letters.status());
  for (const DeadLetter& letter : *letters)
    fmt::print("would replay {} ({} bytes, attempts {})\n", letter.id, letter.payload.size(),
               letter.attempts);
  fmt::print("dry run: would replay {} from {} to {}; nothing was changed\n",
             plural(letters->size(), "dead letter"), source_.where, to_);
  return kExitOk;
}

// XADD first, remove only once the entry is there: a crash in between replays the
// letter twice, never loses it (at least once).
Status DeadLetterReplay::replay_one(const DeadLetter& letter) {
  redis::Command xadd = {"XADD",        target_.stream,     "*",
                         target_.field, letter.payload,     "courier.replayed_from",
                         letter.id,     "courier.attempts", std::to_string(letter.attempts)};
  for (const auto& [key, value] : letter.metadata) {
    xadd.push_back("courier.meta." + key);
    xadd.push_back(value);
  }
  Result<redis::Reply> added = client_.command(xadd);
  if (!added.ok())
    return error_at(
        to_,
        Status(added.status().code(),
               fmt::format("could not add letter {}: {}", letter.id, added.status().message()),
               added.status().detail()),
        "--to-stream");
  const std::array<std::string, 1> id = {letter.id};
  if (Status removed = source_.store.remove(id); !removed.ok())
    return Status(
        removed.code(),
        fmt::format("letter {} was added to {} as entry {} but could not be "
                    "removed from {} ({}); remove it with `courier dlq purge --id "
                    "{}` or the next replay sends it again",
                    letter.id, to_, added->str(), source_.where, removed.message(), letter.id));
  return Status::Ok();
}

// A store failure: its message names the stream or table, this adds the server.
int DeadLetterReplay::fail(const Status& error) {
  fmt::print(stderr, "{}: {}\n", name_,
             error_at(source_.server, error, "--redis-stream").message());
  return kExitFailure;
}

int DeadLetterReplay::stopped(size_t replayed, size_t wanted, const Status& error) {
  fmt::print(stderr,
             "{}: stopped after replaying {} of {}: {}\nThe letters not replayed are still "
             "in {}; run the replay again once the problem is fixed.\n",
             name_, replayed, plural(wanted, "dead letter"), error.message(), source_.where);
  return kExitFailure;
}

}  // namespace courier::app
