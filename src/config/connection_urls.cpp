#include "config/connection_urls.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/edit_distance.h"
#include "net/url.h"
#include "pg/postgres_url.h"
#include "redis/options.h"

namespace courier::config {
namespace {

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

// ---- postgresql:// -----------------------------------------------------------------------

// The url's keys PostgresConfig has a setting for: the pg reader's, but for `keepalives`
// (always on here; the file has no switch for it).
std::vector<std::string> supported_postgres_parameters() {
  std::vector<std::string> supported;
  for (std::string_view key : pg::kPostgresUrlKeys) {
    if (key != "keepalives") supported.emplace_back(key);
  }
  return supported;
}

std::string unsupported_parameter_message(std::string_view key) {
  std::vector<std::string> supported = supported_postgres_parameters();
  std::string message = "unsupported url parameter '" + std::string(key) + "'";
  if (std::optional<std::string> nearest = nearest_name(key, supported)) {
    return message + "; did you mean '" + *nearest + "'?";
  }
  return message + "; supported: " + comma_separated(supported);
}

// The url's value converted to the setting's type (seconds to milliseconds); absent: unchanged.
template <typename Value, typename Setting>
void set_if_given(std::optional<Value>& value, Setting& setting) {
  if (value) setting = std::move(*value);
}
// A path the url leaves out is empty.
void set_if_given(std::string& value, std::string& setting) {
  if (!value.empty()) setting = std::move(value);
}

PostgresSslMode sslmode_named(std::string_view name) {
  for (const auto& mode : kPostgresSslModeNames) {
    if (mode.name == name) return mode.value;
  }
  return PostgresSslMode::kDisable;  // unreachable: the pg reader checked the name
}

// ---- redis:// ----------------------------------------------------------------------------

// The redis module's parser decides what a redis:// url means; a refusal it shares with a
// plainer reason is reworded here for the file. Never quotes the url (it may hold a password).
Status explain_redis_refusal(std::string_view url, const Status& refused) {
  Result<net::Url> parts = net::parse_url(url, {"redis", "rediss"});
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
  Result<net::Url> parts = net::parse_url(url, {"redis", "rediss"});
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

// pg::parse_postgres_url decides what the url means; the file refuses what it has no
// setting for, and keeps its own defaults for what the url leaves out.
Status apply_postgres_url(std::string_view url, PostgresConfig& config) {
  Result<pg::PostgresUrl> parsed = pg::parse_postgres_url(url);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->other_parameters.empty()) {
    return invalid(unsupported_parameter_message(parsed->other_parameters.front().first));
  }
  if (parsed->keepalives) return invalid(unsupported_parameter_message("keepalives"));
  config.host = std::move(parsed->host);
  config.port = parsed->port;
  config.user = std::move(parsed->user);
  config.password = std::move(parsed->password);
  config.dbname = std::move(parsed->dbname);
  if (parsed->sslmode) config.sslmode = sslmode_named(*parsed->sslmode);
  set_if_given(parsed->sslrootcert, config.sslrootcert);
  set_if_given(parsed->sslcert, config.sslcert);
  set_if_given(parsed->sslkey, config.sslkey);
  set_if_given(parsed->sslpassword, config.sslpassword);
  set_if_given(parsed->connect_timeout, config.connect_timeout);
  set_if_given(parsed->application_name, config.application_name);
  set_if_given(parsed->keepalives_idle, config.keepalives_idle);
  set_if_given(parsed->keepalives_interval, config.keepalives_interval);
  set_if_given(parsed->keepalives_count, config.keepalives_count);
  set_if_given(parsed->tcp_user_timeout, config.tcp_user_timeout);
  return Status::Ok();
}

Status apply_redis_url(std::string_view url, RedisConfig& config) {
  Result<redis::ConnectionOptions> parsed =
      redis::parse_redis_url(with_password_only_credentials(url));
  if (!parsed.ok()) return explain_redis_refusal(url, parsed.status());
  config.username = std::move(parsed->username);
  config.password = std::move(parsed->password);
  config.addr = HostPort{std::move(parsed->host), parsed->port};
  config.db = parsed->db;
  config.tls.enabled = config.tls.enabled || parsed->tls.enabled;
  return Status::Ok();
}

}  // namespace courier::config
