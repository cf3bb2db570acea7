// Shared by the dead-letter store integration tests: sample letters, a payload holding
// every byte value, clients for the harness servers, and polling with a deadline.
//
//   std::vector<DeadLetter> letters = sample_letters(3, "orders");
//   auto client = redis_client(standalone_options(courier::testing::shared_redis()));
//   EXPECT_TRUE(same_letters_ignoring_ids(received, letters));
//
// Thread-safety: test code; one thread at a time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "courier/dead_letter.h"
#include "pg/connection.h"
#include "poll_until.h"
#include "redis/client.h"
#include "servers.h"

namespace courier::dead_letter_test {

using namespace std::chrono_literals;

// Every byte value 0..255 once, NUL and invalid UTF-8 included.
inline std::string every_byte() {
  std::string bytes;
  for (int value = 0; value < 256; ++value) bytes.push_back(static_cast<char>(value));
  return bytes;
}

// Letters with distinct payloads "<source>-0", "<source>-1", … and millisecond timestamps
// (what the stores keep), failing permanently.
inline std::vector<DeadLetter> sample_letters(int count, const std::string& source) {
  const WallTime base = WallTime(std::chrono::sys_days(std::chrono::year(2024) / 5 / 6)) + 7h;
  std::vector<DeadLetter> letters;
  for (int i = 0; i < count; ++i) {
    DeadLetter letter;
    letter.payload = source + "-" + std::to_string(i);
    letter.error = "duplicate key value violates unique constraint \"orders_pkey\"";
    letter.error_code = "failed_precondition";
    letter.error_detail = "23505";
    letter.attempts = i + 1;
    letter.first_failure = base + std::chrono::milliseconds(i);
    letter.last_failure = base + 1h + std::chrono::milliseconds(i);
    letter.metadata = {{"stream", source}, {"entry_id", std::to_string(i) + "-0"}};
    letters.push_back(std::move(letter));
  }
  return letters;
}

inline std::vector<std::string> ids_of(const std::vector<DeadLetter>& letters) {
  std::vector<std::string> ids;
  for (const DeadLetter& letter : letters) ids.push_back(letter.id);
  return ids;
}

inline std::vector<std::string> payloads_of(const std::vector<DeadLetter>& letters) {
  std::vector<std::string> payloads;
  for (const DeadLetter& letter : letters) payloads.push_back(letter.payload);
  return payloads;
}

// Equal in every field but the id, which the store assigns.
inline ::testing::AssertionResult same_letters_ignoring_ids(
    std::vector<DeadLetter> actual, const std::vector<DeadLetter>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << actual.size() << " letters instead of " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    actual[i].id = expected[i].id;
    if (!(actual[i] == expected[i]))
      return ::testing::AssertionFailure()
             << "letter " << i << " differs (payload \"" << actual[i].payload << "\")";
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<DeadLetter> receive_all(DeadLetterStore& store) {
  Result<std::vector<DeadLetter>> letters = store.receive(100'000);
  EXPECT_TRUE(letters.ok()) << letters.status().to_string();
  return letters.ok() ? std::move(*letters) : std::vector<DeadLetter>{};
}

inline size_t count_of(DeadLetterStore& store) {
  Result<size_t> count = store.count();
  EXPECT_TRUE(count.ok()) << count.status().to_string();
  return count.value_or(0);
}

inline redis::ClientOptions standalone_options(const courier::testing::RedisServer& server) {
  redis::ClientOptions options;
  options.nodes = {server.address()};
  options.topology = redis::Topology::kStandalone;
  return options;
}

inline redis::ClientOptions cluster_options(const courier::testing::RedisCluster& cluster) {
  redis::ClientOptions options;
  options.nodes = cluster.node_addresses();
  options.topology = redis::Topology::kCluster;
  return options;
}

inline std::unique_ptr<redis::Client> redis_client(const redis::ClientOptions& options) {
  Result<std::unique_ptr<redis::Client>> client = redis::make_client(options);
  if (!client.ok()) ADD_FAILURE() << client.status().to_string();
  return client.ok() ? std::move(*client) : nullptr;
}

// A connection to a fresh database of its own on the shared server.
inline std::unique_ptr<pg::Connection> connect_to_new_database(std::string_view prefix) {
  courier::testing::PostgresServer& server = courier::testing::shared_postgres();
  pg::ConnectionOptions options;
  options.host = server.host();
  options.port = server.port();
  options.user = "postgres";
  options.dbname = server.create_database(prefix);
  Result<std::unique_ptr<pg::Connection>> connection = pg::Connection::open(options);
  if (!connection.ok()) ADD_FAILURE() << connection.status().to_string();
  return connection.ok() ? std::move(*connection) : nullptr;
}

using courier::testing::poll_until;

}  // namespace courier::dead_letter_test
