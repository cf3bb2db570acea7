// Connection: one PostgreSQL session on libpq. Parameterised statements, streaming of
// large results row by row in bounded memory, COPY in and out, and reconnecting after
// the server was lost. Every failure is a Status classified by SQLSTATE (pg/errors.h);
// a lost connection answers kUnavailable to every call until reconnect() succeeds. A server
// that stops answering (hung, SIGSTOPped) is given statement_timeout + reply_grace per
// reply (ConnectionOptions), then the connection is dropped: kUnavailable, not a hang.
//
//   auto conn = courier::pg::Connection::open(options);           // Result<unique_ptr>
//   auto rows = (*conn)->execute("SELECT name FROM users WHERE id = $1", {"42"});
//   if (!rows.ok() && rows.status().retryable()) (*conn)->reconnect();
//
// Thread-safety: none. A Connection is used by one thread at a time; give each thread
// its own. Row callbacks must not call back into the same Connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/copy_writer.h"
#include "pg/result.h"
#include "pg/session.h"

namespace courier::pg {

namespace detail {
class LibpqConnection;
}

// Called for each streamed row; return false to stop early.
using RowCallback = std::function<bool(const Row& row)>;
// Called with COPY TO STDOUT data: whole lines in COPY text format; false stops early.
using ChunkCallback = std::function<bool(std::string_view chunk)>;

class Connection final : public Session {
 public:
  // Connects (waiting at most options.connect_timeout). kUnavailable when the server
  // cannot be reached or refuses; kInvalidArgument for bad options or a missing password.
  static Result<std::unique_ptr<Connection>> open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement; values travel separately from the SQL text, never pasted in.
  // COPY statements are refused here: use begin_copy_in / copy_out.
  Result<QueryResult> execute(std::string_view sql, const Params& params) override;
  using Session::execute;  // execute(sql): no parameters

  // Runs several ';'-separated statements without parameters (migrations, set-up).
  // Unless the script has its own BEGIN/COMMIT, it runs as one implicit transaction.
  Status execute_script(std::string_view sql) override;

  // Runs a query and hands its rows to `on_row` one at a time as they arrive (libpq
  // single-row mode): memory stays bounded by one row, whatever the result size. When
  // `on_row` returns false the rest is dropped and ok is returned; the statement is
  // cancelled on the server unless it runs inside a transaction block (a cancel would
  // abort the transaction), in which case the remaining rows are read and discarded.
  Status stream(std::string_view sql, const Params& params, const RowCallback& on_row);

  // Starts `COPY table [(columns)] FROM STDIN`; feed the writer, then finish() it.
  Result<CopyWriter> begin_copy_in(std::string_view copy_sql);

  // Runs `COPY ... TO STDOUT` and hands its data to `on_chunk` as it arrives. Stopping
  // early behaves as in stream().
  Status copy_out(std::string_view copy_sql, const ChunkCallback& on_chunk);

  // Drops the current session (if any) and connects again with the same options;
  // kUnavailable while the server is down. Any open transaction is lost.
  Status reconnect() override;

  // Changes this session's statement_timeout (0: none) until reconnect(), which goes
  // back to options().statement_timeout. The wait for each reply is bounded by it plus
  // options().reply_grace (unbounded at 0), so set 0 for work that may run long
  // (migrations); the server then no longer cancels it either.
  Status set_statement_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds statement_timeout() const;

  // True while the session is up (as far as libpq has noticed).
  bool is_open() const override;
  // True inside BEGIN ... COMMIT/ROLLBACK (including a failed, not yet ended one).
  bool in_transaction() const;
  // The server's version string, e.g. "15.18 (Debian 15.18-0+deb12u1)"; empty if closed.
  std::string server_version() const;
  // The options this connection was opened with; describe() them for logs.
  const ConnectionOptions& options() const;

 private:
  explicit Connection(std::unique_ptr<detail::LibpqConnection> link);
  std::unique_ptr<detail::LibpqConnection> link_;
};

}  // namespace courier::pg
