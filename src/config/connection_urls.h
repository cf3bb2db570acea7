// Connection addresses as written in the file: "host:port", postgresql:// and redis:// urls.
//
// Error messages never repeat the url: it may hold a password.
//
//   Result<HostPort> addr = parse_host_port("localhost:6379", /*default_port=*/6379, 1);
//   PostgresConfig pg;
//   Status s = apply_postgres_url("postgresql://app:secret@db:5432/shop?sslmode=require", pg);
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "config/courier_config.h"
#include "courier/status.h"

namespace courier::config {

// Parses "host:port", "[ipv6]:port", or a bare "host" when `default_port` is given. The
// port must lie in min_port..65535. Messages quote the text (addresses are not secret).
Result<HostPort> parse_host_port(std::string_view text, std::optional<int> default_port,
                                 int min_port);

// postgresql://[user[:password]@][host][:port][/dbname][?param=value&…]  ("postgres://" too),
// read by pg::parse_postgres_url: the client's own rules, so a url valid here means the same
// there. Sets host (empty: the local socket), port, user, password, dbname and, from the
// query, sslmode, sslrootcert, sslcert, sslkey, sslpassword, connect_timeout (whole
// seconds), application_name, keepalives_* and tcp_user_timeout; the query may also set host, port,
// user, password and dbname (e.g. host=/var/run/postgresql). Other parameters are refused, with a
// suggestion.
Status apply_postgres_url(std::string_view url, PostgresConfig& config);

// redis[s]://[[username]:password@]host[:port][/db] (rediss: TLS), read by redis::parse_redis_url:
// the client's own rules, so a url valid here is valid there. Userinfo without a ':' is a password,
// as in redis-plus-plus (and Red Courier's files). Percent-escapes are decoded.
Status apply_redis_url(std::string_view url, RedisConfig& config);

}  // namespace courier::config
