#include "config/section_readers.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include "config/connection_urls.h"

namespace courier::config {
namespace {

constexpr int kDefaultRedisPort = 6379;
constexpr int kLowestServerPort = 1;
constexpr int kLowestListenPort = 0;  // 0: the system picks a free port
constexpr IntegerRange kListenPortRange{kLowestListenPort, 65535};
constexpr IntegerRange kHttpWorkersRange{1, 1024};
constexpr IntegerRange kHttpConnectionsRange{1, 65'536};
constexpr IntegerRange kHttpBodyBytesRange{1, std::int64_t{1} << 30};
constexpr IntegerRange kHttpHeaderBytesRange{1'024, std::int64_t{1} << 20};
constexpr IntegerRange kRedisDbRange{0, std::numeric_limits<int>::max()};
constexpr IntegerRange kKeepaliveCountRange{1, 100};
constexpr std::string_view kServerPortHost = "127.0.0.1";
constexpr std::string_view kOneFormAdvice = "give either the url or the separate keys, not both";

std::optional<HostPort> read_host_port(const ValueReader& value, std::optional<int> default_port,
                                       int min_port) {
  std::optional<std::string> text = value.as_string();
  if (!text) return std::nullopt;
  Result<HostPort> endpoint = parse_host_port(*text, default_port, min_port);
  if (!endpoint.ok()) {
    value.error(endpoint.status().message());
    return std::nullopt;
  }
  return *endpoint;
}

// Applies the section's `url` with `apply`; its errors land on the url's position.
template <typename Config>
void read_url(MappingReader& section, Status (*apply)(std::string_view, Config&), Config& config) {
  std::optional<ValueReader> url = section.value("url");
  std::optional<std::string> text = url ? url->as_string() : std::nullopt;
  if (!text) return;
  Status applied = apply(*text, config);
  if (!applied.ok()) url->error(applied.message());
}

// ---- postgres: ---------------------------------------------------------------------------

void read_postgres_keys(MappingReader& section, PostgresConfig& postgres) {
  postgres.host = section.string("host").value_or(postgres.host);
  postgres.port = section.integer<int>("port", kPortRange).value_or(postgres.port);
  postgres.user = section.string("user").value_or(postgres.user);
  postgres.password = section.string("password").value_or(postgres.password);
  postgres.dbname = section.string("dbname").value_or(postgres.dbname);
  postgres.sslmode =
      section.enumeration("sslmode", kPostgresSslModeNames).value_or(postgres.sslmode);
}

// statement_timeout, TCP keepalives and tcp_user_timeout (after the url, so these win).
void read_postgres_liveness(MappingReader& section, PostgresConfig& postgres) {
  postgres.statement_timeout =
      section.duration("statement_timeout").value_or(postgres.statement_timeout);
  postgres.keepalives_idle =
      section.duration("keepalives_idle", kPositiveDuration).value_or(postgres.keepalives_idle);
  postgres.keepalives_interval = section.duration("keepalives_interval", kPositiveDuration)
                                     .value_or(postgres.keepalives_interval);
  postgres.keepalives_count = section.integer<int>("keepalives_count", kKeepaliveCountRange)
                                  .value_or(postgres.keepalives_count);
  postgres.tcp_user_timeout =
      section.duration("tcp_user_timeout").value_or(postgres.tcp_user_timeout);
}

// Why libpq could not read `path`, or nullopt when it can.
std::optional<std::string> unreadable_file_reason(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return "it is a directory";
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return std::nullopt;
}

// The TLS files, after the url (so the keys win), each checked readable now rather than
// at the first connection; an unreadable one named in the url is reported at the url.
void read_postgres_tls_files(MappingReader& section, PostgresConfig& postgres) {
  const std::pair<std::string_view, std::string*> files[] = {{"sslrootcert", &postgres.sslrootcert},
                                                             {"sslcert", &postgres.sslcert},
                                                             {"sslkey", &postgres.sslkey}};
  for (const auto& [key, path] : files) {
    *path = section.string(key).value_or(*path);
    if (path->empty()) continue;
    if (std::optional<std::string> reason = unreadable_file_reason(*path)) {
      section.error_at(section.has(key) ? key : "url",
                       std::string(key) + " '" + *path + "' cannot be read (" + *reason +
                           "); give the path of a PEM file the user running courier can read");
    }
  }
  postgres.sslpassword = section.string("sslpassword").value_or(postgres.sslpassword);
  if (!postgres.sslcert.empty() && postgres.sslkey.empty())
    section.error_at(section.has("sslcert") ? "sslcert" : "url",
                     "a client certificate needs its key; add 'sslkey'");
  if (postgres.sslcert.empty() && !postgres.sslkey.empty())
    section.error_at(section.has("sslkey") ? "sslkey" : "url",
                     "a client key needs its certificate; add 'sslcert'");
}

void read_postgres(MappingReader& section, PostgresConfig& postgres) {
  bool both_forms = section.conflicts(
      "url", {"host", "port", "user", "password", "dbname", "sslmode"}, kOneFormAdvice);
  read_postgres_keys(section, postgres);
  if (!both_forms) read_url(section, apply_postgres_url, postgres);
  read_postgres_tls_files(section, postgres);
  postgres.connect_timeout =
      section.duration("connect_timeout", kPositiveDuration).value_or(postgres.connect_timeout);
  postgres.application_name =
      section.string("application_name").value_or(postgres.application_name);
  read_postgres_liveness(section, postgres);
  section.finish();
}

// ---- redis: ------------------------------------------------------------------------------

void read_cluster_nodes(MappingReader& section, RedisConfig& redis) {
  std::optional<SequenceReader> nodes = section.sequence("nodes");
  if (!nodes) return;
  if (nodes->empty()) {
    nodes->error("empty list; name the cluster's seed nodes as 'host:port', or remove 'nodes'");
    return;
  }
  for (const ValueReader& node : nodes->items()) {
    std::optional<HostPort> endpoint = read_host_port(node, kDefaultRedisPort, kLowestServerPort);
    if (endpoint) redis.nodes.push_back(*endpoint);
  }
}

// `tls:` turns TLS on, as rediss:// does; a plain redis:// url beside it is a contradiction.
void read_redis_tls(MappingReader& section, RedisConfig& redis) {
  if (!section.has("tls")) return;
  std::optional<std::string> url = section.has("url") ? section.string("url") : std::nullopt;
  if (url && url->find("://") == 5) {  // "redis://", in any case
    section.error_at("tls",
                     "the url is redis:// (no TLS); write rediss:// to use TLS, or remove 'tls'");
  }
  redis.tls.enabled = true;
  std::optional<MappingReader> tls = section.mapping("tls");
  if (!tls) return;  // `tls:` alone: TLS with the system's CAs
  RedisTlsConfig& config = redis.tls;
  config.ca_file = tls->string("ca_file").value_or(config.ca_file);
  config.cert_file = tls->string("cert_file").value_or(config.cert_file);
  config.key_file = tls->string("key_file").value_or(config.key_file);
  config.server_name = tls->string("server_name").value_or(config.server_name);
  config.verify = tls->boolean("verify").value_or(config.verify);
  if (!config.cert_file.empty() && config.key_file.empty())
    tls->error_at("cert_file", "a client certificate needs its key; add 'key_file'");
  if (config.cert_file.empty() && !config.key_file.empty())
    tls->error_at("key_file", "a client key needs its certificate; add 'cert_file'");
  tls->finish();
}

void read_redis(MappingReader& section, RedisConfig& redis) {
  bool both_forms =
      section.conflicts("url", {"addr", "username", "password", "db"}, kOneFormAdvice);
  bool cluster_and_server = section.conflicts(
      "nodes", {"addr", "url"}, "'nodes' lists a cluster's seed nodes; remove the single server");
  if (std::optional<ValueReader> addr = section.value("addr")) {
    redis.addr = read_host_port(*addr, kDefaultRedisPort, kLowestServerPort).value_or(redis.addr);
  }
  redis.username = section.string("username").value_or(redis.username);
  redis.password = section.string("password").value_or(redis.password);
  redis.db = section.integer<int>("db", kRedisDbRange).value_or(redis.db);
  if (!both_forms && !cluster_and_server) read_url(section, apply_redis_url, redis);
  read_redis_tls(section, redis);
  read_cluster_nodes(section, redis);
  redis.read_from_replicas =
      section.boolean("read_from_replicas").value_or(redis.read_from_replicas);
  redis.connect_timeout =
      section.duration("connect_timeout", kPositiveDuration).value_or(redis.connect_timeout);
  redis.socket_timeout =
      section.duration("socket_timeout", kPositiveDuration).value_or(redis.socket_timeout);
  if (redis.cluster() && redis.db != 0) {
    section.error_at("db", "a Redis Cluster has only database 0; remove 'db' or use one server");
  }
  section.finish();
}

// ---- http: and Red Courier's server_port: -------------------------------------------------

// Returns the address `listen` set, if it set a valid one.
std::optional<HostPort> read_http(MappingReader& section, HttpConfig& http) {
  std::optional<ValueReader> listen = section.value("listen");
  std::optional<HostPort> endpoint =
      listen ? read_host_port(*listen, std::nullopt, kLowestListenPort) : std::nullopt;
  if (endpoint) http.listen = *endpoint;
  http.workers = section.integer<int>("workers", kHttpWorkersRange).value_or(http.workers);
  std::optional<int> max_connections =
      section.integer<int>("max_connections", kHttpConnectionsRange);
  http.max_connections = max_connections.value_or(std::max(http.max_connections, http.workers));
  http.max_body_bytes = section.integer<std::int64_t>("max_body_bytes", kHttpBodyBytesRange)
                            .value_or(http.max_body_bytes);
  http.max_header_bytes = section.integer<std::int64_t>("max_header_bytes", kHttpHeaderBytesRange)
                              .value_or(http.max_header_bytes);
  http.read_timeout =
      section.duration("read_timeout", kPositiveDuration).value_or(http.read_timeout);
  if (max_connections && *max_connections < http.workers) {
    section.error_at("max_connections", "max_connections (" + std::to_string(http.max_connections) +
                                            ") is below workers (" + std::to_string(http.workers) +
                                            "): workers beyond it would never serve; raise it");
  }
  section.finish();
  return endpoint;
}

// Red Courier's `server_port: {port: N}`: the same server, on 127.0.0.1 unless http.listen
// names the address; then both must agree on the port.
void read_server_port(MappingReader& section, const std::optional<HostPort>& http_listen,
                      HttpConfig& http) {
  section.require("port");
  std::optional<int> port = section.integer<int>("port", kListenPortRange);
  if (port && http_listen && *port != http_listen->port) {
    section.error_at("port", "port " + std::to_string(*port) + " disagrees with http.listen (" +
                                 http_listen->to_string() + "); give the port in one place");
  } else if (port && !http_listen) {
    http.listen = HostPort{std::string(kServerPortHost), *port};
  }
  section.finish();
}

// ---- log: --------------------------------------------------------------------------------

void read_log(MappingReader& section, LogConfig& log) {
  log.level = section.enumeration("level", kLogLevelNames).value_or(log.level);
  log.format = section.enumeration("format", kLogFormatNames).value_or(log.format);
  section.finish();
}

// ---- reserved sections and the root ------------------------------------------------------

void keep_reserved_sections(MappingReader& root, const std::string& source_name,
                            CourierConfig& config) {
  for (std::string_view key : kReservedSectionKeys) {
    std::optional<ValueReader> section = root.value(key);
    if (!section) continue;
    config.reserved_sections.push_back({std::string(key), source_name, section->resolve_subtree()});
  }
}

}  // namespace

void read_courier_config(const ValueReader& document, const std::string& source_name,
                         CourierConfig& config) {
  if (document.is_null()) return;
  std::optional<MappingReader> root = document.as_mapping();
  if (!root) return;
  if (auto section = root->mapping("postgres")) read_postgres(*section, config.postgres);
  if (auto section = root->mapping("redis")) read_redis(*section, config.redis);
  std::optional<HostPort> http_listen;
  if (auto section = root->mapping("http")) http_listen = read_http(*section, config.http);
  if (auto section = root->mapping("server_port")) {
    read_server_port(*section, http_listen, config.http);
  }
  if (auto section = root->mapping("log")) read_log(*section, config.log);
  config.log.log_sql = root->boolean("log_sql").value_or(config.log.log_sql);
  keep_reserved_sections(*root, source_name, config);
  root->finish();
}

}  // namespace courier::config
