#include "pg/connection_options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace courier::pg {
namespace {

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};
// Keys ConnectionOptions has a field for; extra_parameters must not repeat them.
constexpr std::array<std::string_view, 8> kFieldKeys = {
    "host", "port", "user", "password", "dbname", "sslmode", "connect_timeout", "application_name"};

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool contains_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes. `part` names the URL part in the error; the value itself is never
// echoed because it may be the password.
Result<std::string> percent_decode(std::string_view encoded, std::string_view part) {
  std::string decoded;
  decoded.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      decoded += encoded[i];
      continue;
    }
    int high = i + 1 < encoded.size() ? hex_digit_value(encoded[i + 1]) : -1;
    int low = i + 2 < encoded.size() ? hex_digit_value(encoded[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return invalid("connection URL: the " + std::string(part) +
                     " has a '%' not followed by two hex digits; write a literal '%' as %25");
    }
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (contains_nul(decoded)) {
    return invalid("connection URL: the " + std::string(part) + " contains a NUL byte (%00)");
  }
  return decoded;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

Status set_port(ConnectionOptions& options, std::string_view text) {
  std::optional<int> port = parse_int(text);
  if (!port || *port < 1 || *port > 65535) {
    // The text is not echoed: in "user:password" without '@' it would be the password.
    return invalid("connection URL: the port is not a number between 1 and 65535");
  }
  options.port = *port;
  return Status::Ok();
}

Status set_connect_timeout(ConnectionOptions& options, std::string_view text) {
  std::optional<int> seconds = parse_int(text);
  if (!seconds || *seconds < 0) {
    return invalid("connection URL: connect_timeout '" + std::string(text) +
                   "' is not a whole number of seconds");
  }
  options.connect_timeout = std::chrono::seconds(*seconds);
  return Status::Ok();
}

// Applies one decoded key=value from the URL query string.
Status apply_query_parameter(ConnectionOptions& options, const std::string& key,
                             std::string value) {
  if (key == "port") return set_port(options, value);
  if (key == "connect_timeout") return set_connect_timeout(options, value);
  if (key == "host")
    options.host = std::move(value);
  else if (key == "user")
    options.user = std::move(value);
  else if (key == "password")
    options.password = std::move(value);
  else if (key == "dbname")
    options.dbname = std::move(value);
  else if (key == "sslmode")
    options.sslmode = std::move(value);
  else if (key == "application_name")
    options.application_name = std::move(value);
  else
    options.extra_parameters.emplace_back(key, std::move(value));
  return Status::Ok();
}

Status parse_query(ConnectionOptions& options, std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return invalid("connection URL: query parameter '" + std::string(pair.substr(0, eq)) +
                     "' must have the form key=value");
    }
    auto key = percent_decode(pair.substr(0, eq), "query parameter name");
    if (!key.ok()) return key.status();
    auto value = percent_decode(pair.substr(eq + 1), "value of query parameter " + *key);
    if (!value.ok()) return value.status();
    if (Status s = apply_query_parameter(options, *key, std::move(*value)); !s.ok()) return s;
  }
  return Status::Ok();
}

// "[::1]:5432", "db.local:6432", "db.local" or "" (keep the defaults).
Status parse_host_and_port(ConnectionOptions& options, std::string_view text) {
  if (text.find(',') != std::string_view::npos) {
    return invalid("connection URL: several hosts ('" + std::string(text) +
                   "') are not supported; give one host");
  }
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return invalid("connection URL: IPv6 address '" + std::string(text) + "' lacks its ']'");
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return invalid("connection URL: unexpected '" + std::string(rest) + "' after IPv6 address");
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!host.empty()) {
    auto decoded = percent_decode(host, "host");
    if (!decoded.ok()) return decoded.status();
    options.host = std::move(*decoded);
  }
  return port.empty() ? Status::Ok() : set_port(options, port);
}

Status parse_user_info(ConnectionOptions& options, std::string_view text) {
  size_t colon = text.find(':');
  auto user = percent_decode(text.substr(0, colon), "user name");
  if (!user.ok()) return user.status();
  options.user = std::move(*user);
  if (colon == std::string_view::npos) return Status::Ok();
  auto password = percent_decode(text.substr(colon + 1), "password");
  if (!password.ok()) return password.status();
  options.password = std::move(*password);
  return Status::Ok();
}

std::optional<std::string_view> strip_scheme(std::string_view url) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (url.starts_with(scheme)) return url.substr(scheme.size());
  }
  return std::nullopt;
}

// Keys like sslpassword hold secrets too; describe() and URL errors mask them.
bool is_secret_key(std::string_view key) {
  return key.find("password") != std::string_view::npos;
}

// The URL with its secrets replaced by ***, so errors can quote it: from the first ':'
// of the authority up to the last '@' anywhere (the widest reading of a password that
// lacks percent-encoding), or, without '@', up to the path or query (a port, or a
// password whose '@' is missing); then the values of secret query parameters.
std::string redact_url(std::string_view url) {
  size_t scheme_end = url.find("://");
  size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t at = url.rfind('@');
  bool has_user_info = at != std::string_view::npos && at >= start;
  size_t secret_end = has_user_info ? at : std::min(url.find_first_of("/?", start), url.size());
  size_t query_start = std::min(url.find('?', secret_end), url.size());
  size_t colon = url.find(':', start);
  std::string out;
  if (colon < secret_end) {
    out += url.substr(0, colon + 1);
    out += "***";
    out += url.substr(secret_end, query_start - secret_end);
  } else {
    out += url.substr(0, query_start);
  }
  std::string_view query = url.substr(query_start);
  while (!query.empty()) {
    size_t next = query.find('&', 1);
    std::string_view pair = query.substr(0, next);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_key(pair.substr(0, eq))) {
      out += pair.substr(0, eq + 1);
      out += "***";
    } else {
      out += pair;
    }
    query = next == std::string_view::npos ? std::string_view() : query.substr(next);
  }
  return out;
}

void append_quoted_value(std::string& out, std::string_view value) {
  out += '\'';
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

void append_keyword(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += '=';
  append_quoted_value(out, value);
}

bool is_field_key(std::string_view key) {
  return std::find(kFieldKeys.begin(), kFieldKeys.end(), key) != kFieldKeys.end();
}

bool is_valid_extra_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<ConnectionOptions> ConnectionOptions::from_url(std::string_view url) {
  std::optional<std::string_view> rest = strip_scheme(url);
  auto malformed = [&](const Status& cause) {
    return invalid(cause.message() + " (in '" + redact_url(url) + "')");
  };
  if (!rest) {
    return malformed(invalid("connection URL must start with postgresql:// or postgres://"));
  }
  if (rest->find('#') != std::string_view::npos) {
    return malformed(invalid("connection URL: '#' must be percent-encoded as %23"));
  }
  size_t query_start = rest->find('?');
  std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : rest->substr(query_start + 1);
  std::string_view before_query = rest->substr(0, query_start);
  size_t slash = before_query.find('/');
  std::string_view authority = before_query.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : before_query.substr(slash + 1);

  if (path.find('@') != std::string_view::npos) {
    return malformed(
        invalid("connection URL: '@' after the host; percent-encode '/', '?' and '@' in the user "
                "name and password as %2F, %3F and %40"));
  }
  ConnectionOptions options;
  // The last '@' ends the user info, so an unencoded '@' in a password still parses.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (Status s = parse_user_info(options, authority.substr(0, at)); !s.ok()) return malformed(s);
    authority = authority.substr(at + 1);
  }
  if (Status s = parse_host_and_port(options, authority); !s.ok()) return malformed(s);
  if (!path.empty()) {
    auto dbname = percent_decode(path, "database name");
    if (!dbname.ok()) return malformed(dbname.status());
    options.dbname = std::move(*dbname);
  }
  if (Status s = parse_query(options, query); !s.ok()) return malformed(s);
  if (Status s = options.validate(); !s.ok()) return malformed(s);
  return options;
}

Status ConnectionOptions::validate() const {
  if (host.empty())
    return invalid("connection options: host is empty; name a host or socket directory");
  if (port < 1 || port > 65535) {
    return invalid("connection options: port " + std::to_string(port) + " is outside 1..65535");
  }
  if (std::find(kSslModes.begin(), kSslModes.end(), sslmode) == kSslModes.end()) {
    return invalid("connection options: sslmode '" + sslmode +
                   "' is not one of disable, allow, prefer, require, verify-ca, verify-full");
  }
  if (connect_timeout.count() < 0)
    return invalid("connection options: connect_timeout is negative");
  if (contains_nul(host) || contains_nul(user) || contains_nul(password) || contains_nul(dbname) ||
      contains_nul(application_name)) {
    return invalid("connection options: a value contains a NUL byte");
  }
  for (const auto& [key, value] : extra_parameters) {
    if (!is_valid_extra_key(key) || is_field_key(key)) {
      return invalid("connection options: parameter '" + key +
                     "' is not a libpq keyword this client passes through (use the field "
                     "of the same name, or lower-case letters, digits and '_')");
    }
    if (contains_nul(value)) {
      return invalid("connection options: the value of '" + key + "' contains a NUL byte");
    }
  }
  return Status::Ok();
}

std::string ConnectionOptions::conninfo() const {
  std::string out;
  append_keyword(out, "host", host);
  append_keyword(out, "port", std::to_string(port));
  if (!user.empty()) append_keyword(out, "user", user);
  if (!password.empty()) append_keyword(out, "password", password);
  if (!dbname.empty()) append_keyword(out, "dbname", dbname);
  append_keyword(out, "sslmode", sslmode);
  append_keyword(out, "connect_timeout", std::to_string(connect_timeout.count()));
  append_keyword(out, "application_name", application_name);
  for (const auto& [key, value] : extra_parameters) append_keyword(out, key, value);
  return out;
}

std::string ConnectionOptions::describe() const {
  std::string out = "postgresql://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += '@';
  }
  bool ipv6 = host.find(':') != std::string::npos;
  out += ipv6 ? "[" + host + "]" : host;
  out += ':' + std::to_string(port) + '/' + dbname;
  out += "?sslmode=" + sslmode;
  out += "&connect_timeout=" + std::to_string(connect_timeout.count());
  out += "&application_name=" + application_name;
  for (const auto& [key, value] : extra_parameters) {
    out += '&' + key + '=' + (is_secret_key(key) ? std::string("***") : value);
  }
  return out;
}

}  // namespace courier::pg
