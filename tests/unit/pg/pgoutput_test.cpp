// pgoutput messages and the replication stream's own messages, built byte by byte as the
// protocol documentation lays them out, decoded; and malformed ones refused with where
// they broke.
#include "pg/pgoutput.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "pg/replication_messages.h"

namespace courier::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Writes a message the way the server does: big-endian integers, zero-terminated strings.
class Bytes {
 public:
  explicit Bytes(char kind) { out_.push_back(kind); }
  Bytes& u8(uint8_t v) { return integer(v, 1); }
  Bytes& u16(uint16_t v) { return integer(v, 2); }
  Bytes& u32(uint32_t v) { return integer(v, 4); }
  Bytes& u64(uint64_t v) { return integer(v, 8); }
  Bytes& str(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
    return *this;
  }
  Bytes& text(std::string_view value) {  // a 't' tuple value
    u8('t').u32(static_cast<uint32_t>(value.size()));
    out_.append(value);
    return *this;
  }
  std::string done() const { return out_; }

 private:
  Bytes& integer(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) out_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  std::string out_;
};

template <typename T>
T decoded(const std::string& payload) {
  auto message = decode_pgoutput(payload);
  EXPECT_TRUE(message.ok()) << message.status().to_string();
  if (!message.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*message)) << "another message kind";
  return std::holds_alternative<T>(*message) ? std::get<T>(*message) : T{};
}

TEST(PgOutput, BeginAndCommitCarryTheirLsnsTimeAndXid) {
  Begin begin = decoded<Begin>(Bytes('B').u64(0x16B374D848).u64(5000).u32(731).done());
  EXPECT_EQ(begin.final_lsn, 0x16B374D848u);
  EXPECT_EQ(begin.commit_time, 5000);
  EXPECT_EQ(begin.xid, 731u);
  Commit commit = decoded<Commit>(Bytes('C').u8(0).u64(0x10).u64(0x48).u64(7000).done());
  EXPECT_EQ(commit.commit_lsn, 0x10u);
  EXPECT_EQ(commit.end_lsn, 0x48u);
  EXPECT_EQ(commit.commit_time, 7000);
}

TEST(PgOutput, RelationListsColumnsWithTypesAndKeyFlags) {
  Relation relation = decoded<Relation>(Bytes('R')
                                            .u32(16384)
                                            .str("public")
                                            .str("accounts")
                                            .u8('f')
                                            .u16(2)
                                            .u8(1).str("aid").u32(23).u32(0xFFFFFFFF)
                                            .u8(0).str("note").u32(25).u32(0xFFFFFFFF)
                                            .done());
  EXPECT_EQ(relation.id, 16384u);
  EXPECT_EQ(relation.schema, "public");
  EXPECT_EQ(relation.name, "accounts");
  EXPECT_EQ(relation.identity, ReplicaIdentity::kFull);
  ASSERT_EQ(relation.columns.size(), 2u);
  EXPECT_EQ(relation.columns[0].name, "aid");
  EXPECT_TRUE(relation.columns[0].in_key);
  EXPECT_EQ(relation.columns[0].type, 23u);
  EXPECT_EQ(relation.columns[0].type_modifier, -1);
  EXPECT_FALSE(relation.columns[1].in_key);
}

TEST(PgOutput, InsertKeepsNullEmptyTextAndUnchangedToastApart) {
  RowInsert insert = decoded<RowInsert>(
      Bytes('I').u32(16384).u8('N').u16(4).text("42").u8('n').text("").u8('u').done());
  EXPECT_EQ(insert.relation, 16384u);
  ASSERT_EQ(insert.new_row.size(), 4u);
  EXPECT_EQ(insert.new_row[0].kind, TupleValue::Kind::kText);
  EXPECT_EQ(insert.new_row[0].data, "42");
  EXPECT_EQ(insert.new_row[1].kind, TupleValue::Kind::kNull);
  EXPECT_EQ(insert.new_row[2].kind, TupleValue::Kind::kText);
  EXPECT_EQ(insert.new_row[2].data, "");
  EXPECT_EQ(insert.new_row[3].kind, TupleValue::Kind::kUnchangedToast);
}

TEST(PgOutput, UpdateWithAndWithoutTheOldRow) {
  RowUpdate plain =
      decoded<RowUpdate>(Bytes('U').u32(7).u8('N').u16(1).text("new").done());
  EXPECT_EQ(plain.old_kind, OldRow::kNone);
  EXPECT_TRUE(plain.old_row.empty());
  EXPECT_EQ(plain.new_row[0].data, "new");

  RowUpdate moved = decoded<RowUpdate>(
      Bytes('U').u32(7).u8('K').u16(1).text("1").u8('N').u16(1).text("2").done());
  EXPECT_EQ(moved.old_kind, OldRow::kKey);
  EXPECT_EQ(moved.old_row[0].data, "1");
  EXPECT_EQ(moved.new_row[0].data, "2");

  RowUpdate full = decoded<RowUpdate>(
      Bytes('U').u32(7).u8('O').u16(1).text("a").u8('N').u16(1).text("b").done());
  EXPECT_EQ(full.old_kind, OldRow::kFull);
}

TEST(PgOutput, DeleteCarriesTheKeyOrTheWholeOldRow) {
  RowDelete by_key = decoded<RowDelete>(Bytes('D').u32(7).u8('K').u16(2).text("9").u8('n').done());
  EXPECT_EQ(by_key.old_kind, OldRow::kKey);
  EXPECT_EQ(by_key.old_row[0].data, "9");
  EXPECT_EQ(by_key.old_row[1].kind, TupleValue::Kind::kNull);
  RowDelete full = decoded<RowDelete>(Bytes('D').u32(7).u8('O').u16(1).text("x").done());
  EXPECT_EQ(full.old_kind, OldRow::kFull);
}

TEST(PgOutput, TruncateNamesItsTablesAndOptions) {
  Truncate truncate = decoded<Truncate>(Bytes('T').u32(2).u8(3).u32(10).u32(11).done());
  EXPECT_THAT(truncate.relations, ElementsAre(10u, 11u));
  EXPECT_TRUE(truncate.cascade);
  EXPECT_TRUE(truncate.restart_identity);
}

TEST(PgOutput, OriginTypeAndLogicalMessage) {
  EXPECT_EQ(decoded<Origin>(Bytes('O').u64(5).str("node_a").done()).name, "node_a");
  TypeInfo type = decoded<TypeInfo>(Bytes('Y').u32(90001).str("public").str("mood").done());
  EXPECT_EQ(type.id, 90001u);
  EXPECT_EQ(type.name, "mood");
  LogicalMessage message = decoded<LogicalMessage>(
      Bytes('M').u8(0).u64(0x99).str("courier").u32(5).done() + "hello");
  EXPECT_FALSE(message.transactional);
  EXPECT_EQ(message.lsn, 0x99u);
  EXPECT_EQ(message.prefix, "courier");
  EXPECT_EQ(message.content, "hello");
}

TEST(PgOutput, MalformedMessagesAreRefusedSayingWhereTheyBroke) {
  auto truncated = decode_pgoutput(Bytes('B').u64(1).done());
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(truncated.status().message(), HasSubstr("pgoutput Begin message is malformed"));
  EXPECT_THAT(truncated.status().message(), HasSubstr("8 more bytes were due at byte 9 of 9"));

  auto unknown = decode_pgoutput("Z");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown message kind 'Z'"));

  EXPECT_THAT(decode_pgoutput("").status().message(), HasSubstr("is empty"));

  auto bad_value = decode_pgoutput(Bytes('I').u32(1).u8('N').u16(1).u8('x').done());
  EXPECT_THAT(bad_value.status().message(), HasSubstr("unknown value kind 'x'"));

  auto unterminated = decode_pgoutput(Bytes('Y').u32(1).done() + "public");
  EXPECT_THAT(unterminated.status().message(), HasSubstr("without its terminating zero"));

  auto trailing = decode_pgoutput(Bytes('T').u32(0).u8(0).done() + "?");
  EXPECT_THAT(trailing.status().message(), HasSubstr("bytes after the message"));

  auto no_old_row = decode_pgoutput(Bytes('D').u32(1).u8('N').u16(0).done());
  EXPECT_THAT(no_old_row.status().message(), HasSubstr("'K' or 'O' expected"));

  // A value longer than what is left: refused, not read past the end.
  auto too_long = decode_pgoutput(Bytes('I').u32(1).u8('N').u16(1).u8('t').u32(1000).done());
  EXPECT_FALSE(too_long.ok());
}

TEST(Lsn, FormatsAndParsesPostgresText) {
  EXPECT_EQ(format_lsn(0x16B374D848), "16/B374D848");
  EXPECT_EQ(format_lsn(0), "0/0");
  EXPECT_EQ(parse_lsn("16/B374D848").value(), 0x16B374D848u);
  EXPECT_EQ(parse_lsn("0/1a").value(), 0x1Au);
  for (std::string_view bad : {"", "16", "/1", "1/", "1/2/3", "G/1", "1/ 2", "100000000/0"})
    EXPECT_FALSE(parse_lsn(bad).ok()) << bad;
}

TEST(ReplicationMessages, XLogDataAndKeepalive) {
  auto data = parse_replication_message(Bytes('w').u64(0x10).u64(0x20).u64(3).done() + "B...");
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  const auto& xlog = std::get<XLogData>(*data);
  EXPECT_EQ(xlog.start, 0x10u);
  EXPECT_EQ(xlog.server_end, 0x20u);
  EXPECT_EQ(xlog.payload, "B...");

  auto keepalive = parse_replication_message(Bytes('k').u64(0x30).u64(4).u8(1).done());
  ASSERT_TRUE(keepalive.ok());
  EXPECT_TRUE(std::get<PrimaryKeepalive>(*keepalive).reply_requested);
  EXPECT_EQ(std::get<PrimaryKeepalive>(*keepalive).server_end, 0x30u);

  EXPECT_FALSE(parse_replication_message(Bytes('k').u64(1).done()).ok());
  EXPECT_THAT(parse_replication_message("q").status().message(),
              HasSubstr("unknown message kind 'q'"));
}

TEST(ReplicationMessages, StandbyStatusUpdateIsThe34BytesTheServerReads) {
  std::string update = standby_status_update({.write = 0x30, .flush = 0x20, .apply = 0x10}, 77);
  EXPECT_EQ(update, Bytes('r').u64(0x30).u64(0x20).u64(0x10).u64(77).u8(0).done());
  EXPECT_EQ(update.size(), 34u);
}

TEST(ReplicationMessages, PostgresEpochIsTheYear2000) {
  const auto y2k = std::chrono::system_clock::time_point(std::chrono::seconds(946684800));
  EXPECT_EQ(to_pg_micros(y2k), 0);
  EXPECT_EQ(to_pg_micros(y2k + std::chrono::seconds(2)), 2'000'000);
  EXPECT_EQ(from_pg_micros(1'500'000), y2k + std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace courier::pg
