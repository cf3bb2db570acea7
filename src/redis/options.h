// Options for Redis connections and clients, and parsing of redis:// and rediss:// URLs and
// "host:port".
//
//   Result<ConnectionOptions> url = parse_redis_url("rediss://app:secret@127.0.0.1:6379/2");
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

// TLS to the server (rediss://). Files are PEM. The server's certificate is checked against
// ca_file (empty: the system's trusted CAs) and its name against server_name (empty: host).
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;      // CA certificates that may sign the server's certificate
  std::string cert_file;    // client certificate, for servers with tls-auth-clients yes
  std::string key_file;     // its private key; needed with cert_file
  std::string server_name;  // name checked in the certificate and sent as SNI; empty: host
  bool verify = true;       // false: accept any certificate (encrypts, but trusts anyone)

  friend bool operator==(const TlsOptions&, const TlsOptions&) = default;
};

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user for AUTH; empty: AUTH with the password only
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed after connecting; must be 0 on a cluster
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect; 0: the OS default
  std::chrono::milliseconds socket_timeout{5000};   // each read and write; 0: none
  TlsOptions tls;  // a cluster client uses it for every node, as learnt from the seeds

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

// redis[s]://[[user]:password@]host[:port][/db]; user and password may be %-encoded.
// rediss:// sets tls.enabled.
Result<ConnectionOptions> parse_redis_url(std::string_view url);

// Every node of `options` as an address (connection.host/port when `nodes` is empty), or
// kInvalidArgument naming the first bad entry or setting.
Result<std::vector<NodeAddress>> validate_client_options(const ClientOptions& options);

}  // namespace courier::redis
