#include "app/connection_settings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>

namespace courier::app {

pg::ConnectionOptions postgres_options(const config::PostgresConfig& config) {
  pg::ConnectionOptions options;
  options.host = config.host;
  options.port = config.port;
  options.user = config.user;
  options.password = config.password;
  options.dbname = config.dbname;
  options.sslmode = std::string(config::to_string(config.sslmode));
  options.sslrootcert = config.sslrootcert;
  options.sslcert = config.sslcert;
  options.sslkey = config.sslkey;
  options.sslpassword = config.sslpassword;
  // libpq counts whole seconds; round up so "500ms" does not become "no timeout".
  options.connect_timeout = std::chrono::ceil<std::chrono::seconds>(config.connect_timeout);
  options.application_name = config.application_name;
  options.statement_timeout = config.statement_timeout;
  options.keepalives_idle = std::chrono::ceil<std::chrono::seconds>(config.keepalives_idle);
  options.keepalives_interval = std::chrono::ceil<std::chrono::seconds>(config.keepalives_interval);
  options.keepalives_count = config.keepalives_count;
  options.tcp_user_timeout = config.tcp_user_timeout;
  return options;
}

redis::ClientOptions redis_options(const config::RedisConfig& config) {
  redis::ClientOptions options;
  options.connection.username = config.username;
  options.connection.password = config.password;
  options.connection.db = config.db;
  options.connection.connect_timeout = config.connect_timeout;
  options.connection.socket_timeout = config.socket_timeout;
  options.connection.tls = redis::TlsOptions{.enabled = config.tls.enabled,
                                             .ca_file = config.tls.ca_file,
                                             .cert_file = config.tls.cert_file,
                                             .key_file = config.tls.key_file,
                                             .server_name = config.tls.server_name,
                                             .verify = config.tls.verify};
  options.read_from_replicas = config.read_from_replicas;
  if (config.cluster()) {
    options.topology = redis::Topology::kCluster;
    for (const auto& node : config.nodes) options.nodes.push_back(node.to_string());
  } else {
    options.topology = redis::Topology::kStandalone;
    options.nodes.push_back(config.addr.to_string());
  }
  return options;
}

http::ServerOptions http_server_options(const config::HttpConfig& config) {
  return http::ServerOptions{.host = config.listen.host,
                             .port = config.listen.port,
                             .worker_threads = config.workers,
                             .max_connections = config.max_connections,
                             .max_body_bytes = static_cast<std::size_t>(config.max_body_bytes),
                             .max_header_bytes = static_cast<std::size_t>(config.max_header_bytes),
                             .read_timeout = config.read_timeout};
}

std::string describe_redis(const redis::ClientOptions& options) {
  return fmt::format("Redis {}{}", options.nodes.size() > 1 ? "cluster " : "",
                     fmt::join(options.nodes, ","));
}

std::string describe_postgres(const pg::ConnectionOptions& options) {
  return fmt::format("Postgres {}:{}/{}", options.host, options.port,
                     options.dbname.empty() ? "(default database)" : options.dbname);
}

}  // namespace courier::app
