#include "pg/transaction.h"

#include <utility>

namespace courier::pg {
namespace {

std::string begin_statement(Transaction::Isolation isolation, bool read_only) {
  std::string sql = "BEGIN ISOLATION LEVEL ";
  switch (isolation) {
    case Transaction::Isolation::kReadCommitted:
      sql += "READ COMMITTED";
      break;
    case Transaction::Isolation::kRepeatableRead:
      sql += "REPEATABLE READ";
      break;
    case Transaction::Isolation::kSerializable:
      sql += "SERIALIZABLE";
      break;
  }
  if (read_only) sql += " READ ONLY";
  return sql;
}

Status not_active() {
  return Status(StatusCode::kFailedPrecondition,
                "the transaction has already been committed or rolled back");
}

}  // namespace

Result<Transaction> Transaction::begin(Connection& connection, Isolation isolation,
                                       bool read_only) {
  Result<QueryResult> begun = connection.execute(begin_statement(isolation, read_only));
  if (!begun.ok()) return begun.status();
  return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (active()) (void)rollback();
}

Status Transaction::commit() {
  if (!active()) return not_active();
  Connection& connection = *std::exchange(connection_, nullptr);
  // A connection already known to be lost never sent COMMIT: the server rolled back.
  bool was_open = connection.is_open();
  Result<QueryResult> committed = connection.execute("COMMIT");
  if (committed.ok()) {
    // COMMIT of a transaction in which a statement failed answers ROLLBACK, not an error.
    if (committed->command_tag() == "ROLLBACK") {
      return Status(StatusCode::kFailedPrecondition,
                    "the transaction was rolled back at COMMIT because an earlier statement "
                    "in it failed",
                    "25P02");
    }
    return Status::Ok();
  }
  if (was_open && !connection.is_open()) {
    return Status(StatusCode::kOutcomeUnknown,
                  "the connection broke during COMMIT; the transaction may or may not have "
                  "been applied (" +
                      committed.status().message() + ")",
                  committed.status().detail());
  }
  return committed.status();
}

Status Transaction::rollback() {
  if (!active()) return not_active();
  Connection& connection = *std::exchange(connection_, nullptr);
  Result<QueryResult> rolled_back = connection.execute("ROLLBACK");
  return rolled_back.status();
}

}  // namespace courier::pg
