#include "config/connection_urls.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "config/edit_distance.h"
#include "config/scalar_parsers.h"
#include "net/url.h"
#include "redis/options.h"

namespace courier::config {
namespace {

constexpr int kDefaultPostgresPort = 5432;

constexpr std::string_view kRedisUrlShape =
    "expected a url like 'redis://username:password@host:6379/0'";
constexpr std::string_view kEncodingAdvice =
    " (percent-encode '@', ':', '/', '?' and '%' inside a user name or password)";

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string comma_separated(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

Result<HostPort> parse_url_authority(std::string_view authority, int default_port) {
  Result<HostPort> endpoint = parse_host_port(authority, default_port, 1);
  if (endpoint.ok()) return endpoint;
  // The authority is not quoted: a badly encoded password may have spilled into it.
  return invalid(
      "the url's host or port is invalid; expected 'host', 'host:port' or "
      "'[ipv6]:port' with a port in 1..65535" +
      std::string(kEncodingAdvice));
}

// ---- postgresql:// -----------------------------------------------------------------------

// clang-format off
constexpr std::array<std::string_view, 12> kPostgresQueryKeys = {
    "host", "port", "user", "password", "dbname", "sslmode", "connect_timeout",
    "application_name", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout"};
// clang-format on

// keepalives_* and tcp_user_timeout in libpq's units: a whole number in 1..`max`.
Status apply_postgres_count(std::string_view key, std::string_view value, std::int64_t max,
                            std::int64_t& out) {
  std::optional<std::int64_t> number = parse_integer(value);
  if (!number || *number < 1 || *number > max) {
    return invalid("the url's " + std::string(key) + " must be a whole number in 1.." +
                   std::to_string(max));
  }
  out = *number;
  return Status::Ok();
}

Status apply_postgres_sslmode(std::string_view text, PostgresConfig& config) {
  for (const auto& mode : kPostgresSslModeNames) {
    if (equals_ignoring_case(text, mode.name)) {
      config.sslmode = mode.value;
      return Status::Ok();
    }
  }
  std::vector<std::string> allowed;
  for (const auto& mode : kPostgresSslModeNames) allowed.emplace_back(mode.name);
  return invalid("the url's sslmode must be one of " + comma_separated(allowed));
}

Status apply_postgres_parameter(std::string_view key, std::string value, PostgresConfig& config) {
  if (key == "host") {
    config.host = std::move(value);
  } else if (key == "port") {
    std::optional<int> port = net::parse_port(value);
    if (!port) return invalid("the url's port parameter must be an integer in 1..65535");
    config.port = *port;
  } else if (key == "user") {
    config.user = std::move(value);
  } else if (key == "password") {
    config.password = std::move(value);
  } else if (key == "dbname") {
    config.dbname = std::move(value);
  } else if (key == "sslmode") {
    return apply_postgres_sslmode(value, config);
  } else if (key == "connect_timeout") {
    std::optional<std::int64_t> seconds = parse_integer(value);
    if (!seconds || *seconds < 1 || *seconds > 86'400) {
      return invalid("the url's connect_timeout must be whole seconds in 1..86400");
    }
    config.connect_timeout = std::chrono::seconds(*seconds);
  } else if (key == "application_name") {
    config.application_name = std::move(value);
  } else if (key == "keepalives_count") {
    std::int64_t count = 0;
    if (Status s = apply_postgres_count(key, value, 100, count); !s.ok()) return s;
    config.keepalives_count = static_cast<int>(count);
  } else if (key == "tcp_user_timeout") {  // milliseconds, as libpq takes it
    std::int64_t ms = 0;
    if (Status s = apply_postgres_count(key, value, 86'400'000, ms); !s.ok()) return s;
    config.tcp_user_timeout = std::chrono::milliseconds(ms);
  } else if (key == "keepalives_idle" || key == "keepalives_interval") {  // seconds
    std::int64_t seconds = 0;
    if (Status s = apply_postgres_count(key, value, 86'400, seconds); !s.ok()) return s;
    (key == "keepalives_idle" ? config.keepalives_idle : config.keepalives_interval) =
        std::chrono::seconds(seconds);
  }
  return Status::Ok();
}

std::string unsupported_parameter_message(std::string_view key) {
  std::vector<std::string> supported(kPostgresQueryKeys.begin(), kPostgresQueryKeys.end());
  std::string message = "unsupported url parameter '" + std::string(key) + "'";
  if (std::optional<std::string> nearest = nearest_name(key, supported)) {
    return message + "; did you mean '" + *nearest + "'?";
  }
  return message + "; supported: " + comma_separated(supported);
}

Status apply_postgres_query(std::vector<std::pair<std::string, std::string>>& query,
                            PostgresConfig& config) {
  for (auto& [key, value] : query) {
    bool known = std::find(kPostgresQueryKeys.begin(), kPostgresQueryKeys.end(), key) !=
                 kPostgresQueryKeys.end();
    if (!known) return invalid(unsupported_parameter_message(key));
    Status applied = apply_postgres_parameter(key, std::move(value), config);
    if (!applied.ok()) return applied;
  }
  return Status::Ok();
}

Status apply_postgres_authority(std::string_view authority, PostgresConfig& config) {
  if (authority.find(',') != std::string_view::npos) {
    return invalid("a url with several hosts is not supported; name one host");
  }
  if (authority.empty()) {  // postgresql:///db: libpq's default, the local Unix socket
    config.host.clear();
    config.port = kDefaultPostgresPort;
    return Status::Ok();
  }
  Result<HostPort> endpoint = parse_url_authority(authority, kDefaultPostgresPort);
  if (!endpoint.ok()) return endpoint.status();
  config.host = endpoint->host;
  config.port = endpoint->port;
  return Status::Ok();
}

// ---- redis:// ----------------------------------------------------------------------------

// The redis module's parser decides what a redis:// url means; a refusal it shares with a
// plainer reason is reworded here for the file. Never quotes the url (it may hold a password).
Status explain_redis_refusal(std::string_view url, const Status& refused) {
  Result<net::Url> parts = net::parse_url(url, {"redis"});
  if (!parts.ok()) return parts.status();  // unsupported scheme, bad %-escape, ...
  if (url.find('?') != std::string_view::npos) {
    return invalid("a redis url takes no '?' parameters; use the keys of the redis section" +
                   std::string(kEncodingAdvice));
  }
  if (parts->hosts.empty()) return invalid("missing host; " + std::string(kRedisUrlShape));
  return refused;
}

// Red Courier's form (redis-plus-plus): user info without ':' is the password. The redis
// parser refuses a user name alone, so it gets the same url with ":password@".
std::string with_password_only_credentials(std::string_view url) {
  Result<net::Url> parts = net::parse_url(url, {"redis"});
  if (!parts.ok() || parts->has_password || parts->username.empty()) return std::string(url);
  const size_t user_info = url.find("://") + 3;
  return std::string(url.substr(0, user_info)) + ":" + std::string(url.substr(user_info));
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, std::optional<int> default_port,
                                 int min_port) {
  Result<net::HostPort> endpoint = net::parse_host_port(text, default_port, min_port);
  if (!endpoint.ok()) return endpoint.status();
  return HostPort{std::move(endpoint->host), endpoint->port};
}

Status apply_postgres_url(std::string_view url, PostgresConfig& config) {
  Result<net::Url> parts = net::parse_url(url, {"postgresql", "postgres"});
  if (!parts.ok()) return parts.status();
  config.user = std::move(parts->username);
  config.password = std::move(parts->password);
  Status authority = apply_postgres_authority(parts->hosts, config);
  if (!authority.ok()) return authority;
  Result<std::string> dbname = net::percent_decode(parts->path, "the url's database name");
  if (!dbname.ok()) return dbname.status();
  config.dbname = std::move(*dbname);
  return apply_postgres_query(parts->query, config);
}

Status apply_redis_url(std::string_view url, RedisConfig& config) {
  if (equals_ignoring_case(url.substr(0, 9), "rediss://")) {
    return invalid("TLS (rediss://) is not supported yet; use redis://");
  }
  Result<redis::ConnectionOptions> parsed =
      redis::parse_redis_url(with_password_only_credentials(url));
  if (!parsed.ok()) return explain_redis_refusal(url, parsed.status());
  config.username = std::move(parsed->username);
  config.password = std::move(parsed->password);
  config.addr = HostPort{std::move(parsed->host), parsed->port};
  config.db = parsed->db;
  return Status::Ok();
}

}  // namespace courier::config
