#include "config/courier_config.h"

#include <algorithm>

#include "config/scalar_parsers.h"

namespace courier::config {
namespace {

template <typename Names, typename Enum>
std::string_view name_of(const Names& names, Enum value) {
  for (const auto& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return "unknown";
}

std::string masked(const std::string& secret) {
  return secret.empty() ? "(none)" : "***";
}

std::string or_default(const std::string& value) {
  return value.empty() ? "(default)" : value;
}

// A libpq conninfo value: single-quoted, with ' and \ escaped.
std::string conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

void append_conninfo(std::string& conninfo, std::string_view keyword, std::string_view value) {
  if (value.empty()) return;
  if (!conninfo.empty()) conninfo += ' ';
  conninfo += std::string(keyword) + '=' + conninfo_value(value);
}

// libpq takes whole seconds; round up so a short timeout never becomes "wait forever" (0).
std::int64_t whole_seconds_rounded_up(std::chrono::milliseconds duration) {
  return std::max<std::int64_t>(1, (duration.count() + 999) / 1000);
}

std::string join_endpoints(const std::vector<HostPort>& endpoints) {
  std::string out;
  for (const HostPort& endpoint : endpoints) {
    if (!out.empty()) out += ',';
    out += endpoint.to_string();
  }
  return out;
}

// "off", or how the server is checked and with which files (paths are not secrets).
std::string tls_description(const RedisTlsConfig& tls) {
  if (!tls.enabled) return "off";
  std::string text = tls.verify ? "verify" : "no-verify";
  if (!tls.ca_file.empty()) text += " ca_file=" + tls.ca_file;
  if (!tls.cert_file.empty()) text += " cert_file=" + tls.cert_file;
  if (!tls.server_name.empty()) text += " server_name=" + tls.server_name;
  return text;
}

}  // namespace

std::string HostPort::to_string() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string_view to_string(PostgresSslMode mode) {
  return name_of(kPostgresSslModeNames, mode);
}
std::string_view to_string(LogLevel level) {
  return name_of(kLogLevelNames, level);
}
std::string_view to_string(LogFormat format) {
  return name_of(kLogFormatNames, format);
}

std::string PostgresConfig::conninfo() const {
  std::string conninfo;
  append_conninfo(conninfo, "host", host);
  append_conninfo(conninfo, "port", std::to_string(port));
  append_conninfo(conninfo, "user", user);
  append_conninfo(conninfo, "password", password);
  append_conninfo(conninfo, "dbname", dbname);
  append_conninfo(conninfo, "sslmode", to_string(sslmode));
  append_conninfo(conninfo, "sslrootcert", sslrootcert);
  append_conninfo(conninfo, "sslcert", sslcert);
  append_conninfo(conninfo, "sslkey", sslkey);
  append_conninfo(conninfo, "sslpassword", sslpassword);
  append_conninfo(conninfo, "connect_timeout",
                  std::to_string(whole_seconds_rounded_up(connect_timeout)));
  append_conninfo(conninfo, "application_name", application_name);
  return conninfo;
}

std::string PostgresConfig::describe() const {
  std::string text = "postgres: host=" + or_default(host) + " port=" + std::to_string(port) +
                     " user=" + or_default(user) + " password=" + masked(password) +
                     " dbname=" + or_default(dbname) +
                     " sslmode=" + std::string(to_string(sslmode));
  // TLS files only when set (paths are not secrets; the key's passphrase is).
  if (!sslrootcert.empty()) text += " sslrootcert=" + sslrootcert;
  if (!sslcert.empty()) text += " sslcert=" + sslcert;
  if (!sslkey.empty()) text += " sslkey=" + sslkey;
  if (!sslpassword.empty()) text += " sslpassword=***";
  return text + " connect_timeout=" + format_duration(connect_timeout) +
         " application_name=" + application_name;
}

std::string RedisConfig::describe() const {
  std::string where = cluster()
                          ? "cluster nodes=" + join_endpoints(nodes) +
                                " read_from_replicas=" + (read_from_replicas ? "true" : "false")
                          : "addr=" + addr.to_string() + " db=" + std::to_string(db);
  return "redis: " + where + " username=" + or_default(username) + " password=" + masked(password) +
         " connect_timeout=" + format_duration(connect_timeout) +
         " socket_timeout=" + format_duration(socket_timeout) + " tls=" + tls_description(tls);
}

std::string HttpConfig::describe() const {
  return "http: listen=" + listen.to_string() + " workers=" + std::to_string(workers);
}

std::string LogConfig::describe() const {
  return "log: level=" + std::string(to_string(level)) +
         " format=" + std::string(to_string(format)) + " log_sql=" + (log_sql ? "true" : "false");
}

const ReservedSection* CourierConfig::reserved_section(std::string_view key) const {
  for (const ReservedSection& section : reserved_sections) {
    if (section.key == key) return &section;
  }
  return nullptr;
}

std::string CourierConfig::describe() const {
  // The pipelines' sections (tasks, streams, api) are described by their own readers.
  return postgres.describe() + '\n' + redis.describe() + '\n' + http.describe() + '\n' +
         log.describe() + '\n';
}

std::string LoadResult::error_report() const {
  return format_errors(errors, source_name);
}

}  // namespace courier::config
