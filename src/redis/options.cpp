#include "redis/options.h"

#include <cctype>
#include <optional>

#include "net/url.h"
#include "text/integer.h"

namespace courier::redis {
namespace {

constexpr int kDefaultPort = 6379;

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// Unlike the config file, node addresses may be bare IPv6 literals ("::1"): a host with the
// default port.
bool is_bare_ipv6(std::string_view text) {
  return !text.starts_with('[') && text.find(':') != text.rfind(':');
}

// USER:PASSWORD or :PASSWORD; a user name alone (no ':') is refused.
Status set_credentials(net::Url& url, ConnectionOptions& options) {
  if (!url.has_password && !url.username.empty())
    return invalid("redis URL: credentials must be USER:PASSWORD@ or :PASSWORD@ (got no ':')");
  if (url.has_password && url.password.empty())
    return invalid("redis URL: the password after ':' is empty");
  options.username = std::move(url.username);
  options.password = std::move(url.password);
  return Status::Ok();
}

// The url path without its '/': "" or a database number.
Result<int> parse_db(std::string_view path) {
  if (path.empty()) return 0;
  std::optional<int> db = text::parse_integer<int>(path, {.min = 0});
  if (!db)
    return invalid("redis URL: the path must be a database number like /0, got '/" +
                   std::string(path) + "'");
  return *db;
}

Status check_timeout(std::chrono::milliseconds timeout, std::string_view name) {
  if (timeout.count() >= 0) return Status::Ok();
  return invalid("redis options: " + std::string(name) + " must not be negative");
}

}  // namespace

std::string NodeAddress::to_string() const {
  return net::format_host_port(host, port);
}

Result<NodeAddress> parse_address(std::string_view text) {
  if (is_bare_ipv6(text)) return NodeAddress{std::string(text), kDefaultPort};
  Result<net::HostPort> address = net::parse_host_port(text, kDefaultPort);
  if (!address.ok()) return invalid("redis address: " + address.status().message());
  return NodeAddress{std::move(address->host), address->port};
}

Result<ConnectionOptions> parse_redis_url(std::string_view url) {
  // Schemes are case-insensitive (RFC 3986): "REDIS://" is redis:// too.
  std::string scheme(url.substr(0, 9));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool tls = scheme.starts_with("rediss://");
  if (!tls && !scheme.starts_with("redis://"))
    return invalid(
        "redis URL must start with redis:// or rediss:// (TLS): "
        "redis://[USER:PASSWORD@]HOST[:PORT][/DB]");
  if (url.find_first_of("?#") != std::string_view::npos)
    return invalid("redis URL: query parameters are not supported; set options in the config");
  Result<net::Url> parts = net::parse_url(url, {"redis", "rediss"});
  if (!parts.ok()) return invalid("redis URL: " + parts.status().message());

  ConnectionOptions options;
  options.tls.enabled = tls;
  if (Status status = set_credentials(*parts, options); !status.ok()) return status;
  // Not quoted: without an '@', the host part may be "user:password".
  Result<NodeAddress> address = parse_address(parts->hosts);
  if (!address.ok())
    return invalid(
        "redis URL: the host or port is invalid; expected HOST, HOST:PORT or "
        "[IPV6]:PORT with a port from 1 to 65535");
  Result<int> db = parse_db(parts->path);
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
  if (connection.tls.cert_file.empty() != connection.tls.key_file.empty())
    return invalid(
        "redis options: tls.cert_file and tls.key_file go together; set both or neither");

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
