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
  // Host name, IP address or Unix-socket directory; empty: libpq's default (PGHOST, else
  // the local Unix socket).
  std::string host = "localhost";
  int port = 5432;                 // TCP port (or socket file suffix)
  std::string user;                // empty: libpq's default (the OS user name)
  std::string password;            // never logged, never in describe() or errors
  std::string dbname;              // empty: same as user
  std::string sslmode = "prefer";  // disable|allow|prefer|require|verify-ca|verify-full
  // TLS files, passed to libpq as they are; empty: libpq's default (~/.postgresql/...).
  std::string sslrootcert;  // PEM CA certificates that may sign the server's certificate
  std::string sslcert;      // PEM client certificate, for servers that ask for one
  std::string sslkey;       // the client certificate's private key
  std::string sslpassword;  // passphrase of an encrypted sslkey; never logged
  std::chrono::seconds connect_timeout{10};  // give up connecting after this long
  std::string application_name = "courier";  // shown in pg_stat_activity
  // A dead peer (host gone, network cut) is noticed within about 25 s: TCP keepalive
  // probes after keepalives_idle of silence, every keepalives_interval, keepalives_count
  // unanswered ones end the connection; data unacknowledged for tcp_user_timeout does too.
  bool keepalives = true;                              // false: no keepalive probes at all
  std::chrono::seconds keepalives_idle{10};            // silence before the first probe
  std::chrono::seconds keepalives_interval{5};         // between unanswered probes
  int keepalives_count = 3;                            // unanswered probes before giving up
  std::chrono::milliseconds tcp_user_timeout{20'000};  // 0: the OS default (minutes)
  // The server cancels a statement running longer (sent at connect as
  // options=-c statement_timeout=...); 0: the server's own setting.
  std::chrono::milliseconds statement_timeout{0};
  // A server that stops answering altogether (hung, SIGSTOPped: the kernel still acks) is
  // given statement_timeout + reply_grace to reply, then the connection is dropped and
  // the call fails kUnavailable. No client-side bound while statement_timeout is 0.
  std::chrono::milliseconds reply_grace{5'000};
  // Any other libpq keyword (e.g. {"target_session_attrs", "read-write"}), passed through.
  std::vector<std::pair<std::string, std::string>> extra_parameters;

  // postgresql://user:pass@host:port/dbname?sslmode=require&connect_timeout=5, read by
  // parse_postgres_url (pg/postgres_url.h: the rules, ranges and messages, which never
  // quote the url). Settings the url leaves out keep the defaults above, except the host:
  // "postgresql:///db" means libpq's default, as in libpq. Other query parameters go to
  // extra_parameters.
  static Result<ConnectionOptions> from_url(std::string_view url);

  // Checks the fields that libpq would otherwise reject with a less helpful message.
  Status validate() const;

  // The libpq connection string, every value single-quoted and escaped. Contains the
  // password: pass it to libpq, never log it. A statement_timeout goes first into
  // `options`, ahead of any `options` given in extra_parameters.
  std::string conninfo() const;

  // "postgresql://app:***@db:5432/shop?sslmode=prefer&connect_timeout=10&application_name=courier"
  // for logs and error messages: the password is masked, never shown. TLS files that are
  // set follow sslmode (sslrootcert=/etc/ca.pem), sslpassword masked too.
  std::string describe() const;
};

}  // namespace courier::pg
