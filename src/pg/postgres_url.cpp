#include "pg/postgres_url.h"

#include <algorithm>
#include <cstdint>

#include "net/url.h"
#include "text/integer.h"

namespace courier::pg {
namespace {

constexpr std::int64_t kMaxSeconds = 86'400;  // a day: longer is a typo, not a setting
constexpr std::int64_t kMaxKeepaliveCount = 100;
constexpr std::int64_t kMaxMilliseconds = 86'400'000;

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool contains_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// A whole number in 1..max; a leading '+' is allowed.
std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t max) {
  return text::parse_integer<std::int64_t>(
      text, {.min = 1, .max = max, .signs = text::Signs::kPlusMinus});
}

// Not quoted: a badly encoded password may have spilled into the host or port.
Status invalid_authority() {
  return invalid(
      "the url's host or port is invalid; expected 'host', 'host:port' or '[ipv6]:port' with a "
      "port in 1..65535 (percent-encode '@', ':', '/', '?' and '%' inside a user name or "
      "password)");
}

// "db:5432", "[::1]", "%2Ftmp" (a socket directory), ":6000" or "". As in libpq, an empty
// host or port keeps its default, and the host may be percent-encoded.
Status read_authority(std::string_view authority, PostgresUrl& url) {
  if (authority.find(',') != std::string_view::npos) {
    return invalid("a url with several hosts is not supported; name one host");
  }
  Result<net::HostPortText> parts = net::split_host_port(authority);
  if (!parts.ok()) return invalid_authority();
  Result<std::string> host = net::percent_decode(parts->host, "the url's host");
  if (!host.ok()) return host.status();
  url.host = std::move(*host);
  if (!parts->port || parts->port->empty()) return Status::Ok();
  std::optional<int> port = net::parse_port(*parts->port);
  if (!port) return invalid_authority();
  url.port = *port;
  return Status::Ok();
}

Status read_sslmode(std::string_view text, PostgresUrl& url) {
  std::string mode = lower_case(text);
  if (std::find(kPostgresSslModes.begin(), kPostgresSslModes.end(), mode) ==
      kPostgresSslModes.end()) {
    return invalid(
        "the url's sslmode must be one of disable, allow, prefer, require, verify-ca, "
        "verify-full");
  }
  url.sslmode = std::move(mode);
  return Status::Ok();
}

// keepalives_* and tcp_user_timeout, in libpq's units: a whole number in 1..`max`.
template <typename Field>
Status read_count(std::string_view key, std::string_view text, std::int64_t max,
                  std::optional<Field>& field) {
  std::optional<std::int64_t> count = parse_count(text, max);
  if (!count) {
    return invalid("the url's " + std::string(key) + " must be a whole number in 1.." +
                   std::to_string(max));
  }
  field = Field(*count);
  return Status::Ok();
}

// One decoded key=value of the query.
Status read_parameter(const std::string& key, std::string value, PostgresUrl& url) {
  if (key == "port") {
    std::optional<int> port = net::parse_port(value);
    if (!port) return invalid("the url's port parameter must be an integer in 1..65535");
    url.port = *port;
  } else if (key == "connect_timeout") {
    std::optional<std::int64_t> seconds = parse_count(value, kMaxSeconds);
    if (!seconds) return invalid("the url's connect_timeout must be whole seconds in 1..86400");
    url.connect_timeout = std::chrono::seconds(*seconds);
  } else if (key == "keepalives") {
    if (value != "0" && value != "1") return invalid("the url's keepalives must be 0 or 1");
    url.keepalives = value == "1";
  } else if (key == "keepalives_idle") {
    return read_count(key, value, kMaxSeconds, url.keepalives_idle);
  } else if (key == "keepalives_interval") {
    return read_count(key, value, kMaxSeconds, url.keepalives_interval);
  } else if (key == "keepalives_count") {
    return read_count(key, value, kMaxKeepaliveCount, url.keepalives_count);
  } else if (key == "tcp_user_timeout") {
    return read_count(key, value, kMaxMilliseconds, url.tcp_user_timeout);
  } else if (key == "sslmode") {
    return read_sslmode(value, url);
  } else if (key == "sslrootcert") {
    url.sslrootcert = std::move(value);
  } else if (key == "sslcert") {
    url.sslcert = std::move(value);
  } else if (key == "sslkey") {
    url.sslkey = std::move(value);
  } else if (key == "sslpassword") {
    url.sslpassword = std::move(value);
  } else if (key == "host") {
    url.host = std::move(value);
  } else if (key == "user") {
    url.user = std::move(value);
  } else if (key == "password") {
    url.password = std::move(value);
  } else if (key == "dbname") {
    url.dbname = std::move(value);
  } else if (key == "application_name") {
    url.application_name = std::move(value);
  } else {
    url.other_parameters.emplace_back(key, std::move(value));
  }
  return Status::Ok();
}

// libpq reads C strings: a decoded %00 would silently cut a value short.
Status refuse_nul_bytes(const PostgresUrl& url) {
  const std::pair<std::string_view, const std::string*> parts[] = {
      {"host", &url.host},
      {"user name", &url.user},
      {"password", &url.password},
      {"database name", &url.dbname},
      {"sslrootcert", &url.sslrootcert},
      {"sslcert", &url.sslcert},
      {"sslkey", &url.sslkey},
      {"sslpassword", &url.sslpassword},
      {"application_name", url.application_name ? &*url.application_name : nullptr}};
  for (const auto& [name, value] : parts) {
    if (value != nullptr && contains_nul(*value)) {
      return invalid("the url's " + std::string(name) + " contains a NUL byte (%00)");
    }
  }
  for (const auto& [key, value] : url.other_parameters) {
    if (contains_nul(key) || contains_nul(value)) {
      return invalid("a parameter of the url contains a NUL byte (%00)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PostgresUrl> parse_postgres_url(std::string_view text) {
  Result<net::Url> parts = net::parse_url(text, {"postgresql", "postgres"});
  if (!parts.ok()) return parts.status();
  // net::parse_url knows no fragments; refused rather than read as part of a value.
  if (text.find('#') != std::string_view::npos) {
    return invalid("a '#' in the url must be percent-encoded as %23");
  }
  PostgresUrl url;
  url.user = std::move(parts->username);
  url.password = std::move(parts->password);
  if (Status s = read_authority(parts->hosts, url); !s.ok()) return s;
  Result<std::string> dbname = net::percent_decode(parts->path, "the url's database name");
  if (!dbname.ok()) return dbname.status();
  url.dbname = std::move(*dbname);
  for (auto& [key, value] : parts->query) {
    if (Status s = read_parameter(key, std::move(value), url); !s.ok()) return s;
  }
  if (Status s = refuse_nul_bytes(url); !s.ok()) return s;
  return url;
}

}  // namespace courier::pg
