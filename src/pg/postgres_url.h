// parse_postgres_url: the one reading of postgresql:// urls, for the client
// (ConnectionOptions::from_url) and for the configuration file (postgres.url), so a url
// means the same wherever it is written.
//
//   Result<PostgresUrl> url = parse_postgres_url("postgresql://app:pw@db/shop?sslmode=require");
//   if (!url.ok()) return url.status();  // never quotes the url: it may hold a password
//   if (url->sslmode) use(*url->sslmode);  // absent: the reader's own default
//
// Thread-safety: a pure function and plain values.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/status.h"

namespace courier::pg {

inline constexpr int kDefaultPostgresPort = 5432;

// libpq's sslmode values, weakest first.
inline constexpr std::array<std::string_view, 6> kPostgresSslModes = {
    "disable", "allow", "prefer", "require", "verify-ca", "verify-full"};

// The query keys PostgresUrl has a field for; any other key lands in other_parameters.
// clang-format off
inline constexpr std::array<std::string_view, 17> kPostgresUrlKeys = {
    "host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "sslcert", "sslkey",
    "sslpassword", "connect_timeout", "application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
// clang-format on

// What a url says. The query may repeat host, port, user, password and dbname; the last
// word wins. Settings the url leaves out are absent, so each reader keeps its own default.
struct PostgresUrl {
  std::string host;  // decoded; empty: libpq's default (PGHOST, else the local Unix socket)
  int port = kDefaultPostgresPort;
  std::string user;                    // empty: libpq's default (the operating-system user)
  std::string password;                // empty: none
  std::string dbname;                  // empty: libpq's default (the same as user)
  std::optional<std::string> sslmode;  // one of kPostgresSslModes, lower case
  // TLS files, paths as libpq takes them; empty: libpq's default (~/.postgresql/...).
  std::string sslrootcert;  // PEM CA certificates that may sign the server's certificate
  std::string sslcert;      // PEM client certificate
  std::string sslkey;       // the client certificate's private key
  std::string sslpassword;  // passphrase of an encrypted sslkey; empty: none
  std::optional<std::chrono::seconds> connect_timeout;  // 1..86400
  std::optional<std::string> application_name;
  // TCP keepalives, in libpq's units.
  std::optional<bool> keepalives;                             // keepalives=0|1
  std::optional<std::chrono::seconds> keepalives_idle;        // 1..86400
  std::optional<std::chrono::seconds> keepalives_interval;    // 1..86400
  std::optional<int> keepalives_count;                        // 1..100
  std::optional<std::chrono::milliseconds> tcp_user_timeout;  // 1..86400000
  // Every other key=value, decoded, in the url's order (libpq keywords such as
  // target_session_attrs); the reader decides whether to pass them on or refuse them.
  std::vector<std::pair<std::string, std::string>> other_parameters;
};

// postgresql://[user[:password]@][host][:port][/dbname][?key=value&…] ("postgres://" too).
// Parts are percent-decoded; the user info ends at the last '@', so a password may hold
// unencoded ':', '@' and '/'. Refused with kInvalidArgument: another scheme, several hosts
// ("a,b"), a '#' anywhere, a bad %-escape, a decoded NUL byte, a value out of its range.
// Messages name the part at fault, never its text.
Result<PostgresUrl> parse_postgres_url(std::string_view url);

}  // namespace courier::pg
