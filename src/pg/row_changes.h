// RowChangeDecoder: turns the pgoutput messages of a replication stream into row changes
// shaped like query results — each row a one-row QueryResult with the table's column
// names and types, exactly as a SELECT returns them — so the code that converts polled
// rows converts changes too. It keeps the Relation of each table (a newer one replaces it
// after a schema change; a change keeps the one it was made under), numbers the changes
// of each transaction (commit LSN + position identify a change across restarts), and
// lists, rather than invents, the values an update left unchanged in TOAST storage.
//
//   pg::RowChangeDecoder decoder;
//   auto change = decoder.decode(*pg::decode_pgoutput(xlog.payload));
//   if (!change.ok()) return change.status();
//   if (*change && (*change)->kind == pg::RowChange::Kind::kInsert)
//     write((*change)->relation->name, (*change)->row);
//
// Thread-safety: none; one decoder per stream, fed in stream order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "courier/status.h"
#include "pg/pgoutput.h"
#include "pg/result.h"

namespace courier::pg {

struct RowChange {
  enum class Kind { kInsert, kUpdate, kDelete, kTruncate, kCommit, kMessage };
  Kind kind = Kind::kInsert;
  Lsn commit_lsn = 0;  // of the transaction the change belongs to
  Lsn end_lsn = 0;     // kCommit: where a stream resumes after this transaction
  uint32_t position = 0;  // order within the transaction, from 0
  std::shared_ptr<const Relation> relation;  // kInsert, kUpdate, kDelete
  // kInsert, kUpdate: the new row. kDelete: the old row — its key columns only (others
  // NULL) unless the table has REPLICA IDENTITY FULL.
  std::optional<QueryResult> row;
  // kUpdate: the old row, when the key changed (key columns) or with REPLICA IDENTITY FULL.
  std::optional<QueryResult> old_row;
  OldRow old_kind = OldRow::kNone;  // what the old row of a kUpdate or kDelete holds
  // Columns of `row` (by index) whose TOASTed value did not change and was not sent: NULL
  // in `row`, but the value stored earlier stands.
  std::vector<int> unchanged;
  std::vector<std::shared_ptr<const Relation>> truncated;  // kTruncate
  LogicalMessage message;                                  // kMessage (non-transactional too)
};

class RowChangeDecoder {
 public:
  // The change one message stands for; nullopt for those that only set the stage (Begin,
  // Relation, Type, Origin). kInvalidArgument for a change of a table whose Relation was
  // not sent, a row that does not fit its Relation, or a change outside a transaction.
  Result<std::optional<RowChange>> decode(const PgOutputMessage& message);

  // The Relation in effect for `id`; null if none was sent.
  std::shared_ptr<const Relation> relation(RelationId id) const;

 private:
  // The next change of the open transaction (its commit LSN, the next position).
  RowChange next_in_transaction(RowChange::Kind kind);
  // An insert, update or delete of table `id` whose row is `tuple`.
  Result<RowChange> row_change(RowChange::Kind kind, RelationId id, const Tuple& tuple,
                               std::vector<int>& unchanged);
  // `tuple` as a one-row result; each unchanged TOAST value is NULL there and listed.
  Result<QueryResult> materialize(const Relation& relation, const Tuple& tuple,
                                  std::vector<int>& unchanged) const;

  std::map<RelationId, std::shared_ptr<const Relation>> relations_;
  std::optional<Begin> transaction_;
  uint32_t next_position_ = 0;
};

}  // namespace courier::pg
