#include "redis/client.h"

#include "redis/cluster_client.h"
#include "redis/connection.h"
#include "redis/standalone_client.h"

namespace courier::redis {
namespace {

// Asks the nodes in order whether they run in cluster mode (INFO cluster).
Result<Topology> detect_topology(const ClientOptions& options,
                                 const std::vector<NodeAddress>& nodes) {
  Status last_failure;
  for (const NodeAddress& node : nodes) {
    ConnectionOptions connection_options = options.connection;
    connection_options.host = node.host;
    connection_options.port = node.port;
    connection_options.db = 0;  // a cluster node would refuse SELECT before we know
    Result<Connection> connection = Connection::open(connection_options);
    Result<Reply> info =
        connection.ok() ? connection->run({"INFO", "cluster"}) : Result<Reply>(connection.status());
    if (info.ok() && info->is_string())
      return info->str().find("cluster_enabled:1") != std::string::npos ? Topology::kCluster
                                                                        : Topology::kStandalone;
    last_failure = info.ok() ? Status(StatusCode::kInternal, "INFO cluster on " + node.to_string() +
                                                                 " replied " + info->to_string())
                             : info.status();
    if (last_failure.permanent()) return last_failure;
  }
  return Status(last_failure.code(),
                "redis: cannot tell whether the servers are a cluster: none answered (last: " +
                    last_failure.message() + "); set the topology explicitly or retry",
                last_failure.detail());
}

template <typename ConcreteClient>
Result<std::unique_ptr<Client>> as_client(Result<std::unique_ptr<ConcreteClient>> client) {
  if (!client.ok()) return client.status();
  return std::unique_ptr<Client>(std::move(*client));
}

}  // namespace

Result<std::unique_ptr<Client>> make_client(const ClientOptions& options) {
  Result<std::vector<NodeAddress>> nodes = validate_client_options(options);
  if (!nodes.ok()) return nodes.status();
  Topology topology = options.topology;
  if (topology == Topology::kAuto) {
    Result<Topology> detected = detect_topology(options, *nodes);
    if (!detected.ok()) return detected.status();
    topology = *detected;
  }
  if (topology == Topology::kCluster) return as_client(ClusterClient::create(options));
  return as_client(StandaloneClient::create(options));
}

Result<std::vector<Reply>> Client::guarded_transaction(const TransactionGuard&,
                                                       const std::vector<Command>&) {
  return Status(StatusCode::kInternal, "this Redis client cannot run guarded transactions");
}

Command scan_command(const std::string& cursor, const std::string& pattern,
                     const std::string& type) {
  Command scan = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
  if (!type.empty()) scan.insert(scan.end(), {"TYPE", type});
  return scan;
}

Result<std::pair<std::string, std::vector<std::string>>> read_scan_page(const Reply& reply) {
  if (reply.elements().size() != 2 || !reply.elements()[0].is_string()) {
    return Status(StatusCode::kInternal, "SCAN replied " + reply.to_string());
  }
  std::vector<std::string> keys;
  for (const Reply& key : reply.elements()[1].elements()) keys.push_back(key.str());
  return std::pair{reply.elements()[0].str(), std::move(keys)};
}

Status Client::scan_keys(const std::string& pattern, const std::string& type,
                         const KeysHandler& on_keys) {
  std::string cursor = "0";
  do {
    Result<Reply> reply = command(scan_command(cursor, pattern, type));
    if (!reply.ok()) return reply.status();
    auto page = read_scan_page(*reply);
    if (!page.ok()) return page.status();
    if (Status handled = on_keys(page->second); !handled.ok()) return handled;
    cursor = std::move(page->first);
  } while (cursor != "0");
  return Status::Ok();
}

}  // namespace courier::redis
