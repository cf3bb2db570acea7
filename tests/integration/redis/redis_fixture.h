// Helpers shared by the Redis client integration tests: client options for harness servers,
// polling with a deadline, and assertions on results.
//
//   auto client = standalone_client(courier::testing::shared_redis());
//   ASSERT_TRUE(poll_until(10s, [&] { return client->ping().ok(); }));
//   EXPECT_REPLY_STRING(client->command({"GET", key}), "v");
//
// Thread-safety: test code; one thread at a time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "redis/cluster_client.h"
#include "redis/standalone_client.h"
#include "poll_until.h"
#include "servers.h"

namespace courier::redis::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using courier::testing::poll_until;

inline ClientOptions options_for(const courier::testing::RedisServer& server) {
  ClientOptions options;
  options.nodes = {server.address()};
  options.topology = Topology::kStandalone;
  return options;
}

inline std::unique_ptr<StandaloneClient> standalone_client(const ClientOptions& options) {
  Result<std::unique_ptr<StandaloneClient>> client = StandaloneClient::create(options);
  if (!client.ok()) ADD_FAILURE() << client.status().to_string();
  return client.ok() ? std::move(*client) : nullptr;
}

inline std::unique_ptr<StandaloneClient> standalone_client(
    const courier::testing::RedisServer& server) {
  return standalone_client(options_for(server));
}

inline ClientOptions cluster_options(const courier::testing::RedisCluster& cluster) {
  ClientOptions options;
  options.nodes = cluster.node_addresses();
  options.topology = Topology::kCluster;
  return options;
}

inline std::unique_ptr<ClusterClient> cluster_client(const ClientOptions& options) {
  Result<std::unique_ptr<ClusterClient>> client = ClusterClient::create(options);
  if (!client.ok()) ADD_FAILURE() << client.status().to_string();
  return client.ok() ? std::move(*client) : nullptr;
}

inline std::string describe(const Result<Reply>& result) {
  return result.ok() ? result->to_string() : result.status().to_string();
}

// The reply is a string (bulk) or status reply with this text.
inline ::testing::AssertionResult has_text(const Result<Reply>& result, std::string_view text) {
  if (result.ok() && (result->is_string() || result->is_status()) && result->str() == text)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected \"" << text << "\", got " << describe(result);
}

inline ::testing::AssertionResult has_integer(const Result<Reply>& result, long long value) {
  if (result.ok() && result->is_integer() && result->integer() == value)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected (integer) " << value << ", got " << describe(result);
}

}  // namespace courier::redis::test
