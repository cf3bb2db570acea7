// `courier dlq` as a process against real servers: letters put in a Redis stream or a
// Postgres table with the stores' own API are counted, listed, replayed into a stream and
// purged by the binary; usage mistakes exit 2, unreachable or wrong stores exit 1.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/dead_letter/postgres_table_store.h"
#include "core/dead_letter/redis_stream_store.h"
#include "pg/connection.h"
#include "process.h"
#include "redis/client.h"
#include "servers.h"

namespace courier::testing {
namespace {

constexpr std::string_view kSecret = "hunter2-never-printed";

DeadLetter letter(std::string payload, std::string error = "order total is negative") {
  DeadLetter made;
  made.payload = std::move(payload);
  made.error = std::move(error);
  made.error_code = "invalid_argument";
  made.error_detail = "23514";
  made.attempts = 2;
  made.first_failure = WallTime(std::chrono::milliseconds(1'714'000'000'000));
  made.last_failure = WallTime(std::chrono::milliseconds(1'714'000'060'123));
  made.metadata = {{"stream", "orders"}, {"entry", "1-0"}};
  return made;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A configuration file in its own directory; `courier dlq …` run with it.
class DlqCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("dlq-cli");
    write_config(shared_redis().address());
  }
  void TearDown() override { remove_tree(dir_); }

  // The Postgres password is ignored by the harness's trust auth: it is there to prove
  // that no output shows it.
  void write_config(const std::string& redis_address, std::string_view redis_password = "") {
    std::ofstream config(config_path());
    config << "postgres:\n  host: 127.0.0.1\n  port: " << shared_postgres().port()
           << "\n  user: postgres\n  password: " << kSecret << "\n  dbname: " << database()
           << "\nredis:\n  addr: " << redis_address << "\n";
    if (!redis_password.empty()) config << "  password: " << redis_password << "\n";
  }

  const std::string& database() {
    if (database_.empty()) database_ = shared_postgres().create_database("dlq_cli");
    return database_;
  }

  std::string config_path() const { return dir_ + "/courier.yaml"; }

  // courier dlq <subcommand> -c <config> <args…>
  CommandOutput dlq(const std::string& subcommand, std::vector<std::string> args) {
    std::vector<std::string> argv = {COURIER_BINARY, "dlq", subcommand, "-c", config_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOutput out = run_command(argv, "", 60s);
    EXPECT_FALSE(contains(out.output, kSecret)) << "a password leaked:\n" << out.output;
    return out;
  }

  std::string dir_;
  std::string database_;
};

// Letters in a fresh stream of the shared Redis, sent by the store itself.
class RedisDlqCli : public DlqCli {
 protected:
  void SetUp() override {
    DlqCli::SetUp();
    auto client = redis::make_client({.nodes = {shared_redis().address()}});
    ASSERT_TRUE(client.ok()) << client.status().to_string();
    client_ = std::move(*client);
    key_ = unique_name("dlq") + ":dead-letters";
    target_ = unique_name("dlq") + ":orders";
    store_ = std::make_unique<RedisStreamDeadLetterStore>(*client_, key_);
  }

  std::vector<std::string> send(const std::vector<DeadLetter>& letters) {
    auto ids = store_->send(letters);
    EXPECT_TRUE(ids.ok()) << ids.status().to_string();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  size_t stored() {
    auto count = store_->count();
    EXPECT_TRUE(count.ok()) << count.status().to_string();
    return count.ok() ? *count : 0;
  }

  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<RedisStreamDeadLetterStore> store_;
  std::string key_;
  std::string target_;
};

TEST_F(RedisDlqCli, CountPrintsTheNumberOfLetters) {
  send({letter("a"), letter("b"), letter("c")});
  CommandOutput out = dlq("count", {"--redis-stream", key_});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(out.output, "3\n");
}

TEST_F(RedisDlqCli, ListShowsEachLetterOldestFirstWithItsFailure) {
  std::vector<std::string> ids =
      send({letter(R"({"id":1,"total":-5})"), letter(std::string("bin\0\x01\n", 6))});
  CommandOutput out = dlq("list", {"--redis-stream", key_});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_LT(out.output.find(ids[0]), out.output.find(ids[1])) << out.output;
  EXPECT_TRUE(contains(out.output, ids[0] + "  last failure 2024-04-24T23:07:40.123Z  attempts 2  "
                                            "invalid_argument (23514)"))
      << out.output;
  EXPECT_TRUE(contains(out.output, "  error: order total is negative\n")) << out.output;
  EXPECT_TRUE(contains(out.output, "  metadata: entry=1-0, stream=orders\n")) << out.output;
  EXPECT_TRUE(contains(out.output, R"(  payload (19 bytes): {"id":1,"total":-5})")) << out.output;
  EXPECT_TRUE(contains(out.output, R"(  payload (6 bytes): bin\x00\x01\n)")) << out.output;
}

TEST_F(RedisDlqCli, ListCutsLongPayloadsAndHonoursTheLimit) {
  send({letter(std::string(1000, 'x')), letter("second"), letter("third")});
  CommandOutput out = dlq("list", {"--redis-stream", key_, "--limit", "2"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, std::string(200, 'x') + "… (800 more bytes)")) << out.output;
  EXPECT_TRUE(contains(out.output, "payload (6 bytes): second")) << out.output;
  EXPECT_FALSE(contains(out.output, "third")) << out.output;
  EXPECT_TRUE(contains(out.output, "the oldest 2 of 3 dead letters")) << out.output;
}

TEST_F(RedisDlqCli, ListJsonGivesOneObjectPerLineAndBinaryPayloadsInBase64) {
  std::vector<std::string> ids = send({letter("{\"id\":1}"), letter(std::string("\xff\x00", 2))});
  CommandOutput out = dlq("list", {"--redis-stream", key_, "--json"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  std::vector<std::string> lines = lines_of(out.output);
  ASSERT_EQ(lines.size(), 2u) << out.output;
  const auto first = nlohmann::json::parse(lines[0]);
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(first["id"], ids[0]);
  EXPECT_EQ(first["payload"], "{\"id\":1}");
  EXPECT_FALSE(first.contains("payload_base64"));
  EXPECT_EQ(first["error"], "order total is negative");
  EXPECT_EQ(first["error_code"], "invalid_argument");
  EXPECT_EQ(first["error_detail"], "23514");
  EXPECT_EQ(first["attempts"], 2);
  EXPECT_EQ(first["first_failure"], "2024-04-24T23:06:40.000Z");
  EXPECT_EQ(first["last_failure"], "2024-04-24T23:07:40.123Z");
  EXPECT_EQ(first["metadata"]["stream"], "orders");
  EXPECT_EQ(second["id"], ids[1]);
  EXPECT_EQ(second["payload_base64"], "/wA=");
  EXPECT_FALSE(second.contains("payload"));
}

TEST_F(RedisDlqCli, ListOfAnEmptyQueueSaysSo) {
  CommandOutput out = dlq("list", {"--redis-stream", key_});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "no dead letters in dead-letter stream \"" + key_))
      << out.output;
}

TEST_F(RedisDlqCli, ReplayAddsEachLetterToTheTargetStreamThenRemovesIt) {
  std::vector<std::string> ids = send({letter("first"), letter("second")});
  CommandOutput out = dlq("replay", {"--redis-stream", key_, "--to-stream", target_});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "replayed 2 dead letters")) << out.output;
  EXPECT_EQ(stored(), 0u);

  std::vector<std::string> entries =
      lines_of(shared_redis().command({"XRANGE", target_, "-", "+"}));
  // id, then field/value pairs (metadata in key order); twice.
  ASSERT_EQ(entries.size(), 22u) << shared_redis().command({"XRANGE", target_, "-", "+"});
  const std::vector<std::string> first(entries.begin() + 1, entries.begin() + 11);
  EXPECT_EQ(first, (std::vector<std::string>{"payload", "first", "courier.replayed_from", ids[0],
                                             "courier.attempts", "2", "courier.meta.entry", "1-0",
                                             "courier.meta.stream", "orders"}));
  EXPECT_EQ(entries[13], "second");
  EXPECT_EQ(entries[15], ids[1]);
}

TEST_F(RedisDlqCli, ReplayPutsThePayloadInTheNamedField) {
  send({letter("body")});
  CommandOutput out =
      dlq("replay", {"--redis-stream", key_, "--to-stream", target_, "--field", "data"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  std::vector<std::string> entry = lines_of(shared_redis().command({"XRANGE", target_, "-", "+"}));
  ASSERT_GE(entry.size(), 3u);
  EXPECT_EQ(entry[1], "data");
  EXPECT_EQ(entry[2], "body");
}

TEST_F(RedisDlqCli, ReplayDryRunChangesNothing) {
  std::vector<std::string> ids = send({letter("first"), letter("second")});
  CommandOutput out = dlq("replay", {"--redis-stream", key_, "--to-stream", target_, "--dry-run"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "would replay " + ids[0])) << out.output;
  EXPECT_TRUE(contains(out.output, "would replay 2 dead letters")) << out.output;
  EXPECT_EQ(stored(), 2u);
  EXPECT_EQ(shared_redis().command({"XLEN", target_}), "0");
}

TEST_F(RedisDlqCli, ReplayLimitReplaysOnlyTheOldest) {
  std::vector<std::string> ids = send({letter("first"), letter("second"), letter("third")});
  CommandOutput out =
      dlq("replay", {"--redis-stream", key_, "--to-stream", target_, "--limit", "2"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "replayed 2 dead letters")) << out.output;
  EXPECT_EQ(shared_redis().command({"XLEN", target_}), "2");
  auto left = store_->receive(10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().id, ids[2]);
}

TEST_F(RedisDlqCli, ReplayStopsAtTheFirstFailureAndKeepsTheLetters) {
  send({letter("first"), letter("second")});
  shared_redis().command({"SET", target_, "not a stream"});
  CommandOutput out = dlq("replay", {"--redis-stream", key_, "--to-stream", target_});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output, "stopped after replaying 0 of 2 dead letters")) << out.output;
  EXPECT_TRUE(contains(out.output, "WRONGTYPE")) << out.output;
  EXPECT_TRUE(contains(out.output, target_)) << out.output;
  EXPECT_EQ(stored(), 2u);
}

TEST_F(RedisDlqCli, ReplayIntoTheDeadLetterStreamItselfIsRefused) {
  send({letter("first")});
  CommandOutput out = dlq("replay", {"--redis-stream", key_, "--to-stream", key_});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_EQ(stored(), 1u);
}

TEST_F(RedisDlqCli, PurgeByIdRemovesOnlyThoseLetters) {
  std::vector<std::string> ids = send({letter("first"), letter("second"), letter("third")});
  CommandOutput out = dlq("purge", {"--redis-stream", key_, "--id", ids[0], "--id", ids[2]});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "removed 2 dead letters")) << out.output;
  auto left = store_->receive(10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().id, ids[1]);
}

TEST_F(RedisDlqCli, PurgeAllRemovesEveryLetter) {
  send({letter("first"), letter("second")});
  CommandOutput out = dlq("purge", {"--redis-stream", key_, "--all"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output, "removed 2 dead letters")) << out.output;
  EXPECT_EQ(stored(), 0u);
}

TEST_F(RedisDlqCli, PurgeWithoutAllOrIdIsRefused) {
  send({letter("first")});
  CommandOutput out = dlq("purge", {"--redis-stream", key_});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_TRUE(contains(out.output, "--all")) << out.output;
  EXPECT_EQ(stored(), 1u);
}

TEST_F(RedisDlqCli, PurgeOfAMalformedIdIsAUsageMistake) {
  send({letter("first")});
  CommandOutput out = dlq("purge", {"--redis-stream", key_, "--id", "42x"});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_TRUE(contains(out.output, "--id \"42x\"")) << out.output;
  EXPECT_EQ(stored(), 1u);
}

TEST_F(RedisDlqCli, AStoreSelectorIsRequiredAndOnlyOne) {
  CommandOutput none = dlq("count", {});
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_TRUE(contains(none.output, "--redis-stream KEY or --postgres-table NAME")) << none.output;
  CommandOutput both = dlq("count", {"--redis-stream", key_, "--postgres-table", "dl"});
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_TRUE(contains(both.output, "not both")) << both.output;
}

TEST_F(RedisDlqCli, AKeyThatIsNotAStreamIsAFailureNamingIt) {
  shared_redis().command({"SET", key_, "a string"});
  CommandOutput out = dlq("count", {"--redis-stream", key_});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output, "WRONGTYPE")) << out.output;
  EXPECT_TRUE(contains(out.output, key_)) << out.output;
}

TEST_F(DlqCli, AnUnreachableRedisIsAFailureNamingTheAddress) {
  const std::string address = "127.0.0.1:" + std::to_string(free_loopback_port());
  write_config(address, kSecret);
  CommandOutput out = dlq("list", {"--redis-stream", "orders:dlq"});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output, address)) << out.output;
}

TEST_F(DlqCli, AnInvalidConfigurationExitsTwo) {
  std::ofstream(config_path()) << "redis:\n  adr: 127.0.0.1:6379\n";
  CommandOutput out = dlq("count", {"--redis-stream", "orders:dlq"});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_TRUE(contains(out.output, "courier.yaml")) << out.output;
}

// Letters in a table of a fresh database, sent by the store itself.
class PostgresDlqCli : public DlqCli {
 protected:
  void SetUp() override {
    DlqCli::SetUp();
    auto options = pg::ConnectionOptions::from_url(shared_postgres().url(database()));
    ASSERT_TRUE(options.ok());
    auto connection = pg::Connection::open(*options);
    ASSERT_TRUE(connection.ok()) << connection.status().to_string();
    connection_ = std::move(*connection);
    ASSERT_TRUE(connection_->execute("CREATE SCHEMA ops").ok());
    store_ = std::make_unique<PostgresTableDeadLetterStore>(*connection_, "ops.dead_letters");
    Status made = store_->ensure_table();
    ASSERT_TRUE(made.ok()) << made.to_string();
  }

  std::vector<std::string> send(const std::vector<DeadLetter>& letters) {
    auto ids = store_->send(letters);
    EXPECT_TRUE(ids.ok()) << ids.status().to_string();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  std::unique_ptr<pg::Connection> connection_;
  std::unique_ptr<PostgresTableDeadLetterStore> store_;
};

TEST_F(PostgresDlqCli, CountListReplayAndPurgeATable) {
  std::vector<std::string> ids =
      send({letter("first"), letter(std::string("\x00\xfe", 2)), letter("third")});
  const std::vector<std::string> table = {"--postgres-table", "ops.dead_letters"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), table.begin(), table.end());
    return more;
  };

  CommandOutput count = dlq("count", table);
  EXPECT_EQ(count.exit_code, 0) << count.output;
  EXPECT_EQ(count.output, "3\n");

  CommandOutput listed = dlq("list", with({"--json"}));
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  std::vector<std::string> lines = lines_of(listed.output);
  ASSERT_EQ(lines.size(), 3u) << listed.output;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["id"], ids[0]);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["metadata"]["entry"], "1-0");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["payload_base64"], "AP4=");

  CommandOutput human = dlq("list", table);
  ASSERT_EQ(human.exit_code, 0) << human.output;
  EXPECT_TRUE(contains(human.output, R"(payload (2 bytes): \x00\xfe)")) << human.output;

  const std::string target = unique_name("dlq") + ":orders";
  CommandOutput replayed = dlq("replay", with({"--to-stream", target, "--limit", "1"}));
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  std::vector<std::string> entry = lines_of(shared_redis().command({"XRANGE", target, "-", "+"}));
  ASSERT_GE(entry.size(), 5u);
  EXPECT_EQ(entry[2], "first");
  EXPECT_EQ(entry[4], ids[0]);

  CommandOutput purged = dlq("purge", with({"--id", ids[1]}));
  ASSERT_EQ(purged.exit_code, 0) << purged.output;
  EXPECT_TRUE(contains(purged.output, "removed 1 dead letter ")) << purged.output;
  auto left = store_->receive(10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().id, ids[2]);
}

TEST_F(PostgresDlqCli, AMissingTableIsNamed) {
  CommandOutput out = dlq("count", {"--postgres-table", "ops.no_such_table"});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(contains(out.output, "no dead-letter table ops.no_such_table")) << out.output;
  EXPECT_TRUE(contains(out.output, database())) << out.output;
}

}  // namespace
}  // namespace courier::testing
