#include "redis/transaction.h"

namespace courier::redis {
namespace {

Status queued_command_error(const Reply& reply, const Command& command, size_t index,
                            const std::string& address) {
  return status_from_error_reply(reply.str(), "transaction aborted: command #" +
                                                  std::to_string(index + 1) + " (" +
                                                  command_name(command) + ") on " + address);
}

// WATCHes the guard's key and checks its value; nullopt when the transaction may go on.
std::optional<TransactionOutcome> check_guard(Connection& connection,
                                              const TransactionGuard& guard, bool asking) {
  const std::string& address = connection.address();
  if (asking) (void)connection.append({"ASKING"});
  (void)connection.append({"WATCH", guard.key});
  (void)connection.append({"GET", guard.key});
  std::vector<Result<Reply>> replies = connection.read_replies(asking ? 3 : 2);
  for (const Result<Reply>& reply : replies) {
    if (!reply.ok()) return TransactionOutcome{reply.status(), std::nullopt};
    if (reply->is_error()) {
      return TransactionOutcome{status_from_error_reply(reply->str(), "WATCH on " + address),
                                parse_redirect(reply->str())};
    }
  }
  const Reply& value = *replies.back();
  std::optional<std::string> held;
  if (!value.is_nil()) held = value.str();
  if (held == guard.expected) return std::nullopt;
  (void)connection.run({"UNWATCH"});
  return TransactionOutcome{
      Status(StatusCode::kAborted, "transaction on " + address + " not run: '" + guard.key +
                                       "' holds " + (held ? "'" + *held + "'" : "nothing") +
                                       ", expected " +
                                       (guard.expected ? "'" + *guard.expected + "'" : "nothing")),
      std::nullopt};
}

}  // namespace

TransactionOutcome run_transaction(Connection& connection, const std::vector<Command>& commands,
                                   bool asking, const TransactionGuard* guard) {
  if (guard) {
    if (std::optional<TransactionOutcome> refused = check_guard(connection, *guard, asking)) {
      return std::move(*refused);
    }
  }
  const std::string& address = connection.address();
  size_t leading = asking ? 2 : 1;  // [ASKING,] MULTI
  if (asking) (void)connection.append({"ASKING"});
  (void)connection.append({"MULTI"});
  for (const Command& command : commands) (void)connection.append(command);
  (void)connection.append({"EXEC"});
  // A failed append breaks the connection; read_replies then reports that failure.
  std::vector<Result<Reply>> replies = connection.read_replies(leading + commands.size() + 1);
  for (const Result<Reply>& reply : replies)
    if (!reply.ok()) return {reply.status(), std::nullopt};

  for (size_t i = 0; i < leading; ++i) {
    if (replies[i]->is_error())
      return {status_from_error_reply(replies[i]->str(), "MULTI on " + address), std::nullopt};
  }
  std::optional<Status> first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    const Reply& queued = *replies[leading + i];
    if (!queued.is_error()) continue;
    Status error = queued_command_error(queued, commands[i], i, address);
    if (std::optional<Redirect> redirect = parse_redirect(queued.str())) return {error, redirect};
    if (!first_error) first_error = error;
  }
  if (first_error) return {*first_error, std::nullopt};

  Reply& exec = *replies.back();
  if (exec.is_nil())
    return {Status(StatusCode::kAborted,
                   "transaction on " + address + " aborted: a WATCHed key changed"),
            std::nullopt};
  if (exec.is_error())
    return {status_from_error_reply(exec.str(), "EXEC on " + address), std::nullopt};
  if (!exec.is_array())
    return {Status(StatusCode::kInternal, "EXEC on " + address + " replied " + exec.to_string()),
            std::nullopt};
  return {std::move(exec).take_elements(), std::nullopt};
}

}  // namespace courier::redis
