// Transaction: an RAII guard for BEGIN ... COMMIT on one Connection. It rolls back
// unless commit() succeeded, and reports a connection lost during COMMIT as
// kOutcomeUnknown, since the server may or may not have applied the transaction.
//
//   auto tx = courier::pg::Transaction::begin(conn, Transaction::Isolation::kSerializable);
//   if (!conn.execute("UPDATE counters SET n = n + 1 WHERE id = $1", {"7"}).ok()) return;
//   Status committed = tx->commit();  // without it, the destructor rolls back
//
// Thread-safety: none; use a transaction from the thread that uses its Connection. The
// Connection must outlive the guard.
#pragma once

#include "courier/status.h"
#include "pg/connection.h"

namespace courier::pg {

class Transaction {
 public:
  enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

  // Sends BEGIN with the isolation level (and READ ONLY when asked).
  static Result<Transaction> begin(Connection& connection,
                                   Isolation isolation = Isolation::kReadCommitted,
                                   bool read_only = false);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back if still active; a failed rollback is dropped (the server rolls back the
  // transaction anyway when the session ends).
  ~Transaction();

  // Ok: committed. kAborted (40001/40P01): lost a race, run the whole transaction again.
  // kOutcomeUnknown: the connection broke during COMMIT. kFailedPrecondition [25P02]:
  // an earlier statement failed, so the server rolled back instead.
  Status commit();
  Status rollback();

  // True until commit() or rollback() was called.
  bool active() const { return connection_ != nullptr; }

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}

  Connection* connection_;  // null once ended or moved from
};

}  // namespace courier::pg
