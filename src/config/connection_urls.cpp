#include "config/connection_urls.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "config/edit_distance.h"
#include "config/scalar_parsers.h"

namespace courier::config {
namespace {

constexpr int kMaxPort = 65535;
constexpr int kDefaultPostgresPort = 5432;
constexpr int kDefaultRedisPort = 6379;

constexpr std::string_view kPostgresUrlShape =
    "expected a url like 'postgresql://user:password@host:5432/dbname?sslmode=require'";
constexpr std::string_view kRedisUrlShape =
    "expected a url like 'redis://username:password@host:6379/0'";
constexpr std::string_view kEncodingAdvice =
    " (percent-encode '@', ':', '/', '?' and '%' inside a user name or password)";

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// The pieces of scheme://userinfo@authority/path?query, still percent-encoded.
struct UrlParts {
  std::string scheme;
  std::optional<std::string_view> userinfo;
  std::string_view authority;
  std::string_view path;  // without the leading '/'
  std::optional<std::string_view> query;
};

std::string comma_separated(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<UrlParts> split_url(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  UrlParts parts;
  parts.scheme = lowercase(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  // The last '@' ends the userinfo, so a password may contain '@', '/' and '?'.
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    parts.userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
  }
  if (std::size_t question = rest.find('?'); question != std::string_view::npos) {
    parts.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  std::size_t slash = rest.find('/');
  parts.authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) parts.path = rest.substr(slash + 1);
  return parts;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

struct Credentials {
  std::optional<std::string> user;
  std::optional<std::string> password;
};

// "user:password", ":password" or "word"; a word alone is the user unless `word_is_password`.
Result<Credentials> decode_userinfo(std::string_view userinfo, bool word_is_password) {
  Credentials credentials;
  std::size_t colon = userinfo.find(':');
  std::string_view user = userinfo.substr(0, colon);
  std::optional<std::string_view> password;
  if (colon != std::string_view::npos) {
    password = userinfo.substr(colon + 1);
  } else if (word_is_password) {
    password = user;
    user = {};
  }
  std::optional<std::string> decoded_user = percent_decode(user);
  std::optional<std::string> decoded_password = percent_decode(password.value_or(""));
  if (!decoded_user || !decoded_password) {
    return invalid("invalid '%' escape in the url's user name or password" +
                   std::string(kEncodingAdvice));
  }
  if (!decoded_user->empty()) credentials.user = std::move(decoded_user);
  if (password) credentials.password = std::move(decoded_password);
  return credentials;
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

std::optional<int> parse_port_number(std::string_view text, int min_port) {
  std::optional<std::int64_t> port = parse_integer(text);
  if (!port || *port < min_port || *port > kMaxPort || text.starts_with('+')) return std::nullopt;
  return static_cast<int>(*port);
}

// ---- postgresql:// -----------------------------------------------------------------------

constexpr std::array<std::string_view, 8> kPostgresQueryKeys = {
    "host", "port", "user", "password", "dbname", "sslmode", "connect_timeout", "application_name"};

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
    std::optional<int> port = parse_port_number(value, 1);
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

Status apply_postgres_query(std::string_view query, PostgresConfig& config) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t equals = pair.find('=');
    std::string_view key = pair.substr(0, equals);
    std::optional<std::string> value =
        percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    bool known = std::find(kPostgresQueryKeys.begin(), kPostgresQueryKeys.end(), key) !=
                 kPostgresQueryKeys.end();
    if (!known) return invalid(unsupported_parameter_message(key));
    if (!value) {
      return invalid("invalid '%' escape in the url's '" + std::string(key) + "' parameter");
    }
    Status applied = apply_postgres_parameter(key, std::move(*value), config);
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

Status check_redis_scheme(const std::string& scheme) {
  if (scheme == "redis") return Status::Ok();
  if (scheme == "rediss") return invalid("TLS (rediss://) is not supported yet; use redis://");
  return invalid("unsupported url scheme '" + scheme + "'; " + std::string(kRedisUrlShape));
}

Status apply_redis_db(std::string_view path, RedisConfig& config) {
  if (path.empty()) return Status::Ok();
  std::optional<std::int64_t> db = parse_integer(path);
  if (!db || *db < 0 || *db > std::numeric_limits<int>::max() || path.starts_with('+')) {
    return invalid("the url's database (after the last '/') must be a number such as 0");
  }
  config.db = static_cast<int>(*db);
  return Status::Ok();
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, std::optional<int> default_port,
                                 int min_port) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view host = text;
  std::optional<std::string_view> port_text;
  if (text.starts_with('[')) {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' in " + quoted);
    host = text.substr(1, close - 1);
    std::string_view after = text.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return invalid("unexpected text after ']' in " + quoted);
    if (!after.empty()) port_text = after.substr(1);
  } else if (std::size_t colon = text.find(':'); colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return invalid("write an IPv6 address in brackets, e.g. '[::1]:6379', not " + quoted);
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) {
    return invalid("missing host in " + quoted +
                   "; e.g. 'localhost:6379', or '0.0.0.0:8080' "
                   "to listen on every interface");
  }
  if (!port_text && !default_port)
    return invalid("missing port in " + quoted + "; expected 'host:port'");
  std::optional<int> port = port_text ? parse_port_number(*port_text, min_port) : default_port;
  if (!port) {
    return invalid("invalid port in " + quoted + "; expected an integer in " +
                   std::to_string(min_port) + ".." + std::to_string(kMaxPort));
  }
  return HostPort{std::string(host), *port};
}

Status apply_postgres_url(std::string_view url, PostgresConfig& config) {
  std::optional<UrlParts> parts = split_url(url);
  if (!parts) return invalid(std::string(kPostgresUrlShape));
  if (parts->scheme != "postgresql" && parts->scheme != "postgres") {
    return invalid("unsupported url scheme '" + parts->scheme + "'; " +
                   std::string(kPostgresUrlShape));
  }
  if (parts->userinfo) {
    Result<Credentials> credentials = decode_userinfo(*parts->userinfo, false);
    if (!credentials.ok()) return credentials.status();
    config.user = credentials->user.value_or("");
    config.password = credentials->password.value_or("");
  }
  Status authority = apply_postgres_authority(parts->authority, config);
  if (!authority.ok()) return authority;
  std::optional<std::string> dbname = percent_decode(parts->path);
  if (!dbname) return invalid("invalid '%' escape in the url's database name");
  config.dbname = std::move(*dbname);
  return parts->query ? apply_postgres_query(*parts->query, config) : Status::Ok();
}

Status apply_redis_url(std::string_view url, RedisConfig& config) {
  std::optional<UrlParts> parts = split_url(url);
  if (!parts) return invalid(std::string(kRedisUrlShape));
  Status scheme = check_redis_scheme(parts->scheme);
  if (!scheme.ok()) return scheme;
  if (parts->query) {
    return invalid("a redis url takes no '?' parameters; use the keys of the redis section" +
                   std::string(kEncodingAdvice));
  }
  if (parts->userinfo) {
    Result<Credentials> credentials = decode_userinfo(*parts->userinfo, true);
    if (!credentials.ok()) return credentials.status();
    config.username = credentials->user.value_or("");
    config.password = credentials->password.value_or("");
  }
  if (parts->authority.empty()) return invalid("missing host; " + std::string(kRedisUrlShape));
  Result<HostPort> endpoint = parse_url_authority(parts->authority, kDefaultRedisPort);
  if (!endpoint.ok()) return endpoint.status();
  config.addr = *endpoint;
  return apply_redis_db(parts->path, config);
}

}  // namespace courier::config
