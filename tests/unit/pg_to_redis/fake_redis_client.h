// FakeRedisClient: an in-memory stand-in for redis::Client in table sync's unit tests
// (the structure writer's, the task runner's).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "redis/client.h"
#include "redis/errors.h"

namespace courier::pg_to_redis {

// Enough of Redis for the writer: strings for the checkpoint, a log of data commands,
// transactions (guarded ones compare the key first, as WATCH + GET would), a switch that
// applies the next transaction but loses its reply, and error replies for chosen keys.
class FakeRedisClient : public redis::Client {
 public:
  std::map<std::string, std::string> strings;
  std::vector<redis::Command> applied;  // data commands that took effect
  int transactions = 0;
  bool lose_next_reply = false;
  bool down = false;
  std::map<std::string, std::string> refusals;  // key → the error Redis replies for it

  Result<redis::Reply> command(const redis::Command& command) override {
    if (down) return Status(StatusCode::kUnavailable, "connection refused", "CONNECT");
    if (command.size() > 1 && refusals.contains(command[1]))
      return redis::status_from_error_reply(refusals[command[1]], command[0]);
    return apply(command);
  }
  std::vector<Result<redis::Reply>> pipeline(const std::vector<redis::Command>& commands) override {
    std::vector<Result<redis::Reply>> out;
    for (const redis::Command& c : commands) out.push_back(command(c));
    return out;
  }
  Result<std::vector<redis::Reply>> transaction(const std::vector<redis::Command>& commands) override {
    if (down) return Status(StatusCode::kUnavailable, "connection refused", "CONNECT");
    ++transactions;
    std::vector<redis::Reply> replies;
    for (const redis::Command& c : commands) replies.push_back(apply(c));
    if (lose_next_reply) {
      lose_next_reply = false;
      return Status(StatusCode::kUnavailable, "server closed the connection", "EOF");
    }
    return replies;
  }
  Result<std::vector<redis::Reply>> guarded_transaction(
      const redis::TransactionGuard& guard, const std::vector<redis::Command>& commands) override {
    if (down) return Status(StatusCode::kUnavailable, "connection refused", "CONNECT");
    auto held = strings.find(guard.key);
    std::optional<std::string> value;
    if (held != strings.end()) value = held->second;
    if (value != guard.expected) return Status(StatusCode::kAborted, "guard key changed");
    return transaction(commands);
  }
  Status ping() override { return Status::Ok(); }

 private:
  redis::Reply apply(const redis::Command& c) {
    if (c[0] == "GET") {
      auto it = strings.find(c[1]);
      return it == strings.end() ? redis::Reply::nil() : redis::Reply::from_string(it->second);
    }
    if (c[0] == "SET" && c[1].starts_with("checkpoint:")) {
      strings[c[1]] = c[2];
      return redis::Reply::from_status("OK");
    }
    applied.push_back(c);
    return redis::Reply::from_integer(1);
  }
};

}  // namespace courier::pg_to_redis
