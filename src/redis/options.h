// Options for Redis connections and clients, and parsing of redis:// URLs and "host:port".
//
//   Result<ConnectionOptions> url = parse_redis_url("redis://app:secret@127.0.0.1:6379/2");
//   ClientOptions options{.nodes = {"127.0.0.1:7000", "127.0.0.1:7001"}};
//   options.topology = Topology::kCluster;
//
// Thread-safety: plain values; copy freely.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"

namespace courier::redis {

struct NodeAddress {
  std::string host;
  int port = 6379;

  std::string to_string() const;  // "host:port", "[::1]:port" for IPv6
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user for AUTH; empty: AUTH with the password only
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed after connecting; must be 0 on a cluster
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect; 0: the OS default
  std::chrono::milliseconds socket_timeout{5000};   // each read and write; 0: none

  NodeAddress address() const { return {host, port}; }
};

enum class Topology {
  kAuto,        // ask the first reachable node (INFO cluster) which one it is
  kStandalone,  // one server (or a replica of it)
  kCluster,     // Redis Cluster: the nodes are seeds, the rest is learnt from CLUSTER SLOTS
};

struct ClientOptions {
  // "host:port" of the server, or seeds of a cluster; empty: connection.host/port.
  std::vector<std::string> nodes;
  // Credentials, db and timeouts used for every node (host and port come from `nodes`).
  ConnectionOptions connection;
  Topology topology = Topology::kAuto;
  // Cluster only: read-only commands may be served by replicas (which may lag).
  bool read_from_replicas = false;
  // Cluster only: MOVED/ASK redirects and reconnects followed before a call gives up.
  int max_redirects = 5;
};

// "host:port", "host" (port 6379) or "[v6]:port".
Result<NodeAddress> parse_address(std::string_view text);

// redis://[[user]:password@]host[:port][/db]; user and password may be %-encoded.
Result<ConnectionOptions> parse_redis_url(std::string_view url);

// Every node of `options` as an address (connection.host/port when `nodes` is empty), or
// kInvalidArgument naming the first bad entry or setting.
Result<std::vector<NodeAddress>> validate_client_options(const ClientOptions& options);

}  // namespace courier::redis
