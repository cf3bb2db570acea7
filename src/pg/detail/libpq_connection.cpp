#include "pg/detail/libpq_connection.h"

#include <poll.h>

#include <cerrno>
#include <vector>

#include "pg/detail/certificate_diagnosis.h"
#include "pg/errors.h"

namespace courier::pg::detail {
namespace {

// libpq messages end in a newline and continue on tab-indented lines; logs want one line.
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message ? message : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += *p;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "duplicate key value violates unique constraint "t_pkey"; Key (id)=(1) already exists."
std::string server_error_message(const PGresult* result) {
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary == nullptr) return one_line(PQresultErrorMessage(result));
  std::string message = primary;
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
    message += "; ";
    message += detail;
  }
  if (const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT)) {
    message += "; hint: ";
    message += hint;
  }
  return message;
}

void ignore_notice(void*, const char*) {}

// The setting to check for each TLS refusal libpq words; for "certificate verify failed"
// (libpq 15 says no more) also the reason, found out by a second handshake.
std::string tls_advice(const std::string& libpq_message, const ConnectionOptions& options) {
  if (libpq_message.find("certificate verify failed") != std::string::npos) {
    std::optional<std::string> reason = certificate_refusal_reason(options);
    if (!reason)
      return " (the server's certificate is not signed by a CA in sslrootcert, or has expired "
             "or is not yet valid: check sslrootcert and the certificate's dates)";
    const bool dates = reason->find("expired") != std::string::npos ||
                       reason->find("not yet valid") != std::string::npos;
    return " (" + *reason +
           (dates ? ": renew the server's certificate, or check this machine's clock)"
                  : ": check sslrootcert)");
  }
  if (libpq_message.find("does not match host name") != std::string::npos)
    return " (connect by a name the certificate holds, or use sslmode=verify-ca)";
  if (libpq_message.find("requires a valid client certificate") != std::string::npos)
    return " (set sslcert and sslkey to a certificate the server's CA signed)";
  return "";
}

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

}  // namespace

Status LibpqConnection::connect() {
  close();
  if (Status valid = options_.validate(); !valid.ok()) return valid;
  PGconn* conn = PQconnectdb(options_.conninfo().c_str());
  if (conn == nullptr)
    return Status(StatusCode::kInternal, "libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    bool needs_password = PQconnectionNeedsPassword(conn);
    const std::string reason = one_line(PQerrorMessage(conn));
    std::string message =
        "cannot connect to " + options_.describe() + ": " + reason + tls_advice(reason, options_);
    PQfinish(conn);
    // libpq keeps no SQLSTATE for start-up failures; only a missing password is
    // recognisably the caller's fault. The rest (refused, timeout, starting up) may pass.
    if (needs_password) {
      return invalid(message + "; the server requires a password: set one in the options");
    }
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  conn_ = conn;
  statement_timeout_ = options_.statement_timeout;
  dropped_reason_.clear();
  return Status::Ok();
}

void LibpqConnection::close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

bool LibpqConnection::in_transaction_block() const {
  PGTransactionStatusType state = PQtransactionStatus(conn_);
  return state == PQTRANS_INTRANS || state == PQTRANS_INERROR;
}

Status LibpqConnection::check_ready() const {
  if (busy_) {
    return Status(StatusCode::kFailedPrecondition,
                  "connection is busy: a COPY is in progress or a streaming callback is "
                  "running; finish or abort it before issuing another statement");
  }
  return is_open() ? Status::Ok() : lost();
}

Status LibpqConnection::lost() const {
  std::string why = dropped_reason_.empty() ? "" : " (" + dropped_reason_ + ")";
  return Status(StatusCode::kUnavailable,
                "connection to " + options_.describe() + " is lost" + why + "; call reconnect()");
}

bool LibpqConnection::await_input() {
  using Clock = std::chrono::steady_clock;
  // statement_timeout 0: no bound, as a statement may legitimately run that long.
  std::optional<Clock::time_point> deadline;
  if (statement_timeout_.count() > 0)
    deadline = Clock::now() + statement_timeout_ + options_.reply_grace;
  while (true) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) {
        // The server (or its host) hangs; the kernel may still be acking, so keepalives
        // cannot tell. A cancel request would wait on the same server: just hang up.
        dropped_reason_ = "no reply within statement_timeout " +
                          std::to_string(statement_timeout_.count()) + " ms + reply_grace " +
                          std::to_string(options_.reply_grace.count()) + " ms";
        close();
        return false;
      }
      wait_ms = static_cast<int>(left.count());
    }
    pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
    int ready = poll(&socket, 1, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) break;
  }
  PQconsumeInput(conn_);  // a failure is reported by the next PQgetResult / PQgetCopyData
  return true;
}

bool LibpqConnection::wait_for_reply() {
  while (conn_ != nullptr && PQisBusy(conn_)) {
    if (!await_input()) return false;
  }
  return true;
}

int LibpqConnection::next_copy_data(char** buffer) {
  while (conn_ != nullptr) {
    int length = PQgetCopyData(conn_, buffer, 1);
    if (length != 0) return length;
    if (!await_input()) break;
  }
  return -2;
}

Status LibpqConnection::send_query(std::string_view sql,
                                   std::span<const std::optional<std::string>> params) {
  if (params.size() > 65535) return invalid("a statement takes at most 65535 parameters");
  if (sql.find('\0') != std::string_view::npos) return invalid("the SQL text contains a NUL byte");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const std::optional<std::string>& param = params[i];
    if (param && param->find('\0') != std::string::npos) {
      return invalid("parameter $" + std::to_string(i + 1) +
                     " contains a NUL byte, which a PostgreSQL text value cannot hold");
    }
    values.push_back(param ? param->c_str() : nullptr);
  }
  std::string statement(sql);
  if (!PQsendQueryParams(conn_, statement.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0)) {
    return error_from_connection("sending the statement");
  }
  return Status::Ok();
}

Status LibpqConnection::send_script(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos) return invalid("the SQL text contains a NUL byte");
  if (!PQsendQuery(conn_, std::string(sql).c_str())) {
    return error_from_connection("sending the script");
  }
  return Status::Ok();
}

Status LibpqConnection::error_from_result(const PgResult& result) const {
  const char* sqlstate = PQresultErrorField(result.raw(), PG_DIAG_SQLSTATE);
  if (sqlstate == nullptr) {
    StatusCode code = is_open() ? StatusCode::kInternal : StatusCode::kUnavailable;
    return Status(code, one_line(PQresultErrorMessage(result.raw())));
  }
  std::string message = server_error_message(result.raw());
  if (!is_open()) {
    return Status(StatusCode::kUnavailable, message + " (connection lost; call reconnect())",
                  sqlstate);
  }
  // 08P01 (protocol violation) on a connection that survived means the server rejected
  // our request, e.g. the wrong number of parameters: retrying cannot help.
  if (std::string_view(sqlstate) == "08P01") {
    return Status(StatusCode::kInvalidArgument, std::move(message), sqlstate);
  }
  return status_from_sqlstate(sqlstate, std::move(message));
}

Status LibpqConnection::error_from_connection(std::string_view action) const {
  if (!dropped_reason_.empty()) return lost();
  StatusCode code = is_open() ? StatusCode::kInternal : StatusCode::kUnavailable;
  return Status(code, std::string(action) + " failed: " + one_line(PQerrorMessage(conn_)));
}

Status LibpqConnection::status_of(const PgResult& result, std::string_view expected) const {
  if (!result) return error_from_connection("reading the result");
  switch (result.status()) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_EMPTY_QUERY:
      return Status::Ok();
    case PGRES_FATAL_ERROR:
      return error_from_result(result);
    default:
      return invalid("the statement produced " + std::string(PQresStatus(result.status())) +
                     " where " + std::string(expected) + " was expected");
  }
}

void LibpqConnection::end_copy_if_started(const PgResult& result) {
  if (!result) return;
  switch (result.status()) {
    case PGRES_COPY_IN:
      if (PQputCopyEnd(conn_, "COPY FROM STDIN was not expected here") != 1) close();
      break;
    case PGRES_COPY_OUT: {
      char* buffer = nullptr;
      while (next_copy_data(&buffer) > 0) PQfreemem(buffer);
      break;
    }
    case PGRES_COPY_BOTH:  // replication streams are never started here; cannot recover
      close();
      break;
    default:
      break;
  }
}

void LibpqConnection::discard_pending_results() {
  while (conn_ != nullptr) {
    PgResult result = next_result();
    if (!result) return;
    end_copy_if_started(result);
  }
}

void LibpqConnection::abandon_statement(bool started_in_transaction_block) {
  if (!started_in_transaction_block) {
    if (PGcancel* cancel = PQgetCancel(conn_)) {
      char error[256];
      PQcancel(cancel, error, sizeof error);  // best effort: the drain below ends it anyway
      PQfreeCancel(cancel);
    }
  }
  discard_pending_results();
}

}  // namespace courier::pg::detail
