// The `streams:` section: defaults are the reference service's, its environment variables
// override the file, the rindexer example is the default mapping, and each mistake is
// reported with its path and line:column.
#include "redis_to_pg/stream_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/courier_config.h"

namespace courier::redis_to_pg {
namespace {

struct ReadStreams {
  StreamsConfig streams;
  std::string errors;  // every error as printed, one per line
};

ReadStreams read(std::string_view yaml, std::map<std::string, std::string> env = {}) {
  auto lookup = config::environment_from_map(std::move(env));
  config::LoadResult loaded = config::load_config_string(yaml, "courier.yaml", lookup);
  ReadStreams result;
  for (const auto& error : loaded.errors) result.errors += error.to_string("courier.yaml") + "\n";
  for (const auto& error : read_streams(loaded.config, lookup, result.streams))
    result.errors += error.to_string("courier.yaml") + "\n";
  return result;
}

TEST(StreamsConfig, DefaultsAreTheReferenceServicesAndTheRindexerMapping) {
  ReadStreams read_back = read("streams: {}\n");
  ASSERT_EQ(read_back.errors, "");
  const StreamsConfig& streams = read_back.streams;
  EXPECT_EQ(streams.streams, std::vector<std::string>{"rindexer_producer"});
  EXPECT_EQ(streams.group, "postgres-sync");
  EXPECT_EQ(streams.batch_size, 100);
  EXPECT_EQ(streams.batch_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(streams.workers, 4);
  EXPECT_EQ(streams.max_retries, 3);
  EXPECT_EQ(streams.breaker_threshold, 5);
  EXPECT_EQ(streams.breaker_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(streams.processing_timeout, std::chrono::milliseconds(30000));
  EXPECT_TRUE(streams.builtin_rindexer_schema);
  ASSERT_EQ(streams.mappings.size(), 6u);
  EXPECT_EQ(streams.mappings[1].event, "Deposited");
  EXPECT_EQ(streams.mappings[1].table, "deposited_events");
  EXPECT_EQ(streams.mappings[5].event, "");  // every other event
  EXPECT_EQ(streams.mappings[5].table, "generic_events");
}

TEST(StreamsConfig, EveryReferenceEnvironmentVariableOverridesTheFile) {
  ReadStreams read_back = read("streams:\n  batch_size: 10\n  group: from-file\n",
                               {{"REDIS_STREAMS", "a, b ,c"},
                                {"CONSUMER_GROUP", "g"},
                                {"CONSUMER_NAME", "me"},
                                {"BATCH_SIZE", "500"},
                                {"BATCH_TIMEOUT_MS", "20"},
                                {"WORKERS", "2"},
                                {"PROCESSING_TIMEOUT_MS", "1500"},
                                {"MAX_RETRIES", "7"},
                                {"CIRCUIT_BREAKER_THRESHOLD", "9"},
                                {"CIRCUIT_BREAKER_TIMEOUT_MS", "2500"},
                                {"CLAIM_IDLE_MS", "3000"}});
  ASSERT_EQ(read_back.errors, "");
  const StreamsConfig& streams = read_back.streams;
  EXPECT_EQ(streams.streams, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(streams.group, "g");
  EXPECT_EQ(streams.consumer, "me");
  EXPECT_EQ(streams.batch_size, 500);
  EXPECT_EQ(streams.batch_timeout, std::chrono::milliseconds(20));
  EXPECT_EQ(streams.workers, 2);
  EXPECT_EQ(streams.processing_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(streams.max_retries, 7);
  EXPECT_EQ(streams.breaker_threshold, 9);
  EXPECT_EQ(streams.breaker_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(streams.claim_idle, std::chrono::milliseconds(3000));
}

TEST(StreamsConfig, BadEnvironmentValueIsAnErrorNamingTheVariable) {
  ReadStreams read_back = read("streams: {}\n", {{"BATCH_SIZE", "lots"}, {"WORKERS", "0"}});
  EXPECT_NE(read_back.errors.find("environment BATCH_SIZE"), std::string::npos) << read_back.errors;
  EXPECT_NE(read_back.errors.find("'lots'"), std::string::npos);
  EXPECT_NE(read_back.errors.find("environment WORKERS"), std::string::npos);
  EXPECT_EQ(read_back.streams.batch_size, 100);
}

TEST(StreamsConfig, FileKeysAreRead) {
  ReadStreams read_back = read(R"(streams:
  streams: [orders]
  group: g1
  consumer: c1
  workers: 3
  batch_size: 1000
  batch_timeout: 50ms
  claim_idle: 10s
  max_deliveries: 2
  circuit_breaker: {threshold: 2, timeout: 5s}
  dead_letter_stream: dl
  migrations: db/migrations
  mappings:
    - stream: orders
      table: sales.orders
      key: [id]
      on_conflict: update
      columns:
        - {column: id, field: id, type: bigint}
        - {column: body, path: $, type: jsonb}
        - {column: at, document: meta.at, type: timestamptz, optional: true}
        - {column: entry, meta: entry_id}
)");
  ASSERT_EQ(read_back.errors, "");
  const StreamsConfig& streams = read_back.streams;
  EXPECT_EQ(streams.batch_timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(streams.max_deliveries, 2);
  EXPECT_EQ(streams.breaker_threshold, 2);
  EXPECT_FALSE(streams.builtin_rindexer_schema);
  ASSERT_EQ(streams.mappings.size(), 1u);
  const TableMapping& mapping = streams.mappings[0];
  EXPECT_EQ(mapping.on_conflict, ConflictAction::kUpdate);
  ASSERT_EQ(mapping.columns.size(), 4u);
  EXPECT_EQ(mapping.columns[0].source, ValueSource::kField);
  EXPECT_TRUE(mapping.columns[1].path.empty());
  EXPECT_EQ(mapping.columns[2].path, (std::vector<std::string>{"meta", "at"}));
  EXPECT_TRUE(mapping.columns[2].optional);
  EXPECT_EQ(mapping.columns[3].meta, MetaValue::kEntryId);
}

TEST(StreamsConfig, InputLimitsHaveBoundedDefaultsAndAreRead) {
  const StreamsConfig defaults = read("streams: {}\n").streams;
  EXPECT_EQ(defaults.max_json_depth, 128);
  EXPECT_EQ(defaults.max_batch_bytes, 16 << 20);
  EXPECT_EQ(defaults.dead_letter_max_length, 100'000);
  ReadStreams read_back = read(
      "streams:\n  max_json_depth: 32\n  max_batch_bytes: 65536\n  dead_letter_max_length: 10\n");
  ASSERT_EQ(read_back.errors, "");
  EXPECT_EQ(read_back.streams.max_json_depth, 32);
  EXPECT_EQ(read_back.streams.max_batch_bytes, 65536);
  EXPECT_EQ(read_back.streams.dead_letter_max_length, 10);
}

TEST(StreamsConfig, InputLimitsOutOfRangeAreErrorsNamingTheKey) {
  ReadStreams read_back =
      read("streams:\n  max_json_depth: 5000\n  max_batch_bytes: 0\n  dead_letter_max_length: 0\n");
  EXPECT_NE(read_back.errors.find("courier.yaml:2:19: streams.max_json_depth"), std::string::npos)
      << read_back.errors;
  EXPECT_NE(read_back.errors.find("streams.max_batch_bytes"), std::string::npos);
  EXPECT_NE(read_back.errors.find("streams.dead_letter_max_length"), std::string::npos);
}

TEST(StreamsConfig, MappingMistakesAreReportedWithLineAndColumn) {
  ReadStreams read_back = read(R"(streams:
  mappings:
    - table: t
      key: [id, missing]
      columns:
        - {column: id, path: a..b, type: bigint}
        - {column: x, path: x, field: x}
        - {column: y, path: y, type: money}
        - {column: z, path: z, type: text, hex_without_prefix: true}
    - table: u
      key: [id]
      columns:
        - {column: id, path: id}
)");
  const std::string& errors = read_back.errors;
  EXPECT_NE(errors.find("courier.yaml:4:12: streams.mappings[0].key: key column 'missing'"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("6:30: streams.mappings[0].columns[0].path: expected a dot-separated"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("only one of 'path', 'document', 'field' and 'meta'"), std::string::npos);
  EXPECT_NE(errors.find("'money'"), std::string::npos);
  EXPECT_NE(errors.find("applies to numeric, bigint and timestamptz"), std::string::npos);
  EXPECT_NE(errors.find("10:7: streams.mappings[1]: another mapping (streams.mappings[0])"),
            std::string::npos)
      << errors;
}

TEST(StreamsConfig, RindexerExampleFileLoadsWithoutErrors) {
  std::ifstream file(std::string(COURIER_SOURCE_DIR) + "/examples/rindexer/courier.yaml");
  std::stringstream text;
  text << file.rdbuf();
  ASSERT_FALSE(text.str().empty());
  ReadStreams read_back = read(text.str(), {{"DATABASE_URL", "postgresql://u@localhost/db"}});
  EXPECT_EQ(read_back.errors, "");
  ASSERT_EQ(read_back.streams.mappings.size(), 6u);
  const ColumnMapping& log_index = read_back.streams.mappings[0].columns[5];
  EXPECT_EQ(log_index.column, "log_index");
  EXPECT_TRUE(log_index.hex_without_prefix);
  EXPECT_NE(rindexer_migration_sql().find("CREATE TABLE IF NOT EXISTS deposited_events"),
            std::string::npos);
}

// The ```yaml blocks of a page under docs/ that have a `streams:` section.
std::vector<std::string> streams_examples(const std::string& page) {
  std::ifstream file(std::string(COURIER_SOURCE_DIR) + "/docs/" + page);
  std::stringstream text;
  text << file.rdbuf();
  std::string markdown = text.str();
  std::vector<std::string> blocks;
  const std::string open = "```yaml\n";
  for (size_t start = markdown.find(open); start != std::string::npos;
       start = markdown.find(open, start)) {
    start += open.size();
    std::string block = markdown.substr(start, markdown.find("```", start) - start);
    if (block.find("streams:") != std::string::npos) blocks.push_back(block);
  }
  return blocks;
}

TEST(StreamsConfig, EveryStreamsExampleInTheDocsReadsWithoutErrors) {
  size_t examples = 0;
  for (const char* page : {"configuration.md", "stream-ingest.md"}) {
    for (const std::string& block : streams_examples(page)) {
      ++examples;
      ReadStreams read_back = read(block);
      EXPECT_EQ(read_back.errors, "") << page << ":\n" << block;
    }
  }
  EXPECT_GE(examples, 2u);
}

}  // namespace
}  // namespace courier::redis_to_pg
