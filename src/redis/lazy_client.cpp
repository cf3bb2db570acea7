#include "redis/lazy_client.h"

namespace courier::redis {

Result<Client*> LazyClient::made() {
  if (!client_) {
    auto client = make_client(options_);
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
  }
  return client_.get();
}

Result<Reply> LazyClient::command(const Command& command) {
  auto client = made();
  if (!client.ok()) return client.status();
  return (*client)->command(command);
}

std::vector<Result<Reply>> LazyClient::pipeline(const std::vector<Command>& commands) {
  auto client = made();
  if (!client.ok()) return std::vector<Result<Reply>>(commands.size(), client.status());
  return (*client)->pipeline(commands);
}

Result<std::vector<Reply>> LazyClient::transaction(const std::vector<Command>& commands) {
  auto client = made();
  if (!client.ok()) return client.status();
  return (*client)->transaction(commands);
}

Result<std::vector<Reply>> LazyClient::guarded_transaction(const TransactionGuard& guard,
                                                           const std::vector<Command>& commands) {
  auto client = made();
  if (!client.ok()) return client.status();
  return (*client)->guarded_transaction(guard, commands);
}

Status LazyClient::ping() {
  auto client = made();
  if (!client.ok()) return client.status();
  return (*client)->ping();
}

Status LazyClient::scan_keys(const std::string& pattern, const std::string& type,
                             const KeysHandler& on_keys) {
  auto client = made();
  if (!client.ok()) return client.status();
  return (*client)->scan_keys(pattern, type, on_keys);
}

}  // namespace courier::redis
