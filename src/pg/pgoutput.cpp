#include "pg/pgoutput.h"

#include "pg/detail/wire_reader.h"

namespace courier::pg {
namespace {

using detail::WireReader;

// Column count, then each value: 'n' null, 'u' unchanged TOAST, 't'/'b' Int32 length + bytes.
Tuple read_tuple(WireReader& in) {
  const uint16_t count = in.u16();
  Tuple tuple;
  if (in.failed()) return tuple;
  tuple.reserve(count);
  for (uint16_t column = 0; column < count && !in.failed(); ++column) {
    TupleValue value;
    const char kind = static_cast<char>(in.u8());
    switch (kind) {
      case 'n':
        value.kind = TupleValue::Kind::kNull;
        break;
      case 'u':
        value.kind = TupleValue::Kind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        value.kind = kind == 't' ? TupleValue::Kind::kText : TupleValue::Kind::kBinary;
        const int32_t length = in.i32();
        if (length < 0) in.reject("a negative value length");
        value.data = std::string(in.bytes(length < 0 ? 0 : static_cast<size_t>(length)));
        break;
      }
      default:
        if (!in.failed()) in.reject(std::string("unknown value kind '") + kind + "'");
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

// 'K' or 'O' before an old row; anything else is not an old row.
OldRow old_row_kind(char marker) {
  if (marker == 'K') return OldRow::kKey;
  if (marker == 'O') return OldRow::kFull;
  return OldRow::kNone;
}

// The 'N' that comes before a new row; `marker` is the byte read where it was due.
void expect_new_row_marker(WireReader& in, char marker) {
  if (!in.failed() && marker != 'N') in.reject(std::string("'N' expected, not '") + marker + "'");
}

Relation read_relation(WireReader& in) {
  Relation relation;
  relation.id = in.u32();
  relation.schema = in.cstring();
  relation.name = in.cstring();
  relation.identity = static_cast<ReplicaIdentity>(in.u8());
  const uint16_t count = in.u16();
  for (uint16_t column = 0; column < count && !in.failed(); ++column) {
    RelationColumn c;
    c.in_key = (in.u8() & 1) != 0;
    c.name = in.cstring();
    c.type = in.u32();
    c.type_modifier = in.i32();
    relation.columns.push_back(std::move(c));
  }
  return relation;
}

PgOutputMessage read_update(WireReader& in) {
  RowUpdate update;
  update.relation = in.u32();
  char marker = static_cast<char>(in.u8());
  update.old_kind = old_row_kind(marker);
  if (update.old_kind != OldRow::kNone) {
    update.old_row = read_tuple(in);
    marker = static_cast<char>(in.u8());
  }
  expect_new_row_marker(in, marker);
  update.new_row = read_tuple(in);
  return update;
}

PgOutputMessage read_delete(WireReader& in) {
  RowDelete removal;
  removal.relation = in.u32();
  const char marker = static_cast<char>(in.u8());
  removal.old_kind = old_row_kind(marker);
  if (!in.failed() && removal.old_kind == OldRow::kNone)
    in.reject(std::string("'K' or 'O' expected, not '") + marker + "'");
  removal.old_row = read_tuple(in);
  return removal;
}

PgOutputMessage read_truncate(WireReader& in) {
  Truncate truncate;
  const uint32_t count = in.u32();
  const uint8_t options = in.u8();
  truncate.cascade = (options & 1) != 0;
  truncate.restart_identity = (options & 2) != 0;
  for (uint32_t i = 0; i < count && !in.failed(); ++i) truncate.relations.push_back(in.u32());
  return truncate;
}

std::string_view message_name(char kind) {
  switch (kind) {
    case 'B': return "pgoutput Begin message";
    case 'C': return "pgoutput Commit message";
    case 'R': return "pgoutput Relation message";
    case 'I': return "pgoutput Insert message";
    case 'U': return "pgoutput Update message";
    case 'D': return "pgoutput Delete message";
    case 'T': return "pgoutput Truncate message";
    case 'O': return "pgoutput Origin message";
    case 'Y': return "pgoutput Type message";
    case 'M': return "pgoutput logical message";
    default: return "pgoutput message";
  }
}

}  // namespace

Result<PgOutputMessage> decode_pgoutput(std::string_view payload) {
  if (payload.empty()) return Status(StatusCode::kInvalidArgument, "a pgoutput message is empty");
  const char kind = payload.front();
  WireReader in(payload, message_name(kind));
  in.u8();
  PgOutputMessage message;
  switch (kind) {
    case 'B': {
      Begin begin;
      begin.final_lsn = in.u64();
      begin.commit_time = in.i64();
      begin.xid = in.u32();
      message = begin;
      break;
    }
    case 'C': {
      Commit commit;
      in.u8();  // flags, unused
      commit.commit_lsn = in.u64();
      commit.end_lsn = in.u64();
      commit.commit_time = in.i64();
      message = commit;
      break;
    }
    case 'R':
      message = read_relation(in);
      break;
    case 'I': {
      RowInsert insert;
      insert.relation = in.u32();
      expect_new_row_marker(in, static_cast<char>(in.u8()));
      insert.new_row = read_tuple(in);
      message = std::move(insert);
      break;
    }
    case 'U':
      message = read_update(in);
      break;
    case 'D':
      message = read_delete(in);
      break;
    case 'T':
      message = read_truncate(in);
      break;
    case 'O': {
      Origin origin;
      origin.commit_lsn = in.u64();
      origin.name = in.cstring();
      message = std::move(origin);
      break;
    }
    case 'Y': {
      TypeInfo type;
      type.id = in.u32();
      type.schema = in.cstring();
      type.name = in.cstring();
      message = std::move(type);
      break;
    }
    case 'M': {
      LogicalMessage logical;
      logical.transactional = (in.u8() & 1) != 0;
      logical.lsn = in.u64();
      logical.prefix = in.cstring();
      const int32_t length = in.i32();
      if (length < 0) in.reject("a negative content length");
      logical.content = in.bytes(length < 0 ? 0 : static_cast<size_t>(length));
      message = std::move(logical);
      break;
    }
    default:
      in.reject(std::string("unknown message kind '") + kind + "'");
  }
  if (!in.failed() && !in.at_end()) in.reject("bytes after the message");
  if (in.failed()) return in.error();
  return message;
}

}  // namespace courier::pg
