#include "pg/connection.h"

#include <utility>

#include "pg/detail/libpq_connection.h"

namespace courier::pg {
namespace {

constexpr std::string_view kRowsOrCommand =
    "rows or a command result (run COPY with begin_copy_in or copy_out)";

// Reads the first result of a statement that must open a COPY in the given direction.
// On anything else the connection is brought back to idle and the reason returned.
Status expect_copy_start(detail::LibpqConnection& link, ExecStatusType expected,
                         std::string_view description) {
  detail::PgResult first = link.next_result();
  if (first && first.status() == expected) return Status::Ok();
  link.end_copy_if_started(first);
  Status outcome = link.status_of(first, description);
  if (outcome.ok()) {
    outcome =
        Status(StatusCode::kInvalidArgument, "the statement is not " + std::string(description));
  }
  link.discard_pending_results();
  return outcome;
}

// Hands single-row results to `on_row` until the statement ends or the callback stops it.
Status deliver_rows(detail::LibpqConnection& link, detail::StatementInProgress& statement,
                    const RowCallback& on_row) {
  while (true) {
    detail::PgResult result = link.next_result();
    if (result && result.status() == PGRES_SINGLE_TUPLE) {
      if (!on_row(Row(result, 0))) return statement.abandon();
      continue;
    }
    statement.finish();
    link.end_copy_if_started(result);
    Status outcome = link.status_of(result, kRowsOrCommand);
    link.discard_pending_results();
    return outcome;
  }
}

// Hands COPY TO STDOUT data to `on_chunk` until the copy ends or the callback stops it.
Status deliver_copy_data(detail::LibpqConnection& link, detail::StatementInProgress& statement,
                         const ChunkCallback& on_chunk) {
  char* buffer = nullptr;
  int length = 0;
  while ((length = link.next_copy_data(&buffer)) > 0) {
    std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
    if (!on_chunk(std::string_view(buffer, length))) return statement.abandon();
  }
  statement.finish();
  detail::PgResult end = link.next_result();  // COPY's own result, or the error that ended it
  Status outcome = link.status_of(end, "the end of COPY TO STDOUT");
  link.discard_pending_results();
  return outcome;
}

}  // namespace

Connection::Connection(std::unique_ptr<detail::LibpqConnection> link) : link_(std::move(link)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionOptions& options) {
  auto link = std::make_unique<detail::LibpqConnection>(options);
  if (Status connected = link->connect(); !connected.ok()) return connected;
  return std::unique_ptr<Connection>(new Connection(std::move(link)));
}

Result<QueryResult> Connection::execute(std::string_view sql, const Params& params) {
  if (Status ready = link_->check_ready(); !ready.ok()) return ready;
  if (Status sent = link_->send_query(sql, params); !sent.ok()) return sent;
  detail::PgResult result = link_->next_result();
  link_->end_copy_if_started(result);
  Status outcome = link_->status_of(result, kRowsOrCommand);
  link_->discard_pending_results();
  if (!outcome.ok()) return outcome;
  return QueryResult(std::make_shared<const detail::PgResult>(std::move(result)));
}

Status Connection::execute_script(std::string_view sql) {
  if (Status ready = link_->check_ready(); !ready.ok()) return ready;
  if (Status sent = link_->send_script(sql); !sent.ok()) return sent;
  Status first_error;
  while (detail::PgResult result = link_->next_result()) {
    link_->end_copy_if_started(result);
    if (first_error.ok()) first_error = link_->status_of(result, kRowsOrCommand);
  }
  return first_error;
}

Status Connection::stream(std::string_view sql, const Params& params, const RowCallback& on_row) {
  if (Status ready = link_->check_ready(); !ready.ok()) return ready;
  bool in_transaction_block = link_->in_transaction_block();
  if (Status sent = link_->send_query(sql, params); !sent.ok()) return sent;
  detail::StatementInProgress statement(*link_, in_transaction_block);
  if (!PQsetSingleRowMode(link_->raw())) {
    return Status(StatusCode::kInternal, "libpq refused single-row mode for the query");
  }
  return deliver_rows(*link_, statement, on_row);
}

Result<CopyWriter> Connection::begin_copy_in(std::string_view copy_sql) {
  if (Status ready = link_->check_ready(); !ready.ok()) return ready;
  if (Status sent = link_->send_query(copy_sql, {}); !sent.ok()) return sent;
  if (Status started = expect_copy_start(*link_, PGRES_COPY_IN, "COPY ... FROM STDIN");
      !started.ok()) {
    return started;
  }
  return CopyWriter(*link_);
}

Status Connection::copy_out(std::string_view copy_sql, const ChunkCallback& on_chunk) {
  if (Status ready = link_->check_ready(); !ready.ok()) return ready;
  bool in_transaction_block = link_->in_transaction_block();
  if (Status sent = link_->send_query(copy_sql, {}); !sent.ok()) return sent;
  if (Status started = expect_copy_start(*link_, PGRES_COPY_OUT, "COPY ... TO STDOUT");
      !started.ok()) {
    return started;
  }
  detail::StatementInProgress statement(*link_, in_transaction_block);
  return deliver_copy_data(*link_, statement, on_chunk);
}

Status Connection::reconnect() {
  if (link_->busy()) return link_->check_ready();
  return link_->connect();
}

bool Connection::is_open() const {
  return link_->is_open();
}

bool Connection::in_transaction() const {
  return link_->is_open() && link_->in_transaction_block();
}

std::string Connection::server_version() const {
  const char* version =
      link_->is_open() ? PQparameterStatus(link_->raw(), "server_version") : nullptr;
  return version ? version : "";
}

Status Connection::set_statement_timeout(std::chrono::milliseconds timeout) {
  auto set = execute("SELECT set_config('statement_timeout', $1, false)",
                     {std::to_string(timeout.count())});
  if (!set.ok()) return set.status();
  link_->set_statement_timeout(timeout);
  return Status::Ok();
}

std::chrono::milliseconds Connection::statement_timeout() const {
  return link_->statement_timeout();
}

const ConnectionOptions& Connection::options() const {
  return link_->options();
}

}  // namespace courier::pg
