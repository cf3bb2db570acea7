// LazyClient: a Client that is made (make_client) at its first call rather than up front,
// and made again on the next call while making it fails. For a worker that must start
// while Redis is down: every call then answers the reason (kUnavailable, retryable) until
// Redis is back, and the objects built on the client can be built at once.
//
//   redis::LazyClient client(options);                  // no I/O yet
//   RedisStreamDeadLetterStore letters(client, "dead");  // fine before Redis answers
//   auto reply = client.command({"PING"});               // connects now
//
// Thread-safety: like every Client, one thread at a time.
#pragma once

#include <memory>

#include "redis/client.h"

namespace courier::redis {

class LazyClient final : public Client {
 public:
  explicit LazyClient(ClientOptions options) : options_(std::move(options)) {}

  Result<Reply> command(const Command& command) override;
  std::vector<Result<Reply>> pipeline(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> transaction(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> guarded_transaction(const TransactionGuard& guard,
                                                 const std::vector<Command>& commands) override;
  Status ping() override;
  Status scan_keys(const std::string& pattern, const std::string& type,
                   const KeysHandler& on_keys) override;

 private:
  // The client, made now if it was not yet; the reason when it cannot be made.
  Result<Client*> made();

  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

}  // namespace courier::redis
