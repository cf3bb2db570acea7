// Stream ingest against hostile input and a sick Postgres, on real servers: one poison
// entry among a hundred good ones (nested 200 000 levels deep, refused by a trigger, by
// row-level security) is dead-lettered with its reason while its neighbours commit and
// nothing stays pending; a lost connection is retried, not blamed on a row; the
// dead-letter stream stays within its cap; a batch stays within its byte cap; entries
// deleted while pending are dropped, not dead-lettered.
#include <gtest/gtest.h>

#include "ingest_support.h"

namespace courier::redis_to_pg {
namespace {

using namespace std::chrono_literals;

constexpr int kNeighbours = 100;

// kNeighbours good Deposited entries with `poison` in their middle.
std::vector<std::string> among_good_entries(const std::string& poison) {
  std::vector<std::string> payloads;
  for (int i = 0; i < kNeighbours; ++i) {
    if (i == kNeighbours / 2) payloads.push_back(poison);
    payloads.push_back(envelope("Deposited", deposited(i)));
  }
  return payloads;
}

// Waits until every neighbour is committed, one letter is stored and nothing is pending;
// returns that letter.
DeadLetter neighbours_committed_and_one_letter(IngestFixture& f) {
  EXPECT_TRUE(f.eventually_count("deposited_events", kNeighbours));
  EXPECT_TRUE(pg::eventually([&] { return f.dead_letters().size() == 1; }))
      << f.dead_letters().size() << " dead letters";
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  std::vector<DeadLetter> letters = f.dead_letters();
  return letters.empty() ? DeadLetter{} : letters[0];
}

// Stream ingest with one worker (so one batch holds every entry), started.
std::unique_ptr<StreamIngest> started(StreamIngestOptions options) {
  options.streams.workers = 1;
  auto ingest = std::make_unique<StreamIngest>(std::move(options));
  Status start = ingest->start();
  EXPECT_TRUE(start.ok()) << start.to_string();
  return ingest;
}

// A BEFORE INSERT trigger on deposited_events running the PL/pgSQL `statements` per row.
void add_insert_trigger(IngestFixture& f, const std::string& name, const std::string& statements) {
  PG_ASSERT_OK(f.connect()->execute_script(
      "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " + statements +
      " RETURN NEW; END $$; CREATE TRIGGER " + name +
      " BEFORE INSERT ON deposited_events FOR EACH ROW EXECUTE FUNCTION " + name + "()"));
}

nlohmann::json deposited_in_vault(int log_index, int vault) {
  nlohmann::json event = deposited(log_index);
  event["vaultType"] = vault;
  return event;
}

TEST(HostileInput, DeeplyNestedEntryIsDeadLetteredAndItsNeighboursCommit) {
  IngestFixture f;
  auto ingest = started(f.options(f.streams_config()));
  const size_t levels = 200'000;  // serialising it recursively overflows a thread's stack
  f.xadd_many(among_good_entries(std::string(levels, '[') + std::string(levels, ']')));
  DeadLetter letter = neighbours_committed_and_one_letter(f);
  EXPECT_EQ(letter.error,
            "field 'event_data': JSON nests deeper than max_json_depth (128) at byte 128");
  EXPECT_EQ(letter.error_code, "invalid_argument");
}

TEST(HostileInput, RowRefusedByATriggerIsDeadLetteredWithItsSqlstate) {
  IngestFixture f;
  auto ingest = started(f.options(f.streams_config()));
  add_insert_trigger(f, "refuse_vault_66",
                     "IF NEW.vault_type = 66 THEN RAISE EXCEPTION 'vault 66 is closed'; END IF;");
  f.xadd_many(among_good_entries(envelope("Deposited", deposited_in_vault(kNeighbours, 66))));
  DeadLetter letter = neighbours_committed_and_one_letter(f);
  EXPECT_EQ(letter.error_detail, "P0001");
  EXPECT_NE(letter.error.find("table deposited_events refused the row: "), std::string::npos)
      << letter.error;
  EXPECT_NE(letter.error.find("vault 66 is closed"), std::string::npos) << letter.error;
  EXPECT_EQ(ingest->breaker_state(), CircuitState::kClosed);
}

TEST(HostileInput, RowRefusedByRowLevelSecurityIsDeadLetteredWithItsSqlstate) {
  IngestFixture f;
  // The table's owner is not a superuser (superusers bypass row-level security): the
  // database's owner, who runs the migration and the ingest.
  const std::string role = courier::testing::unique_name("ingest_owner");
  PG_ASSERT_OK(f.connect()->execute_script("CREATE ROLE " + role + " LOGIN; ALTER DATABASE " +
                                           f.database() + " OWNER TO " + role));
  StreamIngestOptions options = f.options(f.streams_config());
  options.postgres.user = role;
  auto ingest = started(options);
  PG_ASSERT_OK(f.connect()->execute_script(R"(
    ALTER TABLE deposited_events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE deposited_events FORCE ROW LEVEL SECURITY;
    CREATE POLICY open_vaults ON deposited_events USING (true) WITH CHECK (vault_type <> 66);)"));
  f.xadd_many(among_good_entries(envelope("Deposited", deposited_in_vault(kNeighbours, 66))));
  DeadLetter letter = neighbours_committed_and_one_letter(f);
  EXPECT_EQ(letter.error_detail, "42501");
  EXPECT_NE(letter.error.find("row-level security"), std::string::npos) << letter.error;
}

TEST(HostileInput, ALostConnectionIsRetriedNotBlamedOnARow) {
  IngestFixture f;
  auto ingest = started(f.options(f.streams_config()));
  // The first write of vault 77 ends its own session; a sequence remembers across rollbacks.
  PG_ASSERT_OK(f.connect()->execute_script("CREATE SEQUENCE sessions_ended"));
  add_insert_trigger(f, "end_session_once",
                     "IF NEW.vault_type = 77 THEN IF nextval('sessions_ended') = 1 THEN "
                     "PERFORM pg_terminate_backend(pg_backend_pid()); END IF; END IF;");
  f.xadd_many(among_good_entries(envelope("Deposited", deposited_in_vault(kNeighbours, 77))));
  ASSERT_TRUE(f.eventually_count("deposited_events", kNeighbours + 1));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_TRUE(f.dead_letters().empty());
  EXPECT_GE(std::stoi(f.sql("SELECT last_value FROM sessions_ended")), 2) << "written again";
}

TEST(HostileInput, TheDeadLetterStreamStaysWithinItsCap) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.dead_letter_max_length = 5;
  auto ingest = started(f.options(config));
  f.xadd_many(std::vector<std::string>(12, "{not json"));
  ASSERT_TRUE(pg::eventually([&] { return ingest->metrics().failed() == 12; }));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(f.stream() + "-group") == 0; }));
  EXPECT_EQ(f.redis_integer({"XLEN", f.stream() + ":dead"}), 5);
}

TEST(HostileInput, ABatchStaysWithinItsByteCap) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.batch_timeout = 1s;  // only the byte cap closes these batches early
  config.max_batch_bytes = 5000;
  std::vector<std::string> payloads;
  for (int i = 0; i < 20; ++i)
    payloads.push_back(envelope("Deposited", deposited(i, std::string(1000, '7'))));
  f.xadd_many(payloads);  // before the start: the first read could take them all
  // The batches the entries make when packed in order, none over the cap.
  uint64_t expected_batches = 0;
  size_t bytes = 0;
  auto entries = f.client().command({"XRANGE", f.stream(), "-", "+"});
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  for (const redis::Reply& item : entries->elements()) {
    size_t entry_bytes =
        StreamEntry{f.stream(), item[0].str(), {{"event_data", item[1][1].str()}}}.byte_size();
    if (expected_batches == 0 ||
        bytes + entry_bytes > static_cast<size_t>(config.max_batch_bytes)) {
      ++expected_batches;
      bytes = 0;
    }
    bytes += entry_bytes;
  }
  ASSERT_GE(expected_batches, 5u);
  auto ingest = started(f.options(config));
  ASSERT_TRUE(f.eventually_count("deposited_events", 20));
  EXPECT_TRUE(pg::eventually([&] { return ingest->metrics().processed() == 20; }));
  EXPECT_EQ(ingest->metrics().batches(), expected_batches);
  EXPECT_TRUE(f.dead_letters().empty());
}

TEST(HostileInput, EntriesDeletedWhilePendingAreDroppedNotDeadLettered) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.consumer = "stable";
  config.claim_idle = std::chrono::hours(1);  // its own pending entries, read after a restart
  // Redis 7's XAUTOCLAIM drops deleted entries from the pending list whatever their idle
  // time, but scans at most ten times its COUNT (the batch size): the last of 1200 is left
  // for the pending read, which finds it without data.
  const int entries = 1200;
  const std::string group = f.entries_left_pending(entries, consumer_name_for("stable", 0));
  auto last = f.client().command({"XREVRANGE", f.stream(), "+", "-", "COUNT", "1"});
  ASSERT_TRUE(last.ok() && last->size() == 1);
  ASSERT_EQ(f.redis_integer({"XDEL", f.stream(), (*last)[0][0].str()}), 1);
  auto ingest = started(f.options(config));
  ASSERT_TRUE(f.eventually_count("deposited_events", entries - 1));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(group) == 0; }));
  EXPECT_TRUE(f.dead_letters().empty()) << f.dead_letters()[0].error;
}

// Redis 7 names them in XAUTOCLAIM's third element (Redis 6.2's nil entries: unit tests).
TEST(HostileInput, ClaimedEntriesDeletedWhilePendingAreDroppedNotDeadLettered) {
  IngestFixture f;
  StreamsConfig config = f.streams_config();
  config.claim_idle = 100ms;
  const std::string group = f.entries_left_pending(3, "dead-host-0");
  auto first = (*f.client().command({"XRANGE", f.stream(), "-", "+"}))[0][0].str();
  ASSERT_EQ(f.redis_integer({"XDEL", f.stream(), first}), 1);
  auto ingest = started(f.options(config));
  ASSERT_TRUE(f.eventually_count("deposited_events", 2));
  EXPECT_TRUE(pg::eventually([&] { return f.pending_count(group) == 0; }));
  EXPECT_TRUE(f.dead_letters().empty()) << f.dead_letters()[0].error;
}

}  // namespace
}  // namespace courier::redis_to_pg
