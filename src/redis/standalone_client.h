// StandaloneClient: a Client for one Redis server over one connection.
//
//   Result<std::unique_ptr<StandaloneClient>> client = StandaloneClient::create(options);
//   Result<Reply> reply = (*client)->command({"INCR", "visits"});
//   if (!reply.ok() && reply.status().retryable()) back_off_and_retry();
//
// Connects lazily, on the first call. After a connection failure the broken connection is
// dropped and the next call connects again; a call while the server is down fails with
// kUnavailable within connect_timeout (at once when the port refuses).
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "redis/client.h"
#include "redis/connection.h"
#include "redis/throttled_log.h"

namespace courier::redis {

struct StandaloneStats {
  uint64_t connects = 0;             // connections opened (the first one included)
  uint64_t connection_failures = 0;  // failed connects and connections lost mid-call
};

class StandaloneClient final : public Client {
 public:
  // Uses options.connection, with host and port from options.nodes[0] when given.
  static Result<std::unique_ptr<StandaloneClient>> create(const ClientOptions& options);

  Result<Reply> command(const Command& command) override;
  std::vector<Result<Reply>> pipeline(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> transaction(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> guarded_transaction(const TransactionGuard& guard,
                                                 const std::vector<Command>& commands) override;
  Status ping() override;

  const StandaloneStats& stats() const { return stats_; }

 private:
  // transaction() and guarded_transaction() (guard null for the first).
  Result<std::vector<Reply>> run_guarded(const TransactionGuard* guard,
                                         const std::vector<Command>& commands);
  explicit StandaloneClient(ConnectionOptions options) : options_(std::move(options)) {}
  // The open connection, connecting first when there is none.
  Result<Connection*> connection();
  // Drops the connection when it broke, so the next call reconnects.
  void drop_if_broken(const Status& failure);

  ConnectionOptions options_;
  std::string address_;
  std::optional<Connection> connection_;
  StandaloneStats stats_;
  ThrottledLog log_;
};

}  // namespace courier::redis
