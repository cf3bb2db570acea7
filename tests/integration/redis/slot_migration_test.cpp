// A slot moves from one master to another (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE
// key by key, SETSLOT NODE) while a client keeps writing and reading keys of that slot in
// a loop on its own thread. Every command must land exactly once, and the client must have
// followed both ASK (keys already moved, slot still migrating) and MOVED (slot handed over).
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "redis/slot.h"
#include "redis_fixture.h"
#include "servers.h"

namespace courier::redis::test {
namespace {

using courier::testing::RedisCluster;
using courier::testing::RedisServer;
using courier::testing::shared_cluster;
using courier::testing::unique_name;

// Increments every key of the slot in rounds: one pipeline over all keys, then a single
// INCR, a GET and a one-key transaction on one of them; remembers what each key must hold.
class SlotWriter {
 public:
  SlotWriter(std::unique_ptr<ClusterClient> client, std::vector<std::string> keys)
      : client_(std::move(client)), keys_(std::move(keys)), expected_(keys_.size(), 0) {}

  void start() {
    thread_ = std::thread([this] {
      while (!stop_) run_round();
    });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits until `count` more rounds have completed after this call.
  bool wait_rounds(int count) {
    int target = rounds_.load() + count;
    return poll_until(30s, [&] { return rounds_.load() >= target; });
  }

  const std::vector<long long>& expected() const { return expected_; }
  const std::vector<std::string>& failures() const { return failures_; }
  const ClusterStats& stats() const { return client_->stats(); }

 private:
  void run_round() {
    std::vector<Command> increments;
    for (const std::string& key : keys_) increments.push_back({"INCR", key});
    std::vector<Result<Reply>> results = client_->pipeline(increments);
    for (size_t i = 0; i < keys_.size(); ++i) check_increment(i, results[i], "pipelined INCR");

    size_t pick = static_cast<size_t>(rounds_.load()) % keys_.size();
    check_increment(pick, client_->command({"INCR", keys_[pick]}), "INCR");
    check_value(pick, client_->command({"GET", keys_[pick]}));
    Result<std::vector<Reply>> transaction = client_->transaction({{"INCR", keys_[pick]}});
    check_increment(pick,
                    transaction.ok() ? Result<Reply>(transaction->at(0)) : transaction.status(),
                    "INCR in MULTI");
    ++rounds_;
  }

  void check_increment(size_t i, const Result<Reply>& result, std::string_view what) {
    if (result.ok() && result->is_integer() && result->integer() == expected_[i] + 1) {
      ++expected_[i];
      return;
    }
    record_failure(i, what, result);
    // Keep counting right if the command did land despite the failure report.
  }

  void check_value(size_t i, const Result<Reply>& result) {
    if (!has_text(result, std::to_string(expected_[i]))) record_failure(i, "GET", result);
  }

  void record_failure(size_t i, std::string_view what, const Result<Reply>& result) {
    std::ostringstream failure;
    failure << what << " " << keys_[i] << " (expected " << expected_[i] + 1 << ") -> "
            << describe(result);
    failures_.push_back(failure.str());
  }

  std::unique_ptr<ClusterClient> client_;
  std::vector<std::string> keys_;
  std::vector<long long> expected_;
  std::vector<std::string> failures_;
  std::atomic<bool> stop_{false};
  std::atomic<int> rounds_{0};
  std::thread thread_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

TEST(ClusterSlotMigration, CommandsKeepLandingWhileTheirSlotMovesBetweenMasters) {
  RedisCluster& cluster = shared_cluster();
  ASSERT_TRUE(cluster.wait_healthy());
  std::string tag = unique_name("migrating");
  int slot = key_slot(tag);
  std::string slot_text = std::to_string(slot);
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back("{" + tag + "}:" + std::to_string(i));

  RedisServer& source = cluster.master_for_slot(slot);
  RedisServer* target = nullptr;
  for (RedisServer* master : cluster.masters())
    if (master != &source) target = master;
  ASSERT_NE(target, nullptr);
  std::string source_id = source.command({"CLUSTER", "MYID"});
  std::string target_id = target->command({"CLUSTER", "MYID"});

  SlotWriter writer(cluster_client(cluster_options(cluster)), keys);
  writer.start();
  ASSERT_TRUE(writer.wait_rounds(2));

  ASSERT_EQ(target->command({"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id}), "OK");
  ASSERT_EQ(source.command({"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id}), "OK");
  ASSERT_TRUE(writer.wait_rounds(1));
  // Move the keys a few at a time, letting the writer run between batches, so it meets the
  // slot half moved (ASK).
  int batches = 0;
  for (;;) {
    std::vector<std::string> batch =
        lines_of(source.command({"CLUSTER", "GETKEYSINSLOT", slot_text, "7"}));
    if (batch.empty()) break;
    for (const std::string& key : batch) {
      ASSERT_EQ(source.command(
                    {"MIGRATE", target->host(), std::to_string(target->port()), key, "0", "5000"}),
                "OK");
    }
    ++batches;
    ASSERT_TRUE(writer.wait_rounds(1));
  }
  EXPECT_GE(batches, 4);
  ASSERT_EQ(target->command({"CLUSTER", "SETSLOT", slot_text, "NODE", target_id}), "OK");
  ASSERT_TRUE(writer.wait_rounds(1));
  ASSERT_EQ(source.command({"CLUSTER", "SETSLOT", slot_text, "NODE", target_id}), "OK");
  for (RedisServer* master : cluster.masters())
    if (master != &source && master != target)
      master->command({"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
  ASSERT_TRUE(writer.wait_rounds(2));
  writer.stop();

  for (size_t i = 0; i < writer.failures().size() && i < 10; ++i)
    ADD_FAILURE() << writer.failures()[i];
  EXPECT_TRUE(writer.failures().empty()) << writer.failures().size() << " commands failed";
  EXPECT_GT(writer.stats().ask_redirects, 0u);
  EXPECT_GT(writer.stats().moved_redirects, 0u);
  // Every increment landed exactly once, and the data now lives on the new master.
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(target->command({"GET", keys[i]}), std::to_string(writer.expected()[i])) << keys[i];
  EXPECT_EQ(cluster.master_for_slot(slot).port(), target->port());
  EXPECT_TRUE(cluster.wait_healthy());
  std::cout << "[ info ] ASK redirects " << writer.stats().ask_redirects << ", MOVED "
            << writer.stats().moved_redirects << ", slot map loads "
            << writer.stats().slot_map_refreshes << "\n";
}

}  // namespace
}  // namespace courier::redis::test
