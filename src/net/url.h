// Connection-string syntax shared by the pg, redis and config modules: percent-decoding,
// "host:port" / "[v6]:port", and scheme://user:password@hosts/path?key=value urls. What
// the parts mean (query keys, a path that is a database, defaults) is each module's own.
//
//   Result<Url> url = parse_url("redis://app:s3cret@cache:6380/2", {"redis"});
//   if (!url.ok()) return url.status();
//   Result<HostPort> address = parse_host_port(url->hosts, /*default_port=*/6379);
//
// Messages never contain a url's user info, so they never contain a password; those of
// parse_host_port quote its text, so pass it no text that may hold one.
// Thread-safety: pure functions and plain values.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/status.h"

namespace courier::net {

// Decodes %XX escapes; `what` names the text in the message ("the password").
Result<std::string> percent_decode(std::string_view text, std::string_view what = "the text");

struct HostPort {
  std::string host;  // without brackets: "::1"
  int port = 0;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// "host", "host:port", "[v6]" or "[v6]:port" cut into its parts; only the brackets are
// checked. `port` is absent without a ':' and empty after a trailing one ("host:").
// Messages name the problem only ("missing ']' after the IPv6 address"), without the text.
struct HostPortText {
  std::string_view host;
  std::optional<std::string_view> port;
};
Result<HostPortText> split_host_port(std::string_view text);

// Digits only (no sign) forming a number in min_port..65535.
std::optional<int> parse_port(std::string_view text, int min_port = 1);

// A host and a port in min_port..65535; without a port, `default_port` (an error if none).
Result<HostPort> parse_host_port(std::string_view text, std::optional<int> default_port,
                                 int min_port = 1);

// "host:port", or "[host]:port" when the host is an IPv6 address.
std::string format_host_port(std::string_view host, int port);

// scheme://[user[:password]@]hosts[/path][?key=value&…]
struct Url {
  std::string scheme;         // lower case, one of those allowed
  std::string username;       // decoded; empty when absent
  std::string password;       // decoded; empty when absent
  bool has_password = false;  // the user info had a ':' (so "user:@" has an empty password)
  std::string hosts;          // still encoded, as written: "db:5432", "[::1]", "a,b" or ""
  std::string path;           // still encoded, without its leading '/'
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
};

// The user info ends at the last '@' before the query, so a password may hold unencoded
// '@', ':' and '/'; the query starts at the first '?'. Empty query parameters ("a=1&&b=2")
// are skipped; every other one needs a '='.
Result<Url> parse_url(std::string_view text, std::initializer_list<std::string_view> schemes);

}  // namespace courier::net
