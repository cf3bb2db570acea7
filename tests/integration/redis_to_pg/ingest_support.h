// Shared set-up for stream ingest integration tests: a fresh database and stream names,
// client options for the real servers, rindexer entries, and polling helpers.
//
//   IngestFixture f;                      // own database, unique stream and group names
//   f.xadd(f.stream(), deposited_envelope(1));
//   ASSERT_TRUE(f.eventually_count("deposited_events", 1));
//
// Thread-safety: a fixture belongs to its test's thread.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../pg/pg_fixture.h"
#include "core/dead_letter/redis_stream_store.h"
#include "redis/client.h"
#include "redis_to_pg/stream_ingest.h"
#include "servers.h"

namespace courier::redis_to_pg {

inline nlohmann::json transaction_information(int log_index, int block = 100) {
  return {{"address", "0xa"},
          {"block_hash", "0xb"},
          {"block_number", block},
          {"block_timestamp", "0x6553f100"},
          {"log_index", std::to_string(log_index)},
          {"network", "base"},
          {"transaction_hash", "0xtx" + std::to_string(block)},
          {"transaction_index", 1}};
}

inline nlohmann::json deposited(int log_index, const std::string& assets = "0x10",
                                int block = 100) {
  return {
      {"sender", "0xs"},    {"receiver", "0xr"},
      {"termId", "0xt"},    {"curveId", "1"},
      {"assets", assets},   {"shares", "2"},
      {"totalShares", "3"}, {"assetsAfterFees", "4"},
      {"vaultType", 1},     {"transaction_information", transaction_information(log_index, block)}};
}

inline std::string envelope(const std::string& event, const nlohmann::json& data) {
  return nlohmann::json{{"event_name", event}, {"event_data", data}, {"network", "base"}}.dump();
}

class IngestFixture {
 public:
  explicit IngestFixture(courier::testing::PostgresServer& pg = courier::testing::shared_postgres(),
                         courier::testing::RedisServer& redis = courier::testing::shared_redis())
      : pg_(pg),
        redis_(redis),
        database_(pg.create_database("ingest")),
        stream_(courier::testing::unique_name("events")) {
    reconnect_redis();
  }

  // A fresh client (after the test restarted Redis).
  void reconnect_redis() {
    auto client = redis::make_client(redis_options());
    EXPECT_TRUE(client.ok()) << client.status().to_string();
    if (client.ok()) client_ = std::move(*client);
  }
  const std::string& database() const { return database_; }

  redis::ClientOptions redis_options() const {
    redis::ClientOptions options;
    options.nodes = {redis_.address()};
    options.topology = redis::Topology::kStandalone;
    return options;
  }
  pg::ConnectionOptions postgres_options() const {
    return *pg::ConnectionOptions::from_url(pg_.url(database_));
  }
  // The rindexer defaults with fast test timings, reading this fixture's stream.
  StreamsConfig streams_config() const {
    StreamsConfig config;
    config.mappings = rindexer_mappings();
    config.streams = {stream_};
    config.group = stream_ + "-group";
    config.dead_letter_stream = stream_ + ":dead";
    config.workers = 2;
    config.batch_size = 100;
    config.batch_timeout = std::chrono::milliseconds(20);
    config.breaker_timeout = std::chrono::milliseconds(500);
    return config;
  }
  StreamIngestOptions options(StreamsConfig config) const {
    return {.streams = std::move(config), .postgres = postgres_options(), .redis = redis_options()};
  }

  std::string xadd(const std::string& payload, const std::string& field = "event_data") {
    auto id = client_->command({"XADD", stream_, "*", field, payload});
    EXPECT_TRUE(id.ok()) << id.status().to_string();
    return id.ok() ? id->str() : "";
  }
  // Many entries in pipelined rounds of 1000.
  void xadd_many(const std::vector<std::string>& payloads) {
    for (size_t start = 0; start < payloads.size(); start += 1000) {
      std::vector<redis::Command> commands;
      for (size_t i = start; i < std::min(payloads.size(), start + 1000); ++i)
        commands.push_back({"XADD", stream_, "*", "event_data", payloads[i]});
      for (const auto& reply : client_->pipeline(commands)) ASSERT_TRUE(reply.ok());
    }
  }

  std::unique_ptr<pg::Connection> connect() const { return pg::connect_to(pg_.url(database_)); }
  std::string sql(const std::string& query) {
    if (!conn_) conn_ = connect();
    return pg::scalar(*conn_, query);
  }
  int64_t redis_integer(const redis::Command& command) {
    auto reply = client_->command(command);
    return reply.ok() ? reply->integer() : -1;
  }
  int64_t pending_count(const std::string& group) {
    auto reply = client_->command({"XPENDING", stream_, group});
    return reply.ok() && reply->is_array() && reply->size() > 0 ? (*reply)[0].integer() : -1;
  }
  bool eventually_count(const std::string& table, int64_t expected,
                        std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    bool ok = pg::eventually(
        [&] {
          auto conn = connect();
          auto result = conn->execute("SELECT count(*) FROM " + table);
          return result.ok() && result->get(0, 0) == std::to_string(expected);
        },
        deadline);
    if (!ok)
      ADD_FAILURE() << table << " never held " << expected << " rows; it has "
                    << sql("SELECT count(*) FROM " + table);
    return ok;
  }

  // Creates the group, adds `entries` Deposited events and has `consumer` read them all
  // without acking, as a consumer that then died; returns the group's name.
  std::string entries_left_pending(int entries, const std::string& consumer) {
    const std::string group = stream_ + "-group";
    EXPECT_EQ(client_->command({"XGROUP", "CREATE", stream_, group, "0", "MKSTREAM"})->str(), "OK");
    for (int i = 0; i < entries; ++i) xadd(envelope("Deposited", deposited(i)));
    EXPECT_TRUE(client_
                    ->command({"XREADGROUP", "GROUP", group, consumer, "COUNT", "100000", "STREAMS",
                               stream_, ">"})
                    .ok());
    EXPECT_EQ(pending_count(group), entries);
    return group;
  }

  // The letters in the dead-letter stream of streams_config(), oldest first.
  std::vector<DeadLetter> dead_letters() {
    RedisStreamDeadLetterStore store(*client_, stream_ + ":dead");
    auto letters = store.receive(1000);
    EXPECT_TRUE(letters.ok()) << letters.status().to_string();
    return letters.ok() ? *letters : std::vector<DeadLetter>{};
  }

  const std::string& stream() const { return stream_; }
  redis::Client& client() { return *client_; }

 private:
  courier::testing::PostgresServer& pg_;
  courier::testing::RedisServer& redis_;
  std::string database_;
  std::string stream_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace courier::redis_to_pg
