#include "pg/connection_options.h"

#include <algorithm>
#include <array>

#include "net/url.h"
#include "pg/postgres_url.h"

namespace courier::pg {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool contains_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// Keys like sslpassword hold secrets too; describe() masks them.
bool is_secret_key(std::string_view key) {
  return key.find("password") != std::string_view::npos;
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

// Keys ConnectionOptions has a field for; extra_parameters must not repeat them.
bool is_field_key(std::string_view key) {
  return std::find(kPostgresUrlKeys.begin(), kPostgresUrlKeys.end(), key) != kPostgresUrlKeys.end();
}

bool is_valid_extra_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The TLS file settings by libpq keyword, in the order conninfo() and describe() give them.
std::array<std::pair<std::string_view, const std::string*>, 4> tls_files(
    const ConnectionOptions& options) {
  return {{{"sslrootcert", &options.sslrootcert},
           {"sslcert", &options.sslcert},
           {"sslkey", &options.sslkey},
           {"sslpassword", &options.sslpassword}}};
}

}  // namespace

Result<ConnectionOptions> ConnectionOptions::from_url(std::string_view url) {
  Result<PostgresUrl> parsed = parse_postgres_url(url);
  if (!parsed.ok()) return parsed.status();
  ConnectionOptions options;
  options.host = std::move(parsed->host);
  options.port = parsed->port;
  options.user = std::move(parsed->user);
  options.password = std::move(parsed->password);
  options.dbname = std::move(parsed->dbname);
  options.sslmode = parsed->sslmode.value_or(options.sslmode);
  options.sslrootcert = std::move(parsed->sslrootcert);
  options.sslcert = std::move(parsed->sslcert);
  options.sslkey = std::move(parsed->sslkey);
  options.sslpassword = std::move(parsed->sslpassword);
  options.connect_timeout = parsed->connect_timeout.value_or(options.connect_timeout);
  options.application_name = parsed->application_name.value_or(options.application_name);
  options.keepalives = parsed->keepalives.value_or(options.keepalives);
  options.keepalives_idle = parsed->keepalives_idle.value_or(options.keepalives_idle);
  options.keepalives_interval = parsed->keepalives_interval.value_or(options.keepalives_interval);
  options.keepalives_count = parsed->keepalives_count.value_or(options.keepalives_count);
  options.tcp_user_timeout = parsed->tcp_user_timeout.value_or(options.tcp_user_timeout);
  options.extra_parameters = std::move(parsed->other_parameters);
  if (Status s = options.validate(); !s.ok()) return s;
  return options;
}

Status ConnectionOptions::validate() const {
  if (port < 1 || port > 65535) {
    return invalid("connection options: port " + std::to_string(port) + " is outside 1..65535");
  }
  if (std::find(kPostgresSslModes.begin(), kPostgresSslModes.end(), sslmode) ==
      kPostgresSslModes.end()) {
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
      contains_nul(application_name) || contains_nul(sslrootcert) || contains_nul(sslcert) ||
      contains_nul(sslkey) || contains_nul(sslpassword)) {
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
  if (!host.empty()) append_keyword(out, "host", host);  // empty: libpq's default
  append_keyword(out, "port", std::to_string(port));
  if (!user.empty()) append_keyword(out, "user", user);
  if (!password.empty()) append_keyword(out, "password", password);
  if (!dbname.empty()) append_keyword(out, "dbname", dbname);
  append_keyword(out, "sslmode", sslmode);
  for (const auto& [key, value] : tls_files(*this)) {
    if (!value->empty()) append_keyword(out, key, *value);
  }
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
  for (const auto& [key, value] : tls_files(*this)) {
    if (!value->empty())
      out += '&' + std::string(key) + '=' + (is_secret_key(key) ? "***" : *value);
  }
  out += "&connect_timeout=" + std::to_string(connect_timeout.count());
  out += "&application_name=" + application_name;
  for (const auto& [key, value] : extra_parameters) {
    out += '&' + key + '=' + (is_secret_key(key) ? std::string("***") : value);
  }
  return out;
}

}  // namespace courier::pg
