// ConnectionOptions: where and how to reach a PostgreSQL server, built from fields or a
// URL, turned into a libpq conninfo string, and described for logs without the password.
//
//   auto options = courier::pg::ConnectionOptions::from_url("postgresql://app@db:5432/shop");
//   if (!options.ok()) return options.status();
//   log("connecting to {}", options->describe());  // never contains the password
//
// Thread-safety: a plain value; copy freely, do not share a mutable one between threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/status.h"

namespace courier::pg {

struct ConnectionOptions {
  std::string host = "localhost";            // host name, IP address or Unix-socket directory
  int port = 5432;                           // TCP port (or socket file suffix)
  std::string user;                          // empty: libpq's default (the OS user name)
  std::string password;                      // never logged, never in describe() or errors
  std::string dbname;                        // empty: same as user
  std::string sslmode = "prefer";            // disable|allow|prefer|require|verify-ca|verify-full
  std::chrono::seconds connect_timeout{10};  // give up connecting after this long
  std::string application_name = "courier";  // shown in pg_stat_activity
  // Any other libpq keyword (e.g. {"target_session_attrs", "read-write"}), passed through.
  std::vector<std::pair<std::string, std::string>> extra_parameters;

  // Parses postgresql://user:pass@host:port/dbname?sslmode=require&connect_timeout=5
  // (scheme "postgres://" too). Parts are percent-decoded; missing parts keep their
  // defaults. Query parameters other than the fields above go to extra_parameters.
  static Result<ConnectionOptions> from_url(std::string_view url);

  // Checks the fields that libpq would otherwise reject with a less helpful message.
  Status validate() const;

  // The libpq connection string, every value single-quoted and escaped. Contains the
  // password: pass it to libpq, never log it.
  std::string conninfo() const;

  // "postgresql://app:***@db:5432/shop?sslmode=prefer&connect_timeout=10&application_name=courier"
  // for logs and error messages: the password is masked, never shown.
  std::string describe() const;
};

}  // namespace courier::pg
