#include "redis/options.h"

#include <charconv>
#include <optional>

namespace courier::redis {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<int> hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// Decodes %XX escapes, so passwords may hold '@', ':' or '/'.
Result<std::string> percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    bool complete = i + 2 < text.size();
    std::optional<int> high = complete ? hex_digit(text[i + 1]) : std::nullopt;
    std::optional<int> low = complete ? hex_digit(text[i + 2]) : std::nullopt;
    if (!high || !low)
      return invalid("redis URL: bad %-escape in the " + std::string(what) +
                     "; write a literal '%' as %25");
    out += static_cast<char>(*high * 16 + *low);
    i += 2;
  }
  return out;
}

struct HostAndPort {
  std::string_view host;
  std::optional<std::string_view> port;
};

// "h", "h:p", "[v6]", "[v6]:p"; a bare IPv6 literal ("::1") has no port.
Result<HostAndPort> split_host_port(std::string_view text) {
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos)
      return invalid("redis address '" + std::string(text) + "': missing ']' after the IPv6 host");
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return HostAndPort{text.substr(1, close - 1), std::nullopt};
    if (!rest.starts_with(':'))
      return invalid("redis address '" + std::string(text) + "': expected ':PORT' after ']'");
    return HostAndPort{text.substr(1, close - 1), rest.substr(1)};
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos)
    return HostAndPort{text, std::nullopt};
  return HostAndPort{text.substr(0, colon), text.substr(colon + 1)};
}

struct Credentials {
  std::string username;
  std::string password;
};

Result<Credentials> parse_credentials(std::string_view userinfo) {
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos)
    return invalid("redis URL: credentials must be USER:PASSWORD@ or :PASSWORD@ (got no ':')");
  Result<std::string> username = percent_decode(userinfo.substr(0, colon), "user name");
  if (!username.ok()) return username.status();
  Result<std::string> password = percent_decode(userinfo.substr(colon + 1), "password");
  if (!password.ok()) return password.status();
  if (password->empty()) return invalid("redis URL: the password after ':' is empty");
  return Credentials{std::move(*username), std::move(*password)};
}

Result<int> parse_db(std::string_view path) {
  if (path.empty() || path == "/") return 0;
  std::optional<int> db = parse_int(path.substr(1));
  if (!db || *db < 0)
    return invalid("redis URL: the path must be a database number like /0, got '" +
                   std::string(path) + "'");
  return *db;
}

Status check_timeout(std::chrono::milliseconds timeout, std::string_view name) {
  if (timeout.count() >= 0) return Status::Ok();
  return invalid("redis options: " + std::string(name) + " must not be negative");
}

}  // namespace

std::string NodeAddress::to_string() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<NodeAddress> parse_address(std::string_view text) {
  Result<HostAndPort> parts = split_host_port(text);
  if (!parts.ok()) return parts.status();
  if (parts->host.empty())
    return invalid("redis address '" + std::string(text) + "': the host is empty (want HOST:PORT)");
  NodeAddress address{std::string(parts->host), 6379};
  if (parts->port) {
    std::optional<int> port = parse_int(*parts->port);
    if (!port || *port < 1 || *port > 65535)
      return invalid("redis address '" + std::string(text) +
                     "': the port must be a number from 1 to 65535");
    address.port = *port;
  }
  return address;
}

Result<ConnectionOptions> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://"))
    return invalid("redis URL: TLS (rediss://) is not supported; use redis://");
  if (!url.starts_with(kScheme))
    return invalid("redis URL '" + std::string(url) +
                   "' must start with redis:// (redis://[USER:PASSWORD@]HOST[:PORT][/DB])");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
    return invalid("redis URL: query parameters are not supported; set options in the config");

  ConnectionOptions options;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    Result<Credentials> credentials = parse_credentials(rest.substr(0, at));
    if (!credentials.ok()) return credentials.status();
    options.username = std::move(credentials->username);
    options.password = std::move(credentials->password);
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);

  Result<NodeAddress> address = parse_address(authority);
  if (!address.ok()) return invalid("redis URL: " + address.status().message());
  Result<int> db = parse_db(path);
  if (!db.ok()) return db.status();
  options.host = std::move(address->host);
  options.port = address->port;
  options.db = *db;
  return options;
}

Result<std::vector<NodeAddress>> validate_client_options(const ClientOptions& options) {
  const ConnectionOptions& connection = options.connection;
  for (Status status : {check_timeout(connection.connect_timeout, "connect_timeout"),
                        check_timeout(connection.socket_timeout, "socket_timeout")}) {
    if (!status.ok()) return status;
  }
  if (connection.db < 0) return invalid("redis options: db must not be negative");
  if (options.max_redirects < 0)
    return invalid("redis options: max_redirects must not be negative");
  if (options.topology == Topology::kCluster && connection.db != 0)
    return invalid("redis options: a cluster has only db 0; remove the db setting");
  if (!connection.username.empty() && connection.password.empty())
    return invalid("redis options: a user name needs a password");

  std::vector<NodeAddress> addresses;
  if (options.nodes.empty()) addresses.push_back(connection.address());
  for (const std::string& node : options.nodes) {
    Result<NodeAddress> address = parse_address(node);
    if (!address.ok()) return address.status();
    addresses.push_back(std::move(*address));
  }
  return addresses;
}

}  // namespace courier::redis
