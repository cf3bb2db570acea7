#include <gtest/gtest.h>

#include <set>

#include "process.h"
#include "redis/client.h"
#include "redis/slot.h"
#include "redis_fixture.h"
#include "servers.h"

namespace courier::redis::test {
namespace {

using courier::testing::RedisCluster;
using courier::testing::RedisServer;
using courier::testing::shared_cluster;
using courier::testing::unique_name;

RedisCluster& healthy_cluster() {
  RedisCluster& cluster = shared_cluster();
  EXPECT_TRUE(cluster.wait_healthy());
  return cluster;
}

// One key per master, found by asking the cluster (not the client under test) who serves
// each key's slot.
std::vector<std::string> one_key_per_master(RedisCluster& cluster, const std::string& prefix) {
  std::vector<std::string> keys;
  std::set<int> ports_seen;
  for (int i = 0; ports_seen.size() < cluster.masters().size() && i < 1000; ++i) {
    std::string key = prefix + ":" + std::to_string(i);
    if (ports_seen.insert(cluster.master_for_slot(key_slot(key)).port()).second)
      keys.push_back(key);
  }
  return keys;
}

TEST(ClusterClient, MakeClientDetectsTheCluster) {
  Result<std::unique_ptr<Client>> client =
      make_client({.nodes = {healthy_cluster().node(0).address()}});
  ASSERT_TRUE(client.ok()) << client.status().to_string();
  EXPECT_NE(dynamic_cast<ClusterClient*>(client->get()), nullptr);
  EXPECT_TRUE((*client)->ping().ok());
}

TEST(ClusterClient, RoutesEachKeyToTheMasterOfItsSlot) {
  RedisCluster& cluster = healthy_cluster();
  auto client = cluster_client(cluster_options(cluster));
  std::vector<std::string> keys = one_key_per_master(cluster, unique_name("route"));
  ASSERT_EQ(keys.size(), 3u);
  for (const std::string& key : keys) {
    ASSERT_TRUE(has_text(client->command({"SET", key, "v-" + key}), "OK"));
    // Checked through the harness on the master itself: it was stored there.
    EXPECT_EQ(cluster.master_for_slot(key_slot(key)).command({"GET", key}), "v-" + key);
  }
  EXPECT_EQ(client->stats().moved_redirects, 0u);
  EXPECT_EQ(client->stats().slot_map_refreshes, 1u);
}

TEST(ClusterClient, OnePipelineSpansAllMastersAndKeepsTheCallersOrder) {
  RedisCluster& cluster = healthy_cluster();
  auto client = cluster_client(cluster_options(cluster));
  std::vector<std::string> k = one_key_per_master(cluster, unique_name("order"));
  ASSERT_EQ(k.size(), 3u);
  std::vector<Result<Reply>> results = client->pipeline({{"SET", k[0], "10"},
                                                         {"SET", k[1], "list?"},
                                                         {"SET", k[2], "c"},
                                                         {"INCR", k[0]},
                                                         {"LPUSH", k[1], "x"},
                                                         {"GET", k[2]},
                                                         {"PING"},
                                                         {"GET", k[0] + ":missing"},
                                                         {"INCRBY", k[0], "5"}});
  ASSERT_EQ(results.size(), 9u);
  EXPECT_TRUE(has_text(results[0], "OK"));
  EXPECT_TRUE(has_text(results[1], "OK"));
  EXPECT_TRUE(has_text(results[2], "OK"));
  EXPECT_TRUE(has_integer(results[3], 11));
  EXPECT_EQ(results[4].status().detail(), "WRONGTYPE");
  EXPECT_EQ(results[4].status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(has_text(results[5], "c"));
  EXPECT_TRUE(has_text(results[6], "PONG"));
  ASSERT_TRUE(results[7].ok());
  EXPECT_TRUE(results[7]->is_nil());
  EXPECT_TRUE(has_integer(results[8], 16));
}

TEST(ClusterClient, PipelinesOneHundredThousandCommandsAcrossAllMasters) {
  RedisCluster& cluster = healthy_cluster();
  auto client = cluster_client(cluster_options(cluster));
  std::string prefix = unique_name("c100k");
  constexpr size_t kCount = 100000;
  std::vector<Command> sets, gets;
  for (size_t i = 0; i < kCount; ++i) {
    std::string key = prefix + ":" + std::to_string(i);
    sets.push_back({"SET", key, "value-" + std::to_string(i)});
    gets.push_back({"GET", key});
  }
  auto started = Clock::now();
  std::vector<Result<Reply>> set_results = client->pipeline(sets);
  std::vector<Result<Reply>> get_results = client->pipeline(gets);
  auto elapsed = Clock::now() - started;

  ASSERT_EQ(set_results.size(), kCount);
  ASSERT_EQ(get_results.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(has_text(set_results[i], "OK")) << "SET #" << i;
    ASSERT_TRUE(has_text(get_results[i], "value-" + std::to_string(i))) << "GET #" << i;
  }
  EXPECT_LT(elapsed, 10s);
  std::cout << "[ info ] 2 x 100000 pipelined cluster commands in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";

  // The keys really are spread: every master stored some, as the harness sees it.
  std::set<int> ports;
  for (size_t i = 0; i < kCount; i += 997) {
    std::string key = prefix + ":" + std::to_string(i);
    RedisServer& master = cluster.master_for_slot(key_slot(key));
    ASSERT_EQ(master.command({"GET", key}), "value-" + std::to_string(i));
    ports.insert(master.port());
  }
  EXPECT_EQ(ports.size(), 3u);
}

TEST(ClusterClient, RoutesEvalAndXreadByTheirKeys) {
  RedisCluster& cluster = healthy_cluster();
  auto client = cluster_client(cluster_options(cluster));
  for (const std::string& key : one_key_per_master(cluster, unique_name("script"))) {
    EXPECT_TRUE(has_text(
        client->command({"EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", key, "e"}),
        "OK"));
    ASSERT_TRUE(client->command({"XADD", key + ":s", "*", "field", "value"}).ok());
    Result<Reply> read = client->command({"XREAD", "COUNT", "1", "STREAMS", key + ":s", "0"});
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    EXPECT_TRUE(read->is_array());
  }
  EXPECT_EQ(client->stats().moved_redirects, 0u);
}

TEST(ClusterClient, TransactionOnOneSlotRunsOnItsMaster) {
  auto client = cluster_client(cluster_options(healthy_cluster()));
  std::string tag = "{" + unique_name("tx") + "}";
  Result<std::vector<Reply>> replies = client->transaction(
      {{"SET", tag + ":a", "1"}, {"INCR", tag + ":a"}, {"RPUSH", tag + ":list", "x", "y"}});
  ASSERT_TRUE(replies.ok()) << replies.status().to_string();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[1], Reply::from_integer(2));
  EXPECT_EQ((*replies)[2], Reply::from_integer(2));
}

TEST(ClusterClient, GuardedTransactionChecksItsGuardOnTheSlotsMaster) {
  auto client = cluster_client(cluster_options(healthy_cluster()));
  std::string tag = "{" + unique_name("gtx") + "}";
  Result<std::vector<Reply>> first = client->guarded_transaction(
      {tag + ":checkpoint", std::nullopt}, {{"XADD", tag + ":s", "*", "f", "1"},
                                            {"SET", tag + ":checkpoint", "1"}});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  Result<std::vector<Reply>> stale = client->guarded_transaction(
      {tag + ":checkpoint", std::nullopt}, {{"XADD", tag + ":s", "*", "f", "2"}});
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_EQ(client->command({"XLEN", tag + ":s"})->integer(), 1);
  // The guard key must share the slot of the commands, like every key of a transaction.
  std::string other = unique_name("other-slot");
  ASSERT_NE(key_slot(other), key_slot(tag + ":x"));
  Result<std::vector<Reply>> elsewhere =
      client->guarded_transaction({other, std::nullopt}, {{"SET", tag + ":x", "1"}});
  EXPECT_EQ(elsewhere.status().code(), StatusCode::kInvalidArgument);
}

TEST(ClusterClient, TransactionAcrossSlotsIsRejectedBeforeSending) {
  auto client = cluster_client(cluster_options(healthy_cluster()));
  std::string a = unique_name("txa");
  std::string b = unique_name("txb");
  ASSERT_NE(key_slot(a), key_slot(b));
  Result<std::vector<Reply>> replies = client->transaction({{"SET", a, "1"}, {"SET", b, "2"}});
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(replies.status().message().find("hash tag"), std::string::npos);
  EXPECT_TRUE(client->command({"GET", a})->is_nil());
}

TEST(ClusterClient, PingsAndBroadcastsToEveryMaster) {
  auto client = cluster_client(cluster_options(healthy_cluster()));
  EXPECT_TRUE(client->ping().ok());
  std::vector<Result<Reply>> roles = client->on_every_master({"ROLE"});
  ASSERT_EQ(roles.size(), 3u);
  for (const Result<Reply>& role : roles) {
    ASSERT_TRUE(role.ok()) << role.status().to_string();
    EXPECT_EQ((*role)[0].str(), "master");
  }
}

TEST(ClusterClient, ReadsFromReplicasWhenAsked) {
  RedisCluster& cluster = healthy_cluster();
  ClientOptions options = cluster_options(cluster);
  options.read_from_replicas = true;
  auto client = cluster_client(options);
  std::string key = unique_name("replica_read");
  ASSERT_TRUE(has_text(client->command({"SET", key, "replicated"}), "OK"));
  // CLUSTER SLOTS lists a replica only once the node has heard (by gossip) that it
  // replicates; until then reads rightly go to the master.
  ASSERT_TRUE(poll_until(20s, [&] {
    return client->refresh_slot_map().ok() &&
           !client->slot_map()->shard_for_slot(key_slot(key))->replicas.empty();
  }));

  auto get_calls_on = [&](const std::vector<RedisServer*>& nodes) {
    long long calls = 0;
    for (RedisServer* node : nodes) {
      std::string stats = node->command({"INFO", "commandstats"});
      size_t at = stats.find("cmdstat_get:calls=");
      if (at != std::string::npos) calls += std::stoll(stats.substr(at + 18));
    }
    return calls;
  };
  // A replica may lag behind its master for a moment.
  EXPECT_TRUE(poll_until(5s, [&] {
    return has_text(client->command({"GET", key}), "replicated");
  }));
  // Reads take the shard's copies in turn: master and replica share them.
  long long on_masters = get_calls_on(cluster.masters());
  long long on_replicas = get_calls_on(cluster.replicas());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->command({"GET", key}).ok());
  EXPECT_EQ(get_calls_on(cluster.masters()) - on_masters, 10);
  EXPECT_EQ(get_calls_on(cluster.replicas()) - on_replicas, 10);
  // A pipeline takes one turn: all of its reads go to one copy of each shard.
  on_replicas = get_calls_on(cluster.replicas());
  std::vector<Result<Reply>> replies = client->pipeline({{"GET", key}, {"GET", key}, {"GET", key}});
  for (const Result<Reply>& reply : replies) ASSERT_TRUE(reply.ok());
  long long piped = get_calls_on(cluster.replicas()) - on_replicas;
  EXPECT_TRUE(piped == 0 || piped == 3) << piped;
  EXPECT_TRUE(has_text(client->command({"SET", key, "write"}), "OK"));  // writes go to masters
}

TEST(ClusterClient, AnUnreachableSeedIsSkipped) {
  RedisCluster& cluster = healthy_cluster();
  ClientOptions options = cluster_options(cluster);
  options.nodes.insert(options.nodes.begin(),
                       "127.0.0.1:" + std::to_string(courier::testing::free_loopback_port()));
  auto client = cluster_client(options);
  EXPECT_TRUE(client->ping().ok());
  EXPECT_TRUE(has_text(client->command({"SET", unique_name("seed"), "v"}), "OK"));
}

TEST(ClusterClient, NoReachableNodeIsUnavailable) {
  ClientOptions options;
  options.nodes = {"127.0.0.1:" + std::to_string(courier::testing::free_loopback_port())};
  options.topology = Topology::kCluster;
  auto client = cluster_client(options);
  Result<Reply> reply = client->command({"GET", "k"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("cannot load the slot map"), std::string::npos)
      << reply.status().message();
  std::vector<Result<Reply>> results = client->pipeline({{"GET", "a"}, {"GET", "b"}});
  EXPECT_EQ(results[1].status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client->stats().failed_refreshes, 2u);
}

}  // namespace
}  // namespace courier::redis::test
