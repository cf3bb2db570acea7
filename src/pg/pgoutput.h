// Decoding pgoutput, Postgres' built-in logical-decoding output plugin (protocol version
// 1): one message per XLogData payload — transaction bounds (Begin, Commit), the shape of
// a table (Relation, sent before its first change and again after a schema change), and
// row changes (Insert, Update, Delete, Truncate), plus Origin, Type and logical Messages
// (pg_logical_emit_message). Values come in text form, as a SELECT returns them, so the
// same rules turn them into Redis values; an unchanged TOASTed value comes as
// kUnchangedToast and no data — the old value stands, it is not null.
//
//   auto message = courier::pg::decode_pgoutput(xlog.payload);
//   if (!message.ok()) return message.status();          // kInvalidArgument: stop the stream
//   if (auto* insert = std::get_if<courier::pg::RowInsert>(&*message))
//     write(relations.at(insert->relation), insert->new_row);
//
// Thread-safety: pure functions and plain values (they own their bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "courier/status.h"
#include "pg/replication_messages.h"
#include "pg/result.h"

namespace courier::pg {

// Relation OIDs, as pgoutput names tables.
using RelationId = uint32_t;

struct Begin {
  Lsn final_lsn = 0;        // the commit's LSN
  int64_t commit_time = 0;  // µs since 2000-01-01
  uint32_t xid = 0;
};

struct Commit {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the end of the commit record: where streaming resumes after it
  int64_t commit_time = 0;
};

struct RelationColumn {
  std::string name;
  TypeOid type = 0;
  int32_t type_modifier = -1;
  bool in_key = false;  // part of the replica identity
};

// Replica identity, as pg_class.relreplident spells it.
enum class ReplicaIdentity : char {
  kDefault = 'd',  // the primary key
  kNothing = 'n',
  kFull = 'f',
  kIndex = 'i',
};

struct Relation {
  RelationId id = 0;
  std::string schema;  // "" stands for pg_catalog
  std::string name;
  ReplicaIdentity identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;
};

struct TupleValue {
  enum class Kind : char { kNull = 'n', kUnchangedToast = 'u', kText = 't', kBinary = 'b' };
  Kind kind = Kind::kNull;
  std::string data;  // for kText and kBinary
};

using Tuple = std::vector<TupleValue>;  // one value per column of the relation

struct RowInsert {
  RelationId relation = 0;
  Tuple new_row;
};

// The old row is sent when the key changed (kKey: the key columns only, others null) or
// with REPLICA IDENTITY FULL (kFull: every column); otherwise it is absent.
enum class OldRow : char { kNone = 0, kKey = 'K', kFull = 'O' };

struct RowUpdate {
  RelationId relation = 0;
  OldRow old_kind = OldRow::kNone;
  Tuple old_row;  // empty when old_kind is kNone
  Tuple new_row;
};

struct RowDelete {
  RelationId relation = 0;
  OldRow old_kind = OldRow::kKey;  // kKey or kFull
  Tuple old_row;
};

struct Truncate {
  std::vector<RelationId> relations;
  bool cascade = false;
  bool restart_identity = false;
};

struct Origin {
  Lsn commit_lsn = 0;
  std::string name;
};

struct TypeInfo {
  TypeOid id = 0;
  std::string schema;
  std::string name;
};

// From pg_logical_emit_message(transactional, prefix, content).
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::string content;
};

using PgOutputMessage = std::variant<Begin, Commit, Relation, RowInsert, RowUpdate, RowDelete,
                                     Truncate, Origin, TypeInfo, LogicalMessage>;

// Decodes one pgoutput message. kInvalidArgument, naming the message and the byte where it broke,
// when it is malformed or of a kind protocol version 1 does not have.
Result<PgOutputMessage> decode_pgoutput(std::string_view payload);

}  // namespace courier::pg
