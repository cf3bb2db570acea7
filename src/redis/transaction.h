// Running MULTI ... EXEC on one connection in one round trip (shared by both clients).
//
//   TransactionOutcome outcome = run_transaction(connection, {{"INCR", "a"}}, false);
//   if (outcome.redirect) follow(*outcome.redirect);      // cluster: MOVED/ASK while queueing
//   else return std::move(outcome.result);
//
// Thread-safety: as the connection (one thread at a time).
#pragma once

#include <optional>
#include <vector>

#include "courier/status.h"
#include "redis/client.h"
#include "redis/command.h"
#include "redis/connection.h"
#include "redis/errors.h"
#include "redis/reply.h"

namespace courier::redis {

struct TransactionOutcome {
  Result<std::vector<Reply>> result;
  // Set when a queued command was redirected (the transaction was then discarded).
  std::optional<Redirect> redirect;
};

// Sends [ASKING,] MULTI, commands..., EXEC and reads every reply. With a guard, first
// [ASKING,] WATCH key, GET key in a round trip of their own, and gives up (UNWATCH,
// kAborted) when the key does not hold the expected value. An I/O failure leaves the
// connection unhealthy and is the result.
TransactionOutcome run_transaction(Connection& connection, const std::vector<Command>& commands,
                                   bool asking, const TransactionGuard* guard = nullptr);

}  // namespace courier::redis
