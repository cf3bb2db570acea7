// Entries as the rindexer publishes them (objects, arrays, hex and decimal), and every
// kind of bad entry: each refused with a reason that names what and where, neighbours kept.
#include "redis_to_pg/entry_decoder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace courier::redis_to_pg {
namespace {

using nlohmann::json;

json transaction_information(int log_index) {
  return {{"address", "0xabc"},
          {"block_hash", "0xbh"},
          {"block_number", 18500000},
          {"block_timestamp", "0x6553f100"},
          {"log_index", std::to_string(log_index)},
          {"network", "base"},
          {"transaction_hash", "0xtx"},
          {"transaction_index", "0x2"}};
}

json deposited(int log_index, const std::string& assets = "0x3635c9adc5dea00000") {
  return {{"sender", "0xs"},     {"receiver", "0xr"},
          {"termId", "0xt"},     {"curveId", "1"},
          {"assets", assets},    {"shares", "10"},
          {"totalShares", "20"}, {"assetsAfterFees", "0x10"},
          {"vaultType", 1},      {"transaction_information", transaction_information(log_index)}};
}

StreamEntry entry_of(const json& document, std::string field = "event_data") {
  return {"rindexer_producer", "1700000000000-0", {{std::move(field), document.dump()}}};
}

json envelope(const std::string& event, const json& data) {
  return {{"event_name", event},
          {"event_signature_hash", "0xsig"},
          {"event_data", data},
          {"network", "base"}};
}

class EntryDecoderTest : public ::testing::Test {
 protected:
  EntryDecoderTest() {
    config_.mappings = rindexer_mappings();
    config_.max_entry_bytes = 4096;
  }
  // The value of `column` in `row`.
  std::string value(const DecodedRow& row, const std::string& column) const {
    const TableMapping& mapping = config_.mappings[row.mapping];
    for (size_t i = 0; i < mapping.columns.size(); ++i)
      if (mapping.columns[i].column == column) return row.values[i].value_or("<null>");
    ADD_FAILURE() << "no column " << column;
    return "";
  }
  StreamsConfig config_;
};

TEST_F(EntryDecoderTest, RindexerObjectBecomesOneRowWithConvertedValues) {
  EntryDecoder decoder(config_);
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Deposited", deposited(33))));
  ASSERT_TRUE(decoded.rejected.empty()) << decoded.rejected[0].error.message();
  ASSERT_EQ(decoded.rows.size(), 1u);
  const DecodedRow& row = decoded.rows[0];
  EXPECT_EQ(config_.mappings[row.mapping].table, "deposited_events");
  EXPECT_EQ(value(row, "assets"), "1000000000000000000000");
  EXPECT_EQ(value(row, "assets_after_fees"), "16");
  EXPECT_EQ(value(row, "log_index"), "51");  // hex without prefix, as the reference
  EXPECT_EQ(value(row, "block_number"), "18500000");
  EXPECT_EQ(value(row, "block_timestamp"), "2023-11-14 22:13:20+00");
  EXPECT_EQ(value(row, "transaction_index"), "2");
  EXPECT_EQ(value(row, "vault_type"), "1");
}

TEST_F(EntryDecoderTest, ArrayFansOutIntoOneRowPerElement) {
  EntryDecoder decoder(config_);
  json array = json::array({deposited(1), deposited(2), deposited(3)});
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Deposited", array)));
  ASSERT_EQ(decoded.rows.size(), 3u);
  EXPECT_EQ(decoded.rows[2].element_index, 2u);
  EXPECT_EQ(value(decoded.rows[2], "log_index"), "3");
}

TEST_F(EntryDecoderTest, BadElementIsRejectedAloneWithItsIndexAndColumn) {
  EntryDecoder decoder(config_);
  json array = json::array({deposited(1), deposited(2, "lots"), deposited(3)});
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Deposited", array)));
  EXPECT_EQ(decoded.rows.size(), 2u);
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_EQ(decoded.rejected[0].element_index, 1u);
  EXPECT_EQ(decoded.rejected[0].error.message(),
            "element 1: column 'assets' (assets) of table deposited_events: expected a decimal "
            "or 0x hex number, got 'lots'");
  EXPECT_NE(decoded.rejected[0].payload.find("\"lots\""), std::string::npos);
}

TEST_F(EntryDecoderTest, UnknownEventGoesToTheGenericTableAsJsonb) {
  EntryDecoder decoder(config_);
  json data = {{"foo", "bar"}, {"transaction_information", transaction_information(7)}};
  DecodedEntry decoded = decoder.decode(entry_of(envelope("SomethingNew", data), "data"));
  ASSERT_EQ(decoded.rows.size(), 1u);
  EXPECT_EQ(config_.mappings[decoded.rows[0].mapping].table, "generic_events");
  EXPECT_EQ(value(decoded.rows[0], "event_name"), "SomethingNew");
  EXPECT_EQ(json::parse(value(decoded.rows[0], "event_data"))["foo"], "bar");
}

TEST_F(EntryDecoderTest, PayloadFieldsAreTriedInOrder) {
  EntryDecoder decoder(config_);
  StreamEntry entry{
      "s", "1-0", {{"payload", "not json"}, {"data", envelope("Deposited", deposited(4)).dump()}}};
  DecodedEntry decoded = decoder.decode(entry);
  ASSERT_EQ(decoded.rows.size(), 1u)
      << (decoded.rejected.empty() ? "" : decoded.rejected[0].error.message());
}

TEST_F(EntryDecoderTest, WholeEntryMistakesAreRejectedWithAReason) {
  EntryDecoder decoder(config_);
  auto reason = [&](const StreamEntry& entry) {
    DecodedEntry decoded = decoder.decode(entry);
    EXPECT_TRUE(decoded.rows.empty());
    EXPECT_EQ(decoded.rejected.size(), 1u);
    if (decoded.rejected.empty()) return std::string();
    EXPECT_EQ(decoded.rejected[0].element_index, kWholeEntry);
    EXPECT_NE(decoded.rejected[0].payload.find(entry.id), std::string::npos);
    return decoded.rejected[0].error.message();
  };
  // The parser's own reason follows in brackets.
  EXPECT_EQ(reason({"s", "1-0", {{"event_data", "{\"event_name\": "}}})
                .rfind("field 'event_data' is not valid JSON (", 0),
            0u);
  EXPECT_NE(reason({"s", "1-1", {{"event_data", std::string(5000, 'x')}}}).find("max_entry_bytes"),
            std::string::npos);
  EXPECT_NE(reason(entry_of(envelope("Deposited", 12))).find("object or an array"),
            std::string::npos);
  EXPECT_NE(reason({"s", "1-2", {{"other", "x"}}}).find("no JSON payload field"),
            std::string::npos);
}

// A bare JSON number no 64-bit integer or double holds cannot reach any column whole: the
// entry is refused with the advice to send it as a string, and a neighbour that does so
// goes through.
TEST_F(EntryDecoderTest, ANumberBeyond64BitsIsRefusedWithAdviceAndItsStringFormPasses) {
  EntryDecoder decoder(config_);
  std::string as_number = envelope("Deposited", deposited(3)).dump();
  const std::string quoted = "\"0x3635c9adc5dea00000\"";
  as_number.replace(as_number.find(quoted), quoted.size(), "18446744073709551616");
  DecodedEntry refused = decoder.decode({"s", "1-0", {{"event_data", as_number}}});
  EXPECT_TRUE(refused.rows.empty());
  ASSERT_EQ(refused.rejected.size(), 1u);
  EXPECT_NE(refused.rejected[0].error.message().find("holds a number beyond 64-bit integers"),
            std::string::npos)
      << refused.rejected[0].error.message();
  DecodedEntry accepted = decoder.decode(entry_of(envelope("Deposited", deposited(3))));
  EXPECT_EQ(accepted.rows.size(), 1u);
}

TEST_F(EntryDecoderTest, JsonNestedDeeperThanTheLimitIsRejectedWithoutRecursing) {
  config_.max_entry_bytes = 1 << 20;
  EntryDecoder decoder(config_);
  // Serialising this (the generic table's jsonb column) would overflow the stack.
  const size_t levels = 200'000;
  StreamEntry deep{
      "s", "1-0", {{"event_data", std::string(levels, '[') + std::string(levels, ']')}}};
  DecodedEntry decoded = decoder.decode(deep);
  EXPECT_TRUE(decoded.rows.empty());
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_EQ(decoded.rejected[0].element_index, kWholeEntry);
  EXPECT_EQ(decoded.rejected[0].error.message(),
            "field 'event_data': JSON nests deeper than max_json_depth (128) at byte 128");
}

// One table taking every event as a whole, as jsonb.
std::vector<TableMapping> whole_event_as_jsonb() {
  return {TableMapping{
      .table = "t",
      .key = {"id"},
      .columns = {{.column = "id", .source = ValueSource::kMeta, .meta = MetaValue::kEntryId},
                  {.column = "doc", .path = {}, .type = ValueType::kJsonb}}}};
}

TEST_F(EntryDecoderTest, JsonAtTheDepthLimitIsAcceptedOneLevelMoreIsNot) {
  config_.mappings = whole_event_as_jsonb();
  config_.max_json_depth = 4;
  EntryDecoder decoder(config_);
  json at_limit = envelope("Other", {{"a", json::array({json::array({1})})}});  // 4 levels
  DecodedEntry accepted = decoder.decode(entry_of(at_limit));
  EXPECT_EQ(accepted.rows.size(), 1u)
      << (accepted.rejected.empty() ? "" : accepted.rejected[0].error.message());
  json too_deep = envelope("Other", {{"a", json::array({json::array({json::array({1})})})}});
  DecodedEntry refused = decoder.decode(entry_of(too_deep));
  ASSERT_EQ(refused.rejected.size(), 1u);
  EXPECT_NE(refused.rejected[0].error.message().find("deeper than max_json_depth (4)"),
            std::string::npos);
  json brackets_in_text = envelope("Other", {{"a", "[[[[[[{{{{{"}});  // text, not nesting
  EXPECT_EQ(decoder.decode(entry_of(brackets_in_text)).rows.size(), 1u);
}

TEST_F(EntryDecoderTest, EventDataNestedAsAStringHasTheSameDepthLimit) {
  config_.mappings = whole_event_as_jsonb();
  config_.max_json_depth = 4;
  EntryDecoder decoder(config_);
  json inner = {{"a", json::array({json::array({json::array({json::array({1})})})})}};
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Other", inner.dump())));
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_EQ(decoded.rejected[0].error.message(),
            "'event_data' (a string): JSON nests deeper than max_json_depth (4) at byte 8");
}

TEST_F(EntryDecoderTest, MissingFieldAndWrongTypeNameTheColumn) {
  EntryDecoder decoder(config_);
  json data = deposited(5);
  data.erase("receiver");
  data["transaction_information"]["block_number"] = "block five";
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Deposited", data)));
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_EQ(decoded.rejected[0].error.message(),
            "column 'receiver' (receiver) of table deposited_events: missing (absent or null) "
            "and not optional");
  data["receiver"] = "0xr";
  decoded = decoder.decode(entry_of(envelope("Deposited", data)));
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_NE(decoded.rejected[0].error.message().find(
                "column 'block_number' (transaction_information.block_number)"),
            std::string::npos);
}

TEST_F(EntryDecoderTest, NoMappingForAnEventIsARejection) {
  config_.mappings.pop_back();  // no generic table
  EntryDecoder decoder(config_);
  DecodedEntry decoded = decoder.decode(entry_of(envelope("Unknown", deposited(1))));
  ASSERT_EQ(decoded.rejected.size(), 1u);
  EXPECT_EQ(decoded.rejected[0].error.message(),
            "no mapping takes event 'Unknown' of stream 'rindexer_producer'");
}

TEST_F(EntryDecoderTest, EntryFieldsAndMetaValuesFeedColumns) {
  config_.mappings = {TableMapping{
      .table = "t",
      .key = {"id"},
      .columns = {{.column = "id",
                   .source = ValueSource::kField,
                   .field = "id",
                   .type = ValueType::kBigint},
                  {.column = "entry", .source = ValueSource::kMeta, .meta = MetaValue::kEntryId},
                  {.column = "stream", .source = ValueSource::kMeta, .meta = MetaValue::kStream}}}};
  EntryDecoder decoder(config_);
  DecodedEntry decoded = decoder.decode({"orders", "5-1", {{"id", "0x10"}}});
  ASSERT_EQ(decoded.rows.size(), 1u);
  EXPECT_EQ(decoded.rows[0].values[0], "16");
  EXPECT_EQ(decoded.rows[0].values[1], "5-1");
  EXPECT_EQ(decoded.rows[0].values[2], "orders");
}

}  // namespace
}  // namespace courier::redis_to_pg
