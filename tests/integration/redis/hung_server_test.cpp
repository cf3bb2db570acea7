// A Redis server that stops answering (SIGSTOP: connections are still accepted and data
// acked by the kernel) must not block a caller: every command fails with a retryable
// timeout within socket_timeout, and works again once the server continues. A blocking
// XREADGROUP waits its BLOCK time without being taken for a hung server.
#include <gtest/gtest.h>

#include "redis/slot.h"
#include "redis_fixture.h"

namespace courier::redis::test {
namespace {

constexpr auto kSocketTimeout = 500ms;

ClientOptions short_timeouts(ClientOptions options) {
  options.connection.connect_timeout = kSocketTimeout;
  options.connection.socket_timeout = kSocketTimeout;
  return options;
}

// Runs `call` and expects it to fail with a retryable error within a few socket timeouts.
template <typename Call>
void expect_timeout_within_bound(Call call) {
  auto started = Clock::now();
  Result<Reply> reply = call();
  auto waited = Clock::now() - started;
  ASSERT_FALSE(reply.ok()) << describe(reply);
  EXPECT_TRUE(reply.status().retryable()) << reply.status().to_string();
  EXPECT_LT(waited, 4 * kSocketTimeout) << reply.status().to_string();
}

TEST(RedisHungServer, StandaloneCommandTimesOutAndWorksAfterResume) {
  auto server = courier::testing::RedisServer::start();
  auto client = standalone_client(short_timeouts(options_for(*server)));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(has_text(client->command({"SET", "k", "v"}), "OK"));

  server->pause();
  expect_timeout_within_bound([&] { return client->command({"GET", "k"}); });
  // The client dropped that connection; a new one to the paused server is bounded too.
  expect_timeout_within_bound([&] { return client->command({"GET", "k"}); });

  server->resume();
  EXPECT_TRUE(poll_until(10s, [&] { return has_text(client->command({"GET", "k"}), "v"); }));
}

TEST(RedisHungServer, BlockingReadWaitsLongerThanTheSocketTimeout) {
  auto client = standalone_client(short_timeouts(options_for(courier::testing::shared_redis())));
  ASSERT_NE(client, nullptr);
  std::string stream = courier::testing::unique_name("block");
  ASSERT_TRUE(has_text(client->command({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"}), "OK"));
  auto started = Clock::now();
  Result<Reply> read = client->command(
      {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "1200", "STREAMS", stream, ">"});
  ASSERT_TRUE(read.ok()) << "BLOCK 1200 is not a hung server: " << read.status().to_string();
  EXPECT_TRUE(read->is_nil());
  EXPECT_GE(Clock::now() - started, 1s);
  EXPECT_TRUE(has_text(client->command({"PING"}), "PONG")) << "the connection is still usable";
}

TEST(RedisHungServer, PausedClusterNodeTimesOutAndWorksAfterResume) {
  auto& cluster = courier::testing::shared_cluster();
  auto client = cluster_client(short_timeouts(cluster_options(cluster)));
  ASSERT_NE(client, nullptr);
  std::string key = "{" + courier::testing::unique_name("hung") + "}k";
  ASSERT_TRUE(has_text(client->command({"SET", key, "v"}), "OK"));

  // Short enough (< cluster-node-timeout 2 s) that the cluster does not fail over.
  courier::testing::RedisServer& owner = cluster.master_for_slot(key_slot(key));
  owner.pause();
  expect_timeout_within_bound([&] { return client->command({"GET", key}); });
  owner.resume();
  EXPECT_TRUE(poll_until(20s, [&] { return has_text(client->command({"GET", key}), "v"); }));
  EXPECT_TRUE(cluster.wait_healthy());
}

}  // namespace
}  // namespace courier::redis::test
