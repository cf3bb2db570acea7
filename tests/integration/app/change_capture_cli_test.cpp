// Change capture through the `courier` binary: kill -9 at random points of a snapshot
// (every row copied once), kill -9 at random points of a write load of
// inserts, updates and deletes, restarted each time (afterwards the hash keys equal the
// table and the stream holds every change exactly once), a Postgres crash in mid-stream,
// and `courier changes drop-slot` refusing while a process streams, then removing the slot
// and the publication.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "courier_process.h"
#include "pg/connection.h"
#include "redis/client.h"

namespace courier::testing {
namespace {

class ChangeCaptureCliTest : public ::testing::Test {
 protected:
  void SetUp() override { connect(shared_postgres()); }

  void connect(PostgresServer& pg) {
    pg_ = &pg;
    if (db_.empty()) db_ = pg.create_database("cdc");
    auto options = pg::ConnectionOptions::from_url(pg.url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    auto client = redis::make_client({.nodes = {shared_redis().address()}});
    ASSERT_TRUE(client.ok());
    redis_ = std::move(*client);
    if (prefix_.empty()) {
      prefix_ = unique_name("cdc");
      slot_ = "s_" + prefix_;
      for (char& c : slot_) c = (c == '-') ? '_' : static_cast<char>(std::tolower(c));
      sql("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)");
      sql("INSERT INTO accounts SELECT g, g FROM generate_series(1, 1000) g");
    }
  }
  void TearDown() override {
    if (!conn_) return;
    // Never leave a slot behind (a test that failed early may not have dropped it).
    (void)conn_->execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
        "slot_name = $1 AND NOT active",
        {slot_});
  }

  void sql(const std::string& statement) {
    Status done = conn_->execute_script(statement);
    ASSERT_TRUE(done.ok()) << statement << ": " << done.to_string();
  }
  std::string scalar(const std::string& query, const pg::Params& params = {}) {
    auto rows = conn_->execute(query, params);
    if (!rows.ok() || rows->row_count() == 0) return "(none)";
    return std::string(rows->get(0, 0).value_or("NULL"));
  }
  std::string redis(const redis::Command& command) {
    auto reply = redis_->command(command);
    if (!reply.ok() || reply->is_nil()) return "(nil)";
    return reply->is_integer() ? std::to_string(reply->integer()) : reply->str();
  }

  // A per-row hash and a stream of every change, both on accounts (`more_tasks` after).
  std::string tasks_yaml(bool with_stream = true, const std::string& more_tasks = "") const {
    return "tasks:\n  - name: " + prefix_ + "_hash\n    table: accounts\n    structure: hash\n"
           "    key: \"" + prefix_ + ":acct:{id}\"\n    fields: [balance]\n    capture: wal\n" +
           (with_stream ? "  - name: " + prefix_ + "_stream\n    table: accounts\n    alias: " +
                              prefix_ + ":changes\n    fields: [id, balance]\n    capture: wal\n"
                        : std::string()) +
           more_tasks + "changes:\n  slot: " + slot_ + "\n  publication: " + slot_ +
           "\n  status_interval: 200ms\n";
  }
  std::string config_file() {
    const std::string dir = make_temp_dir("cdc-cli");
    std::ofstream(dir + "/courier.yaml")
        << connection_yaml(*pg_, db_, shared_redis().address(), 0) << tasks_yaml();
    return dir + "/courier.yaml";
  }
  std::unique_ptr<CourierProcess> run_courier(const std::string& yaml = "") {
    return std::make_unique<CourierProcess>(*pg_, db_, shared_redis(),
                                            yaml.empty() ? tasks_yaml() : yaml);
  }
  std::string mark_of(const std::string& task) {
    return redis({"HGET", "courier:changes:" + slot_, task});
  }
  // Every task copied (two unless told): their marks hold LSNs ("copying:…" or
  // "resume:…" while a copy is under way).
  bool snapshots_done(int tasks = 2) {
    return poll_until(60s, [&] {
      auto marks = redis_->command({"HVALS", "courier:changes:" + slot_});
      if (!marks.ok()) return false;
      int done = 0;
      for (const redis::Reply& mark : marks->elements())
        done += mark.str().starts_with("copying:") || mark.str().starts_with("resume:") ? 0 : 1;
      return done == tasks;
    });
  }
  // Every row's hash holds its balance, and no other key of the task exists.
  void expect_hashes_equal_table() {
    auto rows = conn_->execute("SELECT id, balance FROM accounts ORDER BY id");
    ASSERT_TRUE(rows.ok());
    for (int r = 0; r < rows->row_count(); ++r) {
      const std::string key = prefix_ + ":acct:" + std::string(*rows->get(r, 0));
      ASSERT_EQ(redis({"HGET", key, "balance"}), std::string(*rows->get(r, 1))) << key;
    }
    size_t keys = 0;
    std::string cursor = "0";
    do {
      auto reply = redis_->command({"SCAN", cursor, "MATCH", prefix_ + ":acct:*", "COUNT", "1000"});
      ASSERT_TRUE(reply.ok());
      cursor = reply->elements()[0].str();
      keys += reply->elements()[1].elements().size();
    } while (cursor != "0");
    EXPECT_EQ(keys, static_cast<size_t>(rows->row_count()));
  }

  PostgresServer* pg_ = nullptr;
  std::string db_;
  std::string prefix_;
  std::string slot_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<redis::Client> redis_;
};

// Writes single-row transactions of random inserts, updates and deletes on its own
// connection until stopped; counts the rows they changed (each one stream entry).
class WriteLoad {
 public:
  WriteLoad(const std::string& url, unsigned seed) : random_(seed) {
    auto options = pg::ConnectionOptions::from_url(url);
    auto conn = pg::Connection::open(*options);
    EXPECT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    thread_ = std::thread([this] { run(); });
  }
  ~WriteLoad() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t changes() const { return changes_; }

 private:
  void run() {
    std::uniform_int_distribution<int> pick(0, 9), id(1, 1500);
    int next_id = 2000;
    while (!stop_) {
      const int what = pick(random_);
      std::string statement;
      if (what < 5)
        statement = "UPDATE accounts SET balance = balance + 1 WHERE id = " +
                    std::to_string(id(random_)) + " RETURNING id";
      else if (what < 8)
        statement = "INSERT INTO accounts VALUES (" + std::to_string(next_id++) +
                    ", 7) RETURNING id";
      else
        statement = "DELETE FROM accounts WHERE id = " + std::to_string(id(random_)) +
                    " RETURNING id";
      auto done = conn_->execute(statement, {});
      if (done.ok()) changes_ += static_cast<uint64_t>(done->row_count());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  std::mt19937 random_;
  std::unique_ptr<pg::Connection> conn_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> changes_{0};
  std::thread thread_;
};

TEST_F(ChangeCaptureCliTest, KillNineDuringAWriteLoadLosesAndDoublesNothing) {
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(200, 1500);
  auto courier = run_courier();
  ASSERT_TRUE(snapshots_done()) << courier->log();
  WriteLoad load(pg_->url(db_), seed);
  for (int kill = 0; kill < 5; ++kill) {
    // The kill point is the test's random input, not a wait for something to happen.
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
    courier->process().kill9();
    courier = run_courier();
  }
  load.stop();
  const std::string expected = std::to_string(1000 + load.changes());
  ASSERT_TRUE(poll_until(60s, [&] { return redis({"XLEN", prefix_ + ":changes"}) == expected; }))
      << "seed " << seed << ": " << redis({"XLEN", prefix_ + ":changes"}) << " entries, expected "
      << expected << "\n" << courier->log();
  expect_hashes_equal_table();
  // Still exactly that many once everything is confirmed (no late duplicates).
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(redis({"XLEN", prefix_ + ":changes"}), expected) << "seed " << seed;
  ASSERT_TRUE(courier->wait_for_health(200)) << courier->log();
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0);
}

TEST_F(ChangeCaptureCliTest, KillNineDuringTheSnapshotCopiesEveryRowOnce) {
  sql("INSERT INTO accounts SELECT g, g FROM generate_series(1001, 150000) g");
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(100, 1200);
  auto courier = run_courier();
  for (int kill = 0; kill < 4; ++kill) {
    // The kill point is the test's random input, not a wait for something to happen.
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
    courier->process().kill9();
    courier = run_courier();
  }
  ASSERT_TRUE(snapshots_done()) << courier->log();
  EXPECT_EQ(redis({"XLEN", prefix_ + ":changes"}), "150000") << "seed " << seed;
  ASSERT_TRUE(courier->wait_for_health(200)) << courier->log();  // up, signals handled
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0) << courier->log();
}

TEST_F(ChangeCaptureCliTest, AHashSnapshotKilledHalfWayGoesOnFromItsLastPage) {
  sql("INSERT INTO accounts SELECT g, g FROM generate_series(1001, 150000) g");
  const std::string task = prefix_ + "_hash";
  auto courier = run_courier(tasks_yaml(false));
  // resume:<lsn>:["<id>"]: every row up to that id is written.
  auto copied_so_far = [&] {
    const std::string mark = mark_of(task);
    const size_t quote = mark.find("[\"");
    return mark.starts_with("resume:") && quote != std::string::npos
               ? std::stoi(mark.substr(quote + 2))
               : 0;
  };
  ASSERT_TRUE(poll_until(60s, [&] { return copied_so_far() >= 20000; }, 0ms))
      << mark_of(task) << "\n" << courier->log();
  courier->process().kill9();
  const std::string mark = mark_of(task);
  const int copied_up_to = copied_so_far();
  ASSERT_LT(copied_up_to, 140000) << "the copy finished before the kill; " << mark;
  // Changes while nobody streams, on both sides of the cursor: the stream replays them from
  // the first snapshot's point, over rows of either snapshot.
  const std::string below = std::to_string(copied_up_to / 2 + 1);
  const std::string above = std::to_string(copied_up_to + 5000);
  sql("UPDATE accounts SET balance = -1 WHERE id IN (" + below + ", " + above + ")");
  sql("DELETE FROM accounts WHERE id IN (" + std::to_string(copied_up_to / 2 + 2) + ", " +
      std::to_string(copied_up_to + 6000) + ")");
  sql("INSERT INTO accounts VALUES (200000, 2)");

  courier = run_courier(tasks_yaml(false));
  ASSERT_TRUE(snapshots_done(1)) << courier->log();
  const std::string log = courier->log();
  EXPECT_NE(log.find("resuming after [\"" + std::to_string(copied_up_to) + "\"]"),
            std::string::npos)
      << log;
  const size_t copied = log.find(task + ": ", log.find("resuming after"));
  ASSERT_NE(copied, std::string::npos) << log;
  EXPECT_LT(std::stoll(log.substr(copied + task.size() + 2)), 150000 - copied_up_to + 1) << log;
  ASSERT_TRUE(poll_until(30s, [&] { return redis({"HGET", prefix_ + ":acct:" + above, "balance"}) == "-1"; }))
      << courier->log();
  ASSERT_TRUE(poll_until(30s, [&] { return redis({"EXISTS", prefix_ + ":acct:200000"}) == "1"; }));
  expect_hashes_equal_table();
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0) << courier->log();
}

TEST_F(ChangeCaptureCliTest, ATaskAddedLaterIsCopiedWhileTheOthersStream) {
  auto courier = run_courier(tasks_yaml(false));
  ASSERT_TRUE(snapshots_done(1)) << courier->log();
  sql("CREATE TABLE ledger (id int PRIMARY KEY, amount int NOT NULL)");
  sql("INSERT INTO ledger SELECT g, g FROM generate_series(1, 200000) g");
  // The slot moves past the ledger's rows (a change of a task's table confirms them), as
  // it would for a table that existed long before it was added: the new start must not
  // decode them again before the others' next change.
  sql("UPDATE accounts SET balance = -2 WHERE id = 2");
  const std::string after_ledger = scalar("SELECT pg_current_wal_lsn()::text");
  ASSERT_TRUE(poll_until(30s, [&] {
    return scalar("SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE "
                  "slot_name = $2",
                  {after_ledger, slot_}) == "t";
  })) << courier->log();
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0);
  const std::string added = prefix_ + "_ledger";
  // Small pages make the new copy take seconds, the window in which the others must stream.
  courier = run_courier(tasks_yaml(false, "  - name: " + added +
                                              "\n    table: ledger\n    structure: hash\n"
                                              "    key: \"" + prefix_ + ":ledger:{id}\"\n"
                                              "    fields: [amount]\n    batch_size: 100\n"
                                              "    capture: wal\n"));
  ASSERT_TRUE(poll_until(60s, [&] { return mark_of(added).starts_with("resume:"); }, 0ms))
      << courier->log();
  sql("UPDATE accounts SET balance = -5 WHERE id = 1");
  ASSERT_TRUE(poll_until(30s, [&] {
    return redis({"HGET", prefix_ + ":acct:1", "balance"}) == "-5";
  })) << courier->log();
  EXPECT_TRUE(mark_of(added).starts_with("resume:"))
      << "the new task's copy ended before the other task's change arrived: " << mark_of(added);
  sql("UPDATE ledger SET amount = -7 WHERE id = 199999");
  ASSERT_TRUE(snapshots_done(2)) << courier->log();
  ASSERT_TRUE(poll_until(30s, [&] {
    return redis({"HGET", prefix_ + ":ledger:199999", "amount"}) == "-7";
  })) << courier->log();
  EXPECT_EQ(redis({"HGET", prefix_ + ":ledger:1", "amount"}), "1");
  expect_hashes_equal_table();
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0) << courier->log();
}

TEST_F(ChangeCaptureCliTest, DropSlotRefusesWhileStreamingThenRemovesSlotAndPublication) {
  auto courier = run_courier();
  ASSERT_TRUE(snapshots_done()) << courier->log();
  const std::string config = config_file();
  CommandOutput refused =
      run_command({COURIER_BINARY, "changes", "drop-slot", "-c", config}, "", 60s);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("is streaming from slot '" + slot_ + "'"), std::string::npos)
      << refused.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", {slot_}),
            "1");

  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0);
  CommandOutput dropped =
      run_command({COURIER_BINARY, "changes", "drop-slot", "-c", config}, "", 60s);
  EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", {slot_}),
            "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_publication WHERE pubname = $1", {slot_}), "0");
  EXPECT_EQ(redis({"EXISTS", "courier:changes:" + slot_}), "0");
}

TEST_F(ChangeCaptureCliTest, APostgresCrashInMidStreamLosesAndDoublesNothing) {
  std::unique_ptr<PostgresServer> own = PostgresServer::start();
  db_.clear();
  prefix_.clear();
  connect(*own);
  auto courier = run_courier();
  ASSERT_TRUE(snapshots_done()) << courier->log();
  sql("UPDATE accounts SET balance = -1 WHERE id <= 10");
  ASSERT_TRUE(poll_until(30s, [&] { return redis({"XLEN", prefix_ + ":changes"}) == "1010"; }))
      << courier->log();
  // A crash: the slot's position on disk is the one of the last checkpoint, older than what
  // was confirmed since, so the stream sends the last changes again.
  own->kill9();
  own->restart();
  connect(*own);
  sql("DELETE FROM accounts WHERE id <= 5");
  sql("INSERT INTO accounts VALUES (5000, 50)");
  ASSERT_TRUE(poll_until(60s, [&] { return redis({"XLEN", prefix_ + ":changes"}) == "1016"; }))
      << redis({"XLEN", prefix_ + ":changes"}) << "\n" << courier->log();
  expect_hashes_equal_table();
  EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0);
  EXPECT_TRUE(conn_->execute("SELECT pg_drop_replication_slot($1)", {slot_}).ok());
}

}  // namespace
}  // namespace courier::testing
