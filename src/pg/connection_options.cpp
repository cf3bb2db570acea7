#include "pg/connection_options.h"

#include <algorithm>
#include <array>
#include <optional>

#include "net/url.h"
#include "text/integer.h"

namespace courier::pg {
namespace {

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};
// Keys ConnectionOptions has a field for; extra_parameters must not repeat them.
// clang-format off
constexpr std::array<std::string_view, 13> kFieldKeys = {
    "host", "port", "user", "password", "dbname", "sslmode", "connect_timeout",
    "application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout"};
// clang-format on

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool contains_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// Decodes %XX escapes in a part of the URL; the message names the part, never the value.
Result<std::string> decode(std::string_view encoded, std::string_view part) {
  Result<std::string> decoded = net::percent_decode(encoded, "the " + std::string(part));
  if (!decoded.ok()) return invalid("connection URL: " + decoded.status().message());
  return decoded;
}

Status set_port(ConnectionOptions& options, std::string_view text) {
  std::optional<int> port = net::parse_port(text);
  if (!port) {
    // The text is not echoed: in "user:password" without '@' it would be the password.
    return invalid("connection URL: the port is not a number between 1 and 65535");
  }
  options.port = *port;
  return Status::Ok();
}

// Sets `field` from a whole number >= 0 in `unit`s (libpq's unit for that keyword).
template <typename Field>
Status set_count(Field& field, std::string_view key, std::string_view text, std::string_view unit) {
  std::optional<int> value = text::parse_integer<int>(text, {.min = 0});
  if (!value) {
    return invalid("connection URL: " + std::string(key) + " '" + std::string(text) +
                   "' is not a whole number of " + std::string(unit));
  }
  field = Field(*value);
  return Status::Ok();
}

// Applies one decoded key=value from the URL query string.
Status apply_query_parameter(ConnectionOptions& options, const std::string& key,
                             std::string value) {
  if (key == "port") return set_port(options, value);
  if (key == "connect_timeout") return set_count(options.connect_timeout, key, value, "seconds");
  if (key == "keepalives_idle") return set_count(options.keepalives_idle, key, value, "seconds");
  if (key == "keepalives_interval")
    return set_count(options.keepalives_interval, key, value, "seconds");
  if (key == "keepalives_count") return set_count(options.keepalives_count, key, value, "probes");
  if (key == "tcp_user_timeout")
    return set_count(options.tcp_user_timeout, key, value, "milliseconds");
  if (key == "keepalives") {
    if (value != "0" && value != "1") return invalid("connection URL: keepalives must be 0 or 1");
    options.keepalives = value == "1";
    return Status::Ok();
  }
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

// "[::1]:5432", "db.local:6432", "%2Ftmp" (a socket directory) or "". As in libpq, an empty
// host or port keeps its default, and the host may be percent-encoded.
Status parse_host_and_port(ConnectionOptions& options, std::string_view text) {
  if (text.find(',') != std::string_view::npos) {
    return invalid("connection URL: several hosts are not supported; give one host");
  }
  Result<net::HostPortText> parts = net::split_host_port(text);
  if (!parts.ok()) return invalid("connection URL: " + parts.status().message() + " in the host");
  if (!parts->host.empty()) {
    Result<std::string> host = decode(parts->host, "host");
    if (!host.ok()) return host.status();
    options.host = std::move(*host);
  }
  bool has_port = parts->port && !parts->port->empty();
  return has_port ? set_port(options, *parts->port) : Status::Ok();
}

// Stricter than net::parse_url, like libpq: a '#', or a '/' before the user info's '@'
// (which libpq would read as the start of the path), must be percent-encoded. `url` has
// passed net::parse_url.
Status check_reserved_characters(std::string_view url) {
  if (url.find('#') != std::string_view::npos) {
    return invalid("connection URL: '#' must be percent-encoded as %23");
  }
  std::string_view rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('?'));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos && rest.substr(0, at).find('/') != std::string_view::npos) {
    return invalid(
        "connection URL: '@' after the host; percent-encode '/', '?' and '@' in the user name "
        "and password as %2F, %3F and %40");
  }
  return Status::Ok();
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
  auto malformed = [&](const Status& cause) {
    return invalid(cause.message() + " (in '" + redact_url(url) + "')");
  };
  Result<net::Url> parts = net::parse_url(url, {"postgresql", "postgres"});
  if (!parts.ok()) return malformed(invalid("connection URL: " + parts.status().message()));
  if (Status s = check_reserved_characters(url); !s.ok()) return malformed(s);
  ConnectionOptions options;
  options.user = std::move(parts->username);
  options.password = std::move(parts->password);
  if (Status s = parse_host_and_port(options, parts->hosts); !s.ok()) return malformed(s);
  if (!parts->path.empty()) {
    Result<std::string> dbname = decode(parts->path, "database name");
    if (!dbname.ok()) return malformed(dbname.status());
    options.dbname = std::move(*dbname);
  }
  for (auto& [key, value] : parts->query) {
    Status s = apply_query_parameter(options, key, std::move(value));
    if (!s.ok()) return malformed(s);
  }
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
  if (keepalives_idle.count() < 0 || keepalives_interval.count() < 0 || keepalives_count < 0 ||
      tcp_user_timeout.count() < 0 || statement_timeout.count() < 0 || reply_grace.count() < 0) {
    return invalid(
        "connection options: keepalives_idle, keepalives_interval, keepalives_count, "
        "tcp_user_timeout, statement_timeout and reply_grace must not be negative");
  }
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
  append_keyword(out, "keepalives", keepalives ? "1" : "0");
  if (keepalives) {
    append_keyword(out, "keepalives_idle", std::to_string(keepalives_idle.count()));
    append_keyword(out, "keepalives_interval", std::to_string(keepalives_interval.count()));
    append_keyword(out, "keepalives_count", std::to_string(keepalives_count));
  }
  append_keyword(out, "tcp_user_timeout", std::to_string(tcp_user_timeout.count()));
  // libpq keeps only the last `options`: ours and the caller's go in one.
  std::string server_options;
  if (statement_timeout.count() > 0)
    server_options = "-c statement_timeout=" + std::to_string(statement_timeout.count());
  for (const auto& [key, value] : extra_parameters) {
    if (key == "options")
      server_options += (server_options.empty() ? "" : " ") + value;
    else
      append_keyword(out, key, value);
  }
  if (!server_options.empty()) append_keyword(out, "options", server_options);
  return out;
}

std::string ConnectionOptions::describe() const {
  std::string out = "postgresql://";
  if (!user.empty() || !password.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += '@';
  }
  out += net::format_host_port(host, port) + '/' + dbname;
  out += "?sslmode=" + sslmode;
  out += "&connect_timeout=" + std::to_string(connect_timeout.count());
  out += "&application_name=" + application_name;
  for (const auto& [key, value] : extra_parameters) {
    out += '&' + key + '=' + (is_secret_key(key) ? std::string("***") : value);
  }
  return out;
}

}  // namespace courier::pg
