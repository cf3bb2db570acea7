// Internal to src/pg (includes libpq): LibpqConnection owns the PGconn behind a
// Connection and holds the steps Connection and CopyWriter share: readiness checks,
// sending a statement, reading results, turning failures into classified Status values,
// and bringing the connection back to idle after an error or an early stop.
//
//   detail::LibpqConnection link(options);
//   if (Status s = link.connect(); !s.ok()) return s;
//   if (Status s = link.send_query("SELECT 1", {}); !s.ok()) return s;
//
// Thread-safety: none; owned by one Connection, used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/detail/pg_result.h"

namespace courier::pg::detail {

class LibpqConnection {
 public:
  explicit LibpqConnection(ConnectionOptions options) : options_(std::move(options)) {}
  ~LibpqConnection() { close(); }
  LibpqConnection(const LibpqConnection&) = delete;
  LibpqConnection& operator=(const LibpqConnection&) = delete;

  // Drops any current connection and opens a new one.
  Status connect();
  void close();

  PGconn* raw() const { return conn_; }
  const ConnectionOptions& options() const { return options_; }
  bool is_open() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  bool in_transaction_block() const;

  // kFailedPrecondition while a COPY or a streaming callback holds the connection,
  // kUnavailable once the server is lost (until reconnect), else ok.
  Status check_ready() const;
  // The kUnavailable status of a lost connection.
  Status lost() const;
  void set_busy(bool busy) { busy_ = busy; }
  bool busy() const { return busy_; }

  // Sends one statement with text parameters ($1, $2, ...) over the extended protocol.
  Status send_query(std::string_view sql, std::span<const std::optional<std::string>> params);
  // Sends one or more ';'-separated statements without parameters (simple protocol).
  Status send_script(std::string_view sql);
  // The next result of the current statement; empty when there are no more, or when the
  // server did not answer within the reply bound (the connection is dropped then).
  PgResult next_result() {
    if (!wait_for_reply()) return PgResult();
    return PgResult(PQgetResult(conn_));
  }
  // PQgetCopyData that waits for data within the reply bound: > 0 a row of `length`
  // bytes in *buffer (free with PQfreemem), -1 the copy ended, -2 an error or no reply.
  int next_copy_data(char** buffer);

  // The statement_timeout in force: options().statement_timeout after connect(), then
  // what the session was told. Bounds the wait for each reply (plus reply_grace).
  std::chrono::milliseconds statement_timeout() const { return statement_timeout_; }
  void set_statement_timeout(std::chrono::milliseconds timeout) { statement_timeout_ = timeout; }

  // Ok for a completed command or query (rows, no rows, empty statement); the classified
  // error for a failure; kInvalidArgument naming `expected` for anything else (COPY).
  Status status_of(const PgResult& result, std::string_view expected) const;
  // The Status for a failed result: classified by SQLSTATE, kUnavailable whenever the
  // connection did not survive the error.
  Status error_from_result(const PgResult& result) const;
  // The Status for a failure libpq reports on the connection itself (no result).
  Status error_from_connection(std::string_view action) const;

  // Ends a COPY that `result` announces (aborting COPY IN, dropping COPY OUT data), so a
  // COPY started where none was expected cannot wedge the connection.
  void end_copy_if_started(const PgResult& result);
  // Reads and drops every remaining result of the current statement, so the connection
  // is idle again.
  void discard_pending_results();
  // Stops a statement whose remaining output nobody wants. Outside a transaction block
  // the server is asked to cancel it; inside one a cancel would abort the whole
  // transaction, so the rest is read and dropped instead.
  void abandon_statement(bool started_in_transaction_block);

 private:
  // Waits until libpq has a whole result to hand out; false after dropping a connection
  // whose server sent nothing within the reply bound.
  bool wait_for_reply();
  // Waits until the socket has input and reads it; false (connection dropped) when none
  // came within the reply bound.
  bool await_input();

  ConnectionOptions options_;
  PGconn* conn_ = nullptr;
  bool busy_ = false;
  std::chrono::milliseconds statement_timeout_{0};
  std::string dropped_reason_;  // why the connection was dropped unanswered; empty otherwise
};

// A statement whose output is being handed to a caller's callback. Keeps the connection
// busy meanwhile, and abandons the statement if the scope is left before finish() or
// abandon() (a callback threw), so the connection is idle afterwards in every case.
class StatementInProgress {
 public:
  StatementInProgress(LibpqConnection& link, bool started_in_transaction_block)
      : link_(link), in_transaction_block_(started_in_transaction_block) {
    link_.set_busy(true);
  }
  ~StatementInProgress() {
    link_.set_busy(false);
    if (!done_) link_.abandon_statement(in_transaction_block_);
  }
  StatementInProgress(const StatementInProgress&) = delete;
  StatementInProgress& operator=(const StatementInProgress&) = delete;

  // All output was read; the caller collects the final result itself.
  void finish() { done_ = true; }
  // The caller wants no more output: stop the statement now. Ok, or kUnavailable if the
  // connection was lost meanwhile.
  Status abandon() {
    done_ = true;
    link_.set_busy(false);
    link_.abandon_statement(in_transaction_block_);
    return link_.is_open() ? Status::Ok() : link_.lost();
  }

 private:
  LibpqConnection& link_;
  bool in_transaction_block_;
  bool done_ = false;
};

}  // namespace courier::pg::detail
