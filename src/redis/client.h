// Client: one interface for a standalone Redis server and a Redis Cluster.
//
//   Result<std::unique_ptr<Client>> client = make_client({.nodes = {"127.0.0.1:6379"}});
//   Result<Reply> name = (*client)->command({"GET", "user:{42}:name"});
//   auto replies = (*client)->pipeline({{"INCR", "{u42}:a"}, {"GET", "{u42}:b"}});
//
// Every call reports through Result/Status, never by exception. An error reply is that
// command's Status, classified (see errors.h; detail() is the prefix, e.g. "WRONGTYPE"). A
// connection failure is kUnavailable (retryable); the client reconnects by itself on a
// later call. A command that may have reached the server is never re-sent behind the
// caller's back: the caller's retry policy decides (only redirects, and connection
// attempts that failed before anything was sent, are retried inside).
// Thread-safety: a Client is used by one thread at a time; give each worker its own.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "courier/status.h"
#include "redis/command.h"
#include "redis/options.h"
#include "redis/reply.h"

namespace courier::redis {

// The condition of a guarded transaction: `key` must hold `expected` (nullopt: the key is
// absent) when the transaction starts, and no other client may change it before EXEC.
struct TransactionGuard {
  std::string key;
  std::optional<std::string> expected;
};

class Client {
 public:
  virtual ~Client() = default;

  // One command, one round trip.
  virtual Result<Reply> command(const Command& command) = 0;

  // Many commands, one round trip per node: every command is written before any reply is
  // read. Results are in the order of `commands`; each is that command's reply or error.
  // An I/O failure fails the commands of that round trip that have no reply yet.
  virtual std::vector<Result<Reply>> pipeline(const std::vector<Command>& commands) = 0;

  // MULTI, commands..., EXEC on one connection in one round trip; the EXEC replies (an
  // element may be an error reply, e.g. WRONGTYPE at run time). A command rejected while
  // queueing aborts the whole transaction with its error. On a cluster every key must
  // hash to one slot (use a {hash tag}), else kInvalidArgument.
  virtual Result<std::vector<Reply>> transaction(const std::vector<Command>& commands) = 0;

  // A compare-and-set transaction: WATCH and GET `guard.key`; when it holds the expected
  // value, MULTI, commands..., EXEC — which Redis refuses if the key changed in between.
  // kAborted, with nothing applied, when the key held something else or changed. Two round
  // trips on one connection. On a cluster the guard key must share the commands' slot.
  // This default answers kInternal (for clients that cannot watch).
  virtual Result<std::vector<Reply>> guarded_transaction(const TransactionGuard& guard,
                                                         const std::vector<Command>& commands);

  // PING the server (on a cluster: every master); ok when all answered.
  virtual Status ping() = 0;

  // Walks the keys matching the glob `pattern` (and of the Redis type `type`, e.g. "hash",
  // unless empty) with SCAN, on a cluster on every master, handing each page to `on_keys`;
  // an error it returns ends the walk with it. As SCAN promises: a key present throughout
  // is seen, perhaps twice; one written meanwhile may be missed. This default SCANs
  // through command() (one server).
  using KeysHandler = std::function<Status(const std::vector<std::string>& keys)>;
  virtual Status scan_keys(const std::string& pattern, const std::string& type,
                           const KeysHandler& on_keys);
};

// One SCAN of a walk: from `cursor`, 1 000 keys' worth, MATCH `pattern`, TYPE `type`.
Command scan_command(const std::string& cursor, const std::string& pattern,
                     const std::string& type);
// A SCAN reply's next cursor ("0" when the walk is over) and its keys.
Result<std::pair<std::string, std::vector<std::string>>> read_scan_page(const Reply& reply);

// Builds a StandaloneClient or a ClusterClient. kInvalidArgument for bad options. With
// Topology::kAuto it asks the first reachable node (kUnavailable when none answers);
// otherwise it does not connect: the first call does.
Result<std::unique_ptr<Client>> make_client(const ClientOptions& options);

}  // namespace courier::redis
