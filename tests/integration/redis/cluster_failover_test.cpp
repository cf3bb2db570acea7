// A master is killed; its replica is promoted by the cluster. The client must report the
// outage as retryable and recover on its own once the cluster has failed over.
#include <gtest/gtest.h>

#include "redis/slot.h"
#include "redis_fixture.h"
#include "servers.h"

namespace courier::redis::test {
namespace {

using courier::testing::RedisCluster;
using courier::testing::RedisServer;
using courier::testing::unique_name;

TEST(ClusterFailover, TheClientRecoversWhenAReplicaTakesOverFromADeadMaster) {
  std::unique_ptr<RedisCluster> cluster = RedisCluster::start();  // own: we kill a node
  ClientOptions options = cluster_options(*cluster);
  options.connection.connect_timeout = 500ms;
  options.connection.socket_timeout = 1s;
  auto client = cluster_client(options);
  std::string key = unique_name("failover");
  ASSERT_TRUE(has_text(client->command({"SET", key, "survives"}), "OK"));
  // WAIT on the connection that wrote: the replica has the value before the master dies.
  for (const Result<Reply>& acked : client->on_every_master({"WAIT", "1", "5000"}))
    ASSERT_TRUE(acked.ok()) << acked.status().to_string();

  RedisServer& master = cluster->master_for_slot(key_slot(key));
  master.kill9();

  // Pipelines during the outage: the first meets the dead connection, the second a refused
  // port. Only the dead master's share fails, as retryable, at once, without a reconnect
  // per command.
  std::string prefix = unique_name("outage");
  std::vector<Command> writes;
  for (int i = 0; i < 3000; ++i) writes.push_back({"SET", prefix + ":" + std::to_string(i), "x"});
  uint64_t failures_before = client->stats().connection_failures;
  for (int round = 0; round < 2; ++round) {
    auto started = Clock::now();
    std::vector<Result<Reply>> results = client->pipeline(writes);
    auto elapsed = Clock::now() - started;
    size_t succeeded = 0, failed = 0;
    for (const Result<Reply>& result : results) {
      if (result.ok()) {
        ++succeeded;
      } else {
        ++failed;
        ASSERT_TRUE(result.status().retryable()) << result.status().to_string();
      }
    }
    EXPECT_GT(succeeded, 1000u) << "round " << round;
    EXPECT_GT(failed, 500u) << "round " << round;
    EXPECT_LT(elapsed, 2s) << "round " << round;
  }
  EXPECT_LE(client->stats().connection_failures - failures_before, 4u);

  int failed_calls = 0;
  bool recovered = poll_until(60s, [&] {
    Result<Reply> reply = client->command({"GET", key});
    if (reply.ok()) return true;
    ++failed_calls;
    EXPECT_TRUE(reply.status().retryable()) << reply.status().to_string();
    return false;
  });
  ASSERT_TRUE(recovered) << "no answer within 60 s of killing the master";
  EXPECT_GT(failed_calls, 0);
  EXPECT_TRUE(has_text(client->command({"GET", key}), "survives"));
  EXPECT_TRUE(has_text(client->command({"SET", key, "after"}), "OK"));
  EXPECT_GT(client->stats().connection_failures, 0u);
  EXPECT_NE(cluster->master_for_slot(key_slot(key)).port(), master.port());
}

}  // namespace
}  // namespace courier::redis::test
