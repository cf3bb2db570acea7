// CourierConfig: everything `courier.yaml` says, as plain structs with defaults, and the
// functions that load it. Loading collects every mistake in the file at once, each with
// its path and line:column; see docs/configuration.md for every key.
//
//   LoadResult loaded = load_config_file("courier.yaml", process_environment());
//   if (!loaded.ok()) { std::cerr << loaded.error_report(); return 2; }
//   start_sync(loaded.config.postgres, loaded.config.redis);
//
// Thread-safety: the load functions are reentrant. A loaded CourierConfig is a plain
// value; its reserved sections share read-only YAML, read them from one thread at a time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/env_substitution.h"

namespace courier::config {

// One name of an enumeration as written in the file, e.g. {LogLevel::kInfo, "info"}.
template <typename Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

// A TCP endpoint written "host:port" ("[::1]:6379" for IPv6).
struct HostPort {
  std::string host;
  int port = 0;

  std::string to_string() const;
  bool operator==(const HostPort&) const = default;
};

enum class PostgresSslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };

inline constexpr std::array<EnumName<PostgresSslMode>, 6> kPostgresSslModeNames = {{
    {PostgresSslMode::kDisable, "disable"},
    {PostgresSslMode::kAllow, "allow"},
    {PostgresSslMode::kPrefer, "prefer"},
    {PostgresSslMode::kRequire, "require"},
    {PostgresSslMode::kVerifyCa, "verify-ca"},
    {PostgresSslMode::kVerifyFull, "verify-full"},
}};

// `postgres:` — Red Courier's separate keys, or one `url:` (postgresql://…).
struct PostgresConfig {
  std::string host = "localhost";  // name, address or Unix-socket directory; empty: libpq default
  int port = 5432;                 // 1..65535
  std::string user;                // empty: libpq default (the operating-system user)
  std::string password;            // secret, never printed; empty: none (or ~/.pgpass)
  std::string dbname;              // empty: libpq default (same as user)
  PostgresSslMode sslmode = PostgresSslMode::kDisable;  // Red Courier's default
  // TLS files for libpq (checked readable at load); empty: libpq's default (~/.postgresql/).
  std::string sslrootcert;  // PEM CAs that may sign the server's certificate (verify-ca/full)
  std::string sslcert;      // PEM client certificate, for `cert` authentication; needs sslkey
  std::string sslkey;       // private key of sslcert
  std::string sslpassword;  // secret, never printed: passphrase of an encrypted sslkey
  std::chrono::milliseconds connect_timeout{10'000};  // whole seconds for libpq, rounded up
  std::string application_name = "courier";           // shown in pg_stat_activity
  // A hung or vanished server must not block a thread: statements the server cancels after
  // statement_timeout (0: never; the client then waits without bound), dead peers found by
  // TCP keepalives (whole seconds) and tcp_user_timeout.
  std::chrono::milliseconds statement_timeout{60'000};
  std::chrono::milliseconds keepalives_idle{10'000};     // silence before the first probe
  std::chrono::milliseconds keepalives_interval{5'000};  // between unanswered probes
  int keepalives_count = 3;                              // unanswered probes: connection dead
  std::chrono::milliseconds tcp_user_timeout{20'000};    // data unacknowledged this long: dead

  // "host='localhost' port='5432' …" for PQconnectdb. Contains the password: never log it.
  std::string conninfo() const;
  // One line for logs and `courier validate`, password masked.
  std::string describe() const;
};

// `redis.tls:` — TLS to Redis, on when the block is present or the url is rediss://.
struct RedisTlsConfig {
  bool enabled = false;
  std::string ca_file;      // PEM CAs the server's certificate must chain to; empty: system's
  std::string cert_file;    // PEM client certificate (tls-auth-clients); needs key_file
  std::string key_file;     // PEM private key of cert_file
  std::string server_name;  // checked against the certificate and sent as SNI; empty: the host
  bool verify = true;       // false: accept any certificate (encrypted, not authenticated)
};

// `redis:` — one server (`addr` or `url`), or a Redis Cluster (`nodes`).
struct RedisConfig {
  HostPort addr{"localhost", 6379};                  // standalone server
  std::string username;                              // ACL user (Redis 6+); empty: default user
  std::string password;                              // secret, never printed; empty: no AUTH
  int db = 0;                                        // database number; must be 0 in a cluster
  std::vector<HostPort> nodes;                       // cluster seed nodes; non-empty: cluster mode
  bool read_from_replicas = false;                   // cluster: send reads to replicas
  std::chrono::milliseconds connect_timeout{2'000};  // per connection attempt
  std::chrono::milliseconds socket_timeout{5'000};   // per command reply
  RedisTlsConfig tls;                                // every node, cluster included

  bool cluster() const { return !nodes.empty(); }
  // One line for logs and `courier validate`, password masked.
  std::string describe() const;
};

// `http:` — the one HTTP server: health, metrics, and the query API when configured.
struct HttpConfig {
  HostPort listen{"127.0.0.1", 8080};  // port 0: any free port
  int workers = 32;  // connections served at once (a thread each, kept while the client keeps it)
  int max_connections = 256;  // admitted at once, served or waiting (at least workers); then 503
  std::int64_t max_body_bytes = 1 << 20;           // request body; larger: 413, never read
  std::int64_t max_header_bytes = 64 << 10;        // request line + headers; larger: 431
  std::chrono::milliseconds read_timeout{10'000};  // a whole request; slower clients: 408

  std::string describe() const;
};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

inline constexpr std::array<EnumName<LogLevel>, 5> kLogLevelNames = {{
    {LogLevel::kTrace, "trace"},
    {LogLevel::kDebug, "debug"},
    {LogLevel::kInfo, "info"},
    {LogLevel::kWarn, "warn"},
    {LogLevel::kError, "error"},
}};
inline constexpr std::array<EnumName<LogFormat>, 2> kLogFormatNames = {{
    {LogFormat::kText, "text"},
    {LogFormat::kJson, "json"},
}};

// `log:` plus Red Courier's root `log_sql`.
struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  bool log_sql = false;  // log every SQL statement (root key `log_sql`)

  std::string describe() const;
};

std::string_view to_string(PostgresSslMode mode);
std::string_view to_string(LogLevel level);
std::string_view to_string(LogFormat format);

// The pipelines' own sections. They are kept as YAML, with their ${VAR}s already replaced,
// for the pipeline module that reads them (config/reader.h), so this module knows nothing
// of pipelines.
inline constexpr std::array<std::string_view, 4> kReservedSectionKeys = {"tasks", "changes",
                                                                         "streams", "api"};

class YamlSubtree;  // defined in config/reader.h, so yaml-cpp stays out of this header

struct ReservedSection {
  std::string key;                          // "tasks", "streams" or "api"
  std::string source_name;                  // the file it came from, for error messages
  std::shared_ptr<const YamlSubtree> yaml;  // open with open_reserved_section()
};

struct CourierConfig {
  PostgresConfig postgres;
  RedisConfig redis;
  HttpConfig http;
  LogConfig log;
  std::vector<ReservedSection> reserved_sections;  // only the ones present in the file

  // The section named `key` if the file has it, else nullptr.
  const ReservedSection* reserved_section(std::string_view key) const;
  // Several lines for `courier validate` and start-up logs; secrets masked.
  std::string describe() const;
};

struct LoadResult {
  CourierConfig config;             // defaults wherever the file is silent or wrong
  std::vector<ConfigError> errors;  // every mistake found, sorted by line and column
  std::string source_name;          // the path, or the name given to load_config_string

  bool ok() const { return errors.empty(); }
  // Every error on its own line: "courier.yaml:12:5: redis.port: …".
  std::string error_report() const;
};

// Reads and validates a file. A missing or unreadable file gives one error with line 0.
LoadResult load_config_file(const std::string& path, const EnvLookup& env);

// Same for YAML text; `source_name` names it in error messages.
LoadResult load_config_string(std::string_view yaml, std::string source_name, const EnvLookup& env);

}  // namespace courier::config
