// Stream ingest end to end against real Redis and Postgres: the rindexer events (objects,
// arrays, hex and decimal) land in their tables; bad input is dead-lettered with a reason
// while its neighbours commit; two instances in one group write no duplicates; a dead
// consumer's pending entries are taken over; a deleted and recreated stream is read again;
// a restart with the same consumer name resumes its own pending entries.
#include <gtest/gtest.h>

#include "ingest_support.h"

namespace courier::redis_to_pg {
namespace {

using namespace std::chrono_literals;

TEST(StreamIngest, RindexerEventsLandInTheirTablesAndThePendingListEmpties) {
  IngestFixture f;
  StreamIngest ingest(f.options(f.streams_config()));
  ASSERT_TRUE(ingest.start().ok());
  f.xadd(envelope("Deposited", deposited(1, "1000")));
  f.xadd(envelope("Deposited", nlohmann::json::array({deposited(2), deposited(3), deposited(4)})));
  nlohmann::json atom = {{"termId", "0x1"},
                         {"creator", "0xc"},
                         {"atomWallet", "0xw"},
                         {"atomData", "data"},
                         {"transaction_information", transaction_information(5)}};
  f.xadd(envelope("AtomCreated", atom), "data");
  nlohmann::json other = {{"x", 1}, {"transaction_information", transaction_information(6)}};
  f.xadd(envelope("Unheard", other), "payload");
  ASSERT_TRUE(f.eventually_count("deposited_events", 4));
  ASSERT_TRUE(f.eventually_count("atom_created_events", 1));
  ASSERT_TRUE(f.eventually_count("generic_events", 1));
  EXPECT_EQ(f.sql("SELECT string_agg(assets, ',' ORDER BY log_index) FROM deposited_events"),
            "1000,16,16,16");
  EXPECT_EQ(f.sql("SELECT event_data->>'x' FROM generic_events"), "1");
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_TRUE(pg::eventually([&] { return ingest.metrics().processed() == 4; }));
  ingest.stop();
  EXPECT_TRUE(f.dead_letters().empty());
}

TEST(StreamIngest, BadInputIsDeadLetteredWithAReasonAndNeighboursCommit) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.max_entry_bytes = 2000;
  config.workers = 1;
  StreamIngest ingest(f.options(config));
  ASSERT_TRUE(ingest.start().ok());
  // A constraint the decoder cannot know about: only Postgres refuses that row.
  auto conn = f.connect();
  PG_ASSERT_OK(conn->execute_script(
      "ALTER TABLE deposited_events ADD CONSTRAINT no_huge_vault CHECK (vault_type < 100)"));
  nlohmann::json huge_vault = deposited(12);
  huge_vault["vaultType"] = 500;
  std::vector<std::string> payloads = {
      envelope("Deposited", deposited(10)),
      "{not json",                                                   // malformed JSON
      envelope("Deposited", nlohmann::json{{"sender", "0xs"}}),      // missing fields
      envelope("Deposited", deposited(11, "eleven")),                // wrong type
      envelope("Deposited", huge_vault),                             // constraint violation
      envelope("Deposited", deposited(13, std::string(3000, '1'))),  // oversized entry
      envelope("Deposited", deposited(14)),
  };
  f.xadd_many(payloads);
  ASSERT_TRUE(f.eventually_count("deposited_events", 2));
  ASSERT_TRUE(pg::eventually([&] { return f.dead_letters().size() == 5; }));
  std::string reasons;
  for (const DeadLetter& letter : f.dead_letters()) reasons += letter.error + "\n";
  EXPECT_NE(reasons.find("field 'event_data' is not valid JSON"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("column 'receiver' (receiver) of table deposited_events: missing"),
            std::string::npos)
      << reasons;
  EXPECT_NE(reasons.find("expected a decimal or 0x hex number, got 'eleven'"), std::string::npos);
  EXPECT_NE(reasons.find("table deposited_events refused the row"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("larger than max_entry_bytes"), std::string::npos);
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_EQ(
      f.sql("SELECT string_agg(log_index::text, ',' ORDER BY log_index) FROM deposited_events"),
      "16,20");  // 10 and 14, read as hex as the reference did
  EXPECT_EQ(ingest.metrics().failed(), 5u);
}

TEST(StreamIngest, TwoInstancesSharingAGroupWriteEveryEntryOnce) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.consumer = "first";
  StreamIngest first(f.options(config));
  config.consumer = "second";
  StreamIngest second(f.options(config));
  ASSERT_TRUE(first.start().ok());
  ASSERT_TRUE(second.start().ok());
  std::vector<std::string> payloads;
  for (int i = 0; i < 5000; ++i)
    payloads.push_back(envelope("Deposited", deposited(i, "1", 100 + i % 7)));
  f.xadd_many(payloads);
  ASSERT_TRUE(f.eventually_count("deposited_events", 5000));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  first.stop();
  second.stop();
  EXPECT_EQ(first.metrics().processed() + second.metrics().processed(), 5000u);
  EXPECT_GT(first.metrics().processed(), 0u);
  EXPECT_GT(second.metrics().processed(), 0u);
}

TEST(StreamIngest, PendingEntriesOfADeadConsumerAreTakenOver) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.claim_idle = 300ms;
  const std::string group = f.entries_left_pending(50, "dead-host-0");
  StreamIngest ingest(f.options(config));
  ASSERT_TRUE(ingest.start().ok());
  ASSERT_TRUE(f.eventually_count("deposited_events", 50));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(group) == 0; }));
}

TEST(StreamIngest, RestartWithTheSameConsumerNameResumesItsOwnPendingEntries) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.consumer = "stable";
  config.workers = 1;
  config.claim_idle = std::chrono::hours(1);  // no takeover: only its own name finds them
  const std::string group = f.entries_left_pending(20, consumer_name_for("stable", 0));
  StreamIngest ingest(f.options(config));
  ASSERT_TRUE(ingest.start().ok());
  ASSERT_TRUE(f.eventually_count("deposited_events", 20));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(group) == 0; }));
}

TEST(StreamIngest, EntriesDeliveredTooOftenAreDeadLettered) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.claim_idle = 100ms;
  config.max_deliveries = 2;
  // Delivered once and claimed once more by a crashed consumer; the takeover is the third.
  const std::string group = f.entries_left_pending(1, "crashed");
  auto id = (*f.client().command({"XRANGE", f.stream(), "-", "+"}))[0][0].str();
  ASSERT_TRUE(f.client().command({"XCLAIM", f.stream(), group, "crashed", "0", id}).ok());
  StreamIngest ingest(f.options(config));
  ASSERT_TRUE(ingest.start().ok());
  ASSERT_TRUE(pg::eventually([&] { return f.dead_letters().size() == 1; }));
  EXPECT_NE(f.dead_letters()[0].error.find("more than max_deliveries (2)"), std::string::npos);
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(group) == 0; }));
  EXPECT_EQ(f.sql("SELECT count(*) FROM deposited_events"), "0");
}

TEST(StreamIngest, DeletedAndRecreatedStreamIsReadAgain) {
  IngestFixture f;
  StreamIngest ingest(f.options(f.streams_config()));
  ASSERT_TRUE(ingest.start().ok());
  f.xadd(envelope("Deposited", deposited(1)));
  ASSERT_TRUE(f.eventually_count("deposited_events", 1));
  ASSERT_EQ(f.redis_integer({"DEL", f.stream()}), 1);
  f.xadd(envelope("Deposited", deposited(2)));  // a new stream, without the group
  ASSERT_TRUE(f.eventually_count("deposited_events", 2));
}

TEST(StreamIngest, AFullBatchDoesNotWaitForTheBatchTimeout) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.workers = 1;
  config.batch_size = 10;
  config.batch_timeout = std::chrono::minutes(5);  // only bounds a partial batch
  StreamIngest ingest(f.options(config));
  ASSERT_TRUE(ingest.start().ok());
  std::vector<std::string> payloads;
  for (int i = 0; i < 30; ++i) payloads.push_back(envelope("Deposited", deposited(i)));
  f.xadd_many(payloads);
  ASSERT_TRUE(f.eventually_count("deposited_events", 30, std::chrono::seconds(60)));
  // Three full batches, or more when a read drained the stream while the entries were
  // still being added (that closes a partial batch at once too).
  EXPECT_GE(ingest.metrics().batches(), 3u);
}

TEST(StreamIngest, StopCommitsAndAcksTheBatchesInHand) {
  IngestFixture f;
  std::vector<std::string> payloads;
  for (int i = 0; i < 20000; ++i)
    payloads.push_back(envelope("Deposited", deposited(i % 1000, "1", i / 1000)));
  f.xadd_many(payloads);
  StreamIngest ingest(f.options(f.streams_config()));
  ASSERT_TRUE(ingest.start().ok());
  ASSERT_TRUE(pg::eventually([&] { return ingest.metrics().processed() > 0; }));
  ingest.stop();
  // Whatever was read was committed and acked: nothing is left pending.
  EXPECT_EQ(f.pending_count(f.stream() + "-group"), 0);
  EXPECT_EQ(f.sql("SELECT count(*) FROM deposited_events"),
            std::to_string(ingest.metrics().processed()));
}

// `options` pointed at the shared Redis Cluster; a client of it for the test.
std::unique_ptr<redis::Client> on_shared_cluster(StreamIngestOptions& options) {
  options.redis.nodes = {courier::testing::shared_cluster().node(0).address()};
  options.redis.topology = redis::Topology::kCluster;
  auto client = redis::make_client(options.redis);
  EXPECT_TRUE(client.ok()) << client.status().to_string();
  return client.ok() ? std::move(*client) : nullptr;
}

TEST(StreamIngest, WorksOnARedisCluster) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  StreamIngestOptions options = f.options(config);
  auto client = on_shared_cluster(options);
  ASSERT_NE(client, nullptr);
  StreamIngest ingest(std::move(options));
  ASSERT_TRUE(ingest.start().ok());
  for (int i = 0; i < 200; ++i) {
    auto added = client->command(
        {"XADD", f.stream(), "*", "event_data", envelope("Deposited", deposited(i))});
    ASSERT_TRUE(added.ok()) << added.status().to_string();
  }
  ASSERT_TRUE(f.eventually_count("deposited_events", 200));
  EXPECT_TRUE(pg::eventually([&] {
    auto pending = client->command({"XPENDING", f.stream(), config.group});
    return pending.ok() && pending->size() > 0 && (*pending)[0].integer() == 0;
  }));
}

TEST(StreamIngest, SeveralStreamsInDifferentClusterSlotsAreAllRead) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.streams = {f.stream() + "-a", f.stream() + "-b", f.stream() + "-c"};
  StreamIngestOptions options = f.options(config);
  auto client = on_shared_cluster(options);
  ASSERT_NE(client, nullptr);
  StreamIngest ingest(std::move(options));
  ASSERT_TRUE(ingest.start().ok());
  for (int i = 0; i < 90; ++i) {
    const std::string& stream = config.streams[i % 3];
    ASSERT_TRUE(
        client->command({"XADD", stream, "*", "event_data", envelope("Deposited", deposited(i))})
            .ok());
  }
  ASSERT_TRUE(f.eventually_count("deposited_events", 90));
}

}  // namespace
}  // namespace courier::redis_to_pg
