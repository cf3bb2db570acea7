#include "redis/standalone_client.h"

#include "redis/errors.h"
#include "redis/transaction.h"

namespace courier::redis {

Result<std::unique_ptr<StandaloneClient>> StandaloneClient::create(const ClientOptions& options) {
  Result<std::vector<NodeAddress>> nodes = validate_client_options(options);
  if (!nodes.ok()) return nodes.status();
  ConnectionOptions connection = options.connection;
  connection.host = nodes->front().host;
  connection.port = nodes->front().port;
  std::unique_ptr<StandaloneClient> client(new StandaloneClient(std::move(connection)));
  client->address_ = client->options_.address().to_string();
  return client;
}

Result<Connection*> StandaloneClient::connection() {
  if (connection_ && connection_->idle()) return &*connection_;
  connection_.reset();
  Result<Connection> opened = Connection::open(options_);
  if (!opened.ok()) {
    ++stats_.connection_failures;
    log_.warn(address_, opened.status().message());
    return opened.status();
  }
  ++stats_.connects;
  connection_.emplace(std::move(*opened));
  return &*connection_;
}

void StandaloneClient::drop_if_broken(const Status& failure) {
  if (!connection_ || connection_->healthy()) return;
  ++stats_.connection_failures;
  log_.warn(address_, failure.message() + " (will reconnect on the next call)");
  connection_.reset();
}

Result<Reply> StandaloneClient::command(const Command& command) {
  if (Status valid = check_command(command); !valid.ok()) return valid;
  Result<Connection*> connection = this->connection();
  if (!connection.ok()) return connection.status();
  Result<Reply> reply = (*connection)->run(command);
  if (!reply.ok()) {
    drop_if_broken(reply.status());
    return reply.status();
  }
  return reply_or_error(std::move(*reply), command, address_);
}

std::vector<Result<Reply>> StandaloneClient::pipeline(const std::vector<Command>& commands) {
  std::vector<Result<Reply>> results(commands.size(), Status(StatusCode::kInternal, "not sent"));
  Result<Connection*> connection = this->connection();
  if (!connection.ok()) {
    std::fill(results.begin(), results.end(), Result<Reply>(connection.status()));
    return results;
  }
  std::vector<size_t> sent;  // indices of the commands written, in order
  sent.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (Status valid = check_command(commands[i]); !valid.ok()) {
      results[i] = valid;
      continue;
    }
    (void)(*connection)->append(commands[i]);  // a failure surfaces in read_reply
    sent.push_back(i);
  }
  // After an I/O failure every further read_reply() returns that failure at once.
  for (size_t index : sent) {
    Result<Reply> reply = (*connection)->read_reply();
    results[index] = reply.ok() ? reply_or_error(std::move(*reply), commands[index], address_)
                                : std::move(reply);
  }
  if (!(*connection)->healthy()) drop_if_broken(results[sent.back()].status());
  return results;
}

Result<std::vector<Reply>> StandaloneClient::transaction(const std::vector<Command>& commands) {
  return run_guarded(nullptr, commands);
}

Result<std::vector<Reply>> StandaloneClient::guarded_transaction(
    const TransactionGuard& guard, const std::vector<Command>& commands) {
  return run_guarded(&guard, commands);
}

Result<std::vector<Reply>> StandaloneClient::run_guarded(const TransactionGuard* guard,
                                                         const std::vector<Command>& commands) {
  for (const Command& command : commands)
    if (Status valid = check_command(command); !valid.ok()) return valid;
  Result<Connection*> connection = this->connection();
  if (!connection.ok()) return connection.status();
  TransactionOutcome outcome = run_transaction(**connection, commands, /*asking=*/false, guard);
  if (!outcome.result.ok()) drop_if_broken(outcome.result.status());
  return std::move(outcome.result);
}

Status StandaloneClient::ping() {
  return command({"PING"}).status();
}

}  // namespace courier::redis
