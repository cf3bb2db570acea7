// ClusterClient: a Client for Redis Cluster; routes each command to the node serving its
// key's slot, follows MOVED/ASK, and fans pipelines out to all nodes at once.
//
//   Result<std::unique_ptr<ClusterClient>> cluster = ClusterClient::create(options);
//   auto replies = (*cluster)->pipeline({{"GET", "a"}, {"GET", "b"}, {"GET", "c"}});
//   log((*cluster)->stats().moved_redirects);
//
// Routing: the slot map (from CLUSTER SLOTS, loaded on first use) is an immutable snapshot
// swapped on refresh. One connection per node. MOVED refreshes the map (asking the node
// that answered first) and retries there; ASK sends ASKING + the command to the named node
// and leaves the map alone; at most max_redirects redirects/reconnects per command. A
// pipeline is grouped by node, every node's commands are written before any reply is read,
// and redirected commands are then retried one by one; results keep the caller's order.
// With read_from_replicas, read-only commands are spread over each shard's master and
// replicas in turn (replica connections sent READONLY): a hot shard's reads are shared by
// every copy of it. A pipeline takes one turn for all its commands, so each shard still
// gets one batch.
// Keyless commands (PING, INFO, ...) go to any master. A connection failure drops that
// node's connection and marks the map stale (refreshed at most every 100 ms on use); a
// command whose node cannot be reached is retried only if a refreshed map sends it
// elsewhere, so a dead node costs one connect timeout per call, not one per retry.
// Thread-safety: one thread at a time. slot_map() snapshots may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "redis/client.h"
#include "redis/connection.h"
#include "redis/errors.h"
#include "redis/slot_map.h"
#include "redis/throttled_log.h"

namespace courier::redis {

struct ClusterStats {
  uint64_t moved_redirects = 0;      // MOVED replies received
  uint64_t ask_redirects = 0;        // ASK replies received
  uint64_t slot_map_refreshes = 0;   // slot maps loaded (the first one included)
  uint64_t failed_refreshes = 0;     // refreshes for which no node answered
  uint64_t connection_failures = 0;  // failed connects and connections lost mid-call
  uint64_t gave_up = 0;              // commands that ran out of redirects/reconnects
};

class ClusterClient final : public Client {
 public:
  // options.nodes are the seeds; db must be 0.
  static Result<std::unique_ptr<ClusterClient>> create(const ClientOptions& options);

  Result<Reply> command(const Command& command) override;
  std::vector<Result<Reply>> pipeline(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> transaction(const std::vector<Command>& commands) override;
  Result<std::vector<Reply>> guarded_transaction(const TransactionGuard& guard,
                                                 const std::vector<Command>& commands) override;
  Status ping() override;
  // Every master's keys, the masters' SCANs sent together, one round trip per step.
  Status scan_keys(const std::string& pattern, const std::string& type,
                   const KeysHandler& on_keys) override;

  // Sends `command` to every master at once; one result per master, in slot_map() order.
  std::vector<Result<Reply>> on_every_master(const Command& command);
  // Loads the slot map now from the first node that answers.
  Status refresh_slot_map();
  // The current snapshot (nullptr before the first load).
  std::shared_ptr<const SlotMap> slot_map() const { return slot_map_.load(); }
  const ClusterStats& stats() const { return stats_; }

 private:
  // transaction() and guarded_transaction() (guard null for the first).
  Result<std::vector<Reply>> run_guarded(const TransactionGuard* guard,
                                         const std::vector<Command>& commands);
  struct Target {
    std::string address;
    bool replica = false;  // a read on a replica: the connection needs READONLY
  };
  // Where a command goes when no redirect says otherwise.
  struct Route {
    std::optional<int> slot;  // nullopt: keyless, any master
    bool read_only = false;
    size_t read_turn = 0;  // which copy of the shard serves a read (0: the master)
  };
  // What one try of a command (or transaction) on one node gave.
  struct Attempt {
    Result<Reply> result;
    std::optional<Redirect> redirect;
  };
  using AttemptFunction = std::function<Attempt(Connection&, bool asking)>;
  // The commands of one pipeline that go to one node, by index into the caller's vector.
  struct NodeBatch {
    Target target;
    std::vector<size_t> indices;
    Connection* connection = nullptr;
  };
  // A pipelined command to run again on its own after the round trip.
  struct Retry {
    size_t index;
    std::optional<Redirect> redirect;  // nullopt: its node could not be reached
    Status cause;
    std::string node;  // where it was sent
  };

  explicit ClusterClient(ClientOptions options, std::vector<std::string> seeds);

  Route route_for(const Command& command, size_t read_turn) const;
  Result<Target> target_for(const Route& route, const SlotMap& map);
  Result<std::shared_ptr<const SlotMap>> current_slot_map();
  Status refresh_slot_map_from(const std::string& preferred);
  Result<SlotMap> fetch_slot_map(const std::string& address);
  void install_slot_map(SlotMap map);
  void apply_moved(const std::vector<Redirect>& moves);

  Result<Connection*> connection_to(const Target& target);
  void note_connection_failure(const std::string& address, const Status& failure);
  void count_redirect(const Redirect& redirect);

  Result<Reply> follow_redirects(const Route& route, std::string_view what,
                                 std::optional<Redirect> redirect, int attempts_used,
                                 const AttemptFunction& attempt);
  Result<Reply> execute(const Command& command, std::optional<Redirect> redirect,
                        int attempts_used);
  void exchange(std::vector<NodeBatch>& batches,
                const std::function<const Command&(size_t)>& command_at,
                std::vector<Result<Reply>>& results, std::vector<Retry>& retries);
  // True when the current map sends `command` to `node` again (or nowhere).
  bool still_routed_to(const Command& command, const std::string& node);
  void run_retries(const std::vector<Command>& commands, const std::vector<Retry>& retries,
                   std::vector<Result<Reply>>& results);

  ClientOptions options_;
  std::vector<std::string> seeds_;  // "host:port"
  // Swapped whole on refresh; atomic so other threads may read snapshots.
  std::atomic<std::shared_ptr<const SlotMap>> slot_map_;
  bool slot_map_stale_ = false;
  std::chrono::steady_clock::time_point last_refresh_;
  struct NodeConnection {
    Connection connection;
    bool readonly = false;
  };
  std::unordered_map<std::string, NodeConnection> connections_;  // by "host:port"
  // When a connection to a node last failed; such nodes are asked for the slot map last.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> failed_at_;
  size_t keyless_turn_ = 0;
  size_t read_turn_ = 0;
  ClusterStats stats_;
  ThrottledLog log_;
};

}  // namespace courier::redis
