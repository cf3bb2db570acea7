// Change capture (`capture: wal`) against real PostgreSQL 15 and Redis: the snapshot and
// the stream meet without a gap or a double, every structure follows inserts, updates,
// deletes and truncates, an unchanged TOASTed value survives an update, a restart that
// starts again from the confirmed LSN loses and doubles nothing, and of two capturing processes
// one streams while the other waits, and takes over when the first stops.
#include "pg_to_redis/change_capture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../pg/pg_fixture.h"
#include "http/server.h"
#include "poll_until.h"
#include "pg_to_redis/change_applier.h"
#include "pg_to_redis/task_runner.h"
#include "redis/client.h"
#include "redis/slot.h"
#include "servers.h"

namespace courier::pg_to_redis {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
using courier::testing::poll_until;

class ChangeCaptureTest : public pg::PgDatabaseTest {
 protected:
  void SetUp() override {
    PgDatabaseTest::SetUp();
    prefix_ = testing::unique_name("cdc");
    slot_ = "s_" + prefix_;
    for (char& c : slot_) c = (c == '-') ? '_' : static_cast<char>(std::tolower(c));
    PG_ASSERT_OK(conn().execute_script(
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric, note text);"
        "ALTER TABLE accounts REPLICA IDENTITY FULL;"
        "INSERT INTO accounts VALUES (1, 'ann', 10, 'a'), (2, 'bob', 20, 'b'),"
        " (3, 'cy', 30, 'c')"));
    auto client = redis::make_client({.nodes = {testing::shared_redis().address()}});
    ASSERT_TRUE(client.ok());
    redis_ = std::move(*client);
  }
  void TearDown() override {
    captures_.clear();
    EXPECT_TRUE(pg::eventually(
        [&] {
          auto dropped = conn().execute(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
              "slot_name = $1",
              {slot_});
          return dropped.ok();
        },
        10s));
    PgDatabaseTest::TearDown();
  }

  TaskConfig task(Structure structure, std::string suffix = "") const {
    TaskConfig t;
    t.name = prefix_ + "_" + std::string(to_string(structure)) + suffix;
    t.table = TableName{"public", "accounts"};
    t.table_as_written = "accounts";
    t.structure = structure;
    t.key_prefix = prefix_ + suffix + ":";
    t.alias = std::string(to_string(structure));
    t.capture = Capture::kWal;
    t.key = "id";
    t.value = "owner";
    t.score = "balance";
    if (structure == Structure::kHash || structure == Structure::kString) {
      t.key_template = {{{false, structure == Structure::kHash ? "acct:" : "doc:"}, {true, "id"}}};
      t.key.clear();
    }
    t.fields = {"owner", "balance"};
    t.batch_size = 2;
    return t;
  }

  ChangesConfig changes(std::chrono::milliseconds status_interval = 200ms) const {
    return {.slot = slot_,
            .publication = slot_,
            .status_interval = status_interval,
            .heartbeat = 0ms};
  }

  // Starts a capture of `tasks`, as one courier process would (on `cluster` when given).
  ChangeCapture& start(std::vector<TaskConfig> tasks, ChangesConfig config,
                       std::vector<std::string> cluster = {}) {
    auto server = std::make_unique<http::HttpServer>(http::ServerOptions{.port = 0});
    const bool on_cluster = !cluster.empty();
    if (!on_cluster) cluster = {testing::shared_redis().address()};
    auto capture = std::make_unique<ChangeCapture>(
        std::move(tasks),
        ChangeCaptureOptions{.postgres = *pg::ConnectionOptions::from_url(url()),
                             .redis = {.nodes = std::move(cluster)},
                             .cluster = on_cluster,
                             .changes = config});
    capture->attach(*server);
    EXPECT_TRUE(capture->start().ok());
    captures_.push_back({std::move(server), std::move(capture)});
    return *captures_.back().capture;
  }

  std::vector<std::string> strings(const redis::Command& command) {
    auto reply = redis_->command(command);
    EXPECT_TRUE(reply.ok()) << reply.status().to_string();
    std::vector<std::string> out;
    if (!reply.ok()) return out;
    for (const redis::Reply& item : reply->elements()) out.push_back(item.str());
    return out;
  }
  std::string text(const redis::Command& command) {
    auto reply = redis_->command(command);
    if (!reply.ok() || reply->is_nil()) return "(nil)";
    return reply->is_integer() ? std::to_string(reply->integer()) : reply->str();
  }
  std::string key(const TaskConfig& t) const { return t.redis_key(); }

  // Until every task's snapshot is done (each remembered in the slot's mark hash with
  // its consistent LSN; a copy under way has another SnapshotMark).
  void wait_for_snapshots(size_t tasks) {
    ASSERT_TRUE(poll_until(60s, [&] {
      size_t done = 0;
      for (const std::string& text : strings({"HVALS", "courier:changes:" + slot_})) {
        const std::optional<SnapshotMark> mark = SnapshotMark::parse(text);
        done += mark && mark->state == SnapshotMark::State::kDone ? 1 : 0;
      }
      return done == tasks;
    }));
  }

  // The stream's entries as "op:owner", oldest first.
  std::vector<std::string> stream_entries(const std::string& stream) {
    auto reply = redis_->command({"XRANGE", stream, "-", "+"});
    std::vector<std::string> out;
    if (!reply.ok()) return out;
    for (const redis::Reply& entry : reply->elements()) {
      const auto& fields = entry.elements()[1].elements();
      std::string op, owner;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str() == "op") op = fields[i + 1].str();
        if (fields[i].str() == "owner") owner = fields[i + 1].str();
      }
      out.push_back(op + ":" + owner);
    }
    return out;
  }

  struct Running {
    std::unique_ptr<http::HttpServer> server;
    std::unique_ptr<ChangeCapture> capture;
  };
  std::string prefix_;
  std::string slot_;
  std::unique_ptr<redis::Client> redis_;
  std::vector<Running> captures_;
};

TEST_F(ChangeCaptureTest, EveryStructureFollowsTheSnapshotThenInsertsUpdatesAndDeletes) {
  std::vector<TaskConfig> tasks;
  for (Structure s : {Structure::kMap, Structure::kSet, Structure::kSortedSet, Structure::kHash,
                      Structure::kString, Structure::kStream, Structure::kList})
    tasks.push_back(task(s));
  start(tasks, changes());
  const TaskConfig& map = tasks[0];
  const TaskConfig& set = tasks[1];
  const TaskConfig& zset = tasks[2];
  const TaskConfig& stream = tasks[5];
  const TaskConfig& list = tasks[6];
  wait_for_snapshots(tasks.size());
  ASSERT_THAT(strings({"SMEMBERS", key(set)}), UnorderedElementsAre("ann", "bob", "cy"));

  PG_ASSERT_OK(conn().execute_script(
      "INSERT INTO accounts VALUES (4, 'dee', 40, 'd');"
      "UPDATE accounts SET owner = 'bea', balance = 21 WHERE id = 2;"
      "DELETE FROM accounts WHERE id = 3;"
      "UPDATE accounts SET id = 5 WHERE id = 1"));
  const std::string hash5 = prefix_ + ":acct:5";
  ASSERT_TRUE(poll_until(30s, [&] { return text({"HGET", hash5, "owner"}) == "ann"; }));
  ASSERT_TRUE(poll_until(30s, [&] { return stream_entries(key(stream)).size() == 7; }))
      << ::testing::PrintToString(stream_entries(key(stream)));

  EXPECT_THAT(strings({"SMEMBERS", key(set)}), UnorderedElementsAre("ann", "bea", "dee"));
  EXPECT_THAT(strings({"ZRANGE", key(zset), "0", "-1", "WITHSCORES"}),
              ElementsAre("ann", "10", "bea", "21", "dee", "40"));
  EXPECT_THAT(strings({"HGETALL", key(map)}),
              UnorderedElementsAre("2", "bea", "4", "dee", "5", "ann"));
  EXPECT_EQ(text({"EXISTS", prefix_ + ":acct:1"}), "0");  // moved to acct:5
  EXPECT_EQ(text({"EXISTS", prefix_ + ":acct:3"}), "0");  // deleted
  EXPECT_THAT(strings({"HGETALL", prefix_ + ":acct:2"}),
              UnorderedElementsAre("owner", "bea", "balance", "21"));
  EXPECT_EQ(text({"GET", prefix_ + ":doc:4"}), R"({"owner":"dee","balance":40})");
  EXPECT_EQ(text({"EXISTS", prefix_ + ":doc:1"}), "0");
  EXPECT_EQ(text({"GET", prefix_ + ":doc:5"}), R"({"owner":"ann","balance":10})");
  // The snapshot's rows carry no op; each change after it says what it was.
  EXPECT_THAT(stream_entries(key(stream)),
              ElementsAre(":ann", ":bob", ":cy", "insert:dee", "update:bea", "delete:cy",
                          "update:ann"));
  EXPECT_EQ(strings({"LRANGE", key(list), "0", "0"}).front(), "ann");
}

TEST_F(ChangeCaptureTest, AnUnchangedToastedValueStaysAndWhatCannotBeWrittenIsParked) {
  PG_ASSERT_OK(conn().execute_script(
      "ALTER TABLE accounts REPLICA IDENTITY DEFAULT;"
      "ALTER TABLE accounts ALTER COLUMN note SET STORAGE EXTERNAL"));
  TaskConfig hash = task(Structure::kHash);
  hash.fields = {"owner", "note"};
  TaskConfig string = task(Structure::kString);
  string.fields = {"owner", "note"};
  TaskConfig set = task(Structure::kSet);
  start({hash, string, set}, changes());
  wait_for_snapshots(3);

  // 1 MB that TOAST keeps out of line; then an update that leaves it alone.
  PG_ASSERT_OK(conn().execute("UPDATE accounts SET note = repeat('x', 1048576) WHERE id = 1"));
  PG_ASSERT_OK(conn().execute("UPDATE accounts SET owner = 'anna' WHERE id = 1"));
  // Without the old row, a delete does not say which member to remove from the set.
  PG_ASSERT_OK(conn().execute("DELETE FROM accounts WHERE id = 2"));
  const std::string row = prefix_ + ":acct:1";
  ASSERT_TRUE(poll_until(30s, [&] { return text({"HGET", row, "owner"}) == "anna"; }));
  EXPECT_EQ(text({"HSTRLEN", row, "note"}), "1048576");
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", set.dead_letter_key()}) == "1"; }));
  auto letters = redis_->command({"XRANGE", set.dead_letter_key(), "-", "+"});
  ASSERT_TRUE(letters.ok());
  EXPECT_THAT(letters->elements()[0].elements()[1].elements()[3].str(),
              ::testing::HasSubstr("REPLICA IDENTITY FULL"));
  // The string needs every field: the update is parked with the reason, the JSON keeps the
  // value it had, and the set still holds bob (the delete could not name him).
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", string.dead_letter_key()}) == "1"; }));
  EXPECT_THAT(text({"GET", prefix_ + ":doc:1"}), ::testing::HasSubstr("\"owner\":\"ann\""));
  EXPECT_THAT(strings({"SMEMBERS", key(set)}), UnorderedElementsAre("ann", "anna", "bob", "cy"));
}

TEST_F(ChangeCaptureTest, ACaptureStoppedAndStartedAgainLosesAndDoublesNothing) {
  // Each start resumes from the slot's confirmed LSN, the snapshot is not taken again, and
  // the stored positions skip whatever comes again (change_applier_test replays on purpose).
  const ChangesConfig config = changes();
  TaskConfig stream = task(Structure::kStream);
  TaskConfig list = task(Structure::kList);
  for (int round = 0; round < 3; ++round) {
    ChangeCapture& capture = start({stream, list}, config);
    if (round == 0) wait_for_snapshots(2);
    for (int i = 0; i < 5; ++i) {
      const int id = 100 + round * 10 + i;
      PG_ASSERT_OK(conn().execute("INSERT INTO accounts VALUES ($1::int, 'o' || $1::text, 1, '')",
                                  {std::to_string(id)}));
    }
    const size_t expected = 3 + 5 * (round + 1);
    ASSERT_TRUE(poll_until(30s, [&] {
      return text({"XLEN", key(stream)}) == std::to_string(expected) &&
             text({"LLEN", key(list)}) == std::to_string(expected);
    })) << "round " << round << ": " << text({"XLEN", key(stream)});
    capture.stop();
    captures_.clear();
  }
  std::vector<std::string> entries = stream_entries(key(stream));
  EXPECT_EQ(std::set<std::string>(entries.begin(), entries.end()).size(), entries.size());
  EXPECT_EQ(entries.size(), 18u);
}

TEST_F(ChangeCaptureTest, OneProcessStreamsTheOtherWaitsAndTakesOver) {
  TaskConfig stream = task(Structure::kStream);
  ChangeCapture& first = start({stream}, changes());
  wait_for_snapshots(1);
  start({stream}, changes());  // a second courier process on the same file
  PG_ASSERT_OK(conn().execute("INSERT INTO accounts VALUES (10, 'one', 1, '')"));
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", key(stream)}) == "4"; }));

  first.stop();  // the standby takes the slot's lock and resumes from the confirmed LSN
  PG_ASSERT_OK(conn().execute("INSERT INTO accounts VALUES (11, 'two', 1, '')"));
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", key(stream)}) == "5"; }));
  EXPECT_THAT(stream_entries(key(stream)),
              ElementsAre(":ann", ":bob", ":cy", "insert:one", "insert:two"));
}

TEST_F(ChangeCaptureTest, TheHeartbeatMovesTheSlotOverWalOfUnpublishedTables) {
  TaskConfig set = task(Structure::kSet);
  ChangesConfig config = changes();
  config.heartbeat = 300ms;
  start({set}, config);
  wait_for_snapshots(1);
  // WAL that no published table wrote: without the heartbeat nothing comes through the
  // slot, so nothing is confirmed and the slot holds this WAL back.
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE unpublished (id int); INSERT INTO unpublished SELECT generate_series(1, 1000)"));
  auto written = conn().execute("SELECT pg_current_wal_lsn()::text");
  PG_ASSERT_OK(written);
  const std::string after_writes(*written->get(0, 0));
  EXPECT_TRUE(poll_until(30s, [&] {
    auto moved = conn().execute(
        "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2",
        {after_writes, slot_});
    return moved.ok() && moved->row_count() == 1 && moved->get(0, 0) == "t";
  })) << "the slot did not move past " << after_writes;
}

TEST_F(ChangeCaptureTest, TruncateEmptiesTheTasksStructuresAndANewColumnChangesNothing) {
  TaskConfig set = task(Structure::kSet);
  TaskConfig stream = task(Structure::kStream);
  TaskConfig documents = task(Structure::kString);
  start({set, stream, documents}, changes());
  wait_for_snapshots(3);
  PG_ASSERT_OK(conn().execute_script(
      "ALTER TABLE accounts ADD COLUMN extra int DEFAULT 7;"
      "INSERT INTO accounts VALUES (4, 'dee', 40, 'd', 1)"));
  ASSERT_TRUE(poll_until(30s, [&] { return strings({"SMEMBERS", key(set)}).size() == 4; }));
  PG_ASSERT_OK(conn().execute("TRUNCATE accounts"));
  PG_ASSERT_OK(conn().execute("INSERT INTO accounts VALUES (5, 'eve', 50, 'e', 2)"));
  ASSERT_TRUE(poll_until(30s, [&] { return strings({"SMEMBERS", key(set)}).size() == 1; }));
  EXPECT_THAT(strings({"SMEMBERS", key(set)}), ElementsAre("eve"));
  // The string task's per-row keys went with the truncate; the row after it is there.
  ASSERT_TRUE(poll_until(30s, [&] { return text({"EXISTS", prefix_ + ":doc:5"}) == "1"; }));
  for (int id : {1, 2, 3, 4}) EXPECT_EQ(text({"EXISTS", prefix_ + ":doc:" + std::to_string(id)}), "0");
  EXPECT_THAT(stream_entries(key(stream)),
              ElementsAre(":ann", ":bob", ":cy", "insert:dee", "truncate:", "insert:eve"));
}

TEST_F(ChangeCaptureTest, ARedisClusterTargetGetsEveryChangeOnceWithItsPositionInTheDataSlot) {
  const std::vector<std::string> nodes = testing::shared_cluster().node_addresses();
  auto cluster_client = redis::make_client({.nodes = nodes});
  ASSERT_TRUE(cluster_client.ok());
  redis_ = std::move(*cluster_client);
  TaskConfig stream = task(Structure::kStream);
  TaskConfig hash = task(Structure::kHash);
  start({stream, hash}, changes(), nodes);
  wait_for_snapshots(2);
  PG_ASSERT_OK(conn().execute_script(
      "INSERT INTO accounts SELECT g, 'o' || g, g, '' FROM generate_series(10, 59) g;"
      "DELETE FROM accounts WHERE id = 2"));
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", key(stream)}) == "54"; }))
      << text({"XLEN", key(stream)});
  // The tasks of a batch are written one after the other, the stream first: the hash's
  // share of the same changes may land a moment later.
  const redis::Command newest_owner = {"HGET", prefix_ + ":acct:59", "owner"};
  ASSERT_TRUE(poll_until(30s, [&] { return text(newest_owner) == "o59"; })) << text(newest_owner);
  EXPECT_EQ(text({"EXISTS", prefix_ + ":acct:2"}), "0");
  // The stream's position lives in its slot, written in the same MULTI as the entries.
  const std::string position_key = checkpoint_key_for(stream, /*cluster=*/true);
  EXPECT_EQ(redis::key_slot(position_key), redis::key_slot(key(stream)));
  EXPECT_TRUE(ChangePosition::parse(text({"GET", position_key})).has_value())
      << text({"GET", position_key});

  // A truncate removes the hash task's keys from every master, and only hashes: a string
  // that matches the pattern stays.
  text({"SET", prefix_ + ":acct:foreign", "kept"});
  PG_ASSERT_OK(conn().execute_script(
      "TRUNCATE accounts; INSERT INTO accounts VALUES (70, 'after', 1, '')"));
  ASSERT_TRUE(poll_until(30s, [&] { return text({"XLEN", key(stream)}) == "56"; }))
      << text({"XLEN", key(stream)});
  ASSERT_TRUE(poll_until(30s, [&] { return text({"HGET", prefix_ + ":acct:70", "owner"}) == "after"; }));
  for (int id : {1, 3, 10, 33, 59})
    EXPECT_EQ(text({"EXISTS", prefix_ + ":acct:" + std::to_string(id)}), "0") << id;
  EXPECT_EQ(text({"GET", prefix_ + ":acct:foreign"}), "kept");
}

TEST_F(ChangeCaptureTest, AWhereFilterFollowsRowsInAndOutOfTheSet) {
  TaskConfig rich = task(Structure::kSet);
  rich.where = "balance >= 20";
  start({rich}, changes());
  wait_for_snapshots(1);
  ASSERT_THAT(strings({"SMEMBERS", key(rich)}), UnorderedElementsAre("bob", "cy"));
  // Leaving the filter arrives as a delete, entering it as an insert.
  PG_ASSERT_OK(conn().execute_script(
      "UPDATE accounts SET balance = 5 WHERE id = 2;"
      "UPDATE accounts SET balance = 50 WHERE id = 1"));
  ASSERT_TRUE(poll_until(30s, [&] {
    return strings({"SMEMBERS", key(rich)}) == std::vector<std::string>{"ann", "cy"} ||
           strings({"SMEMBERS", key(rich)}) == std::vector<std::string>{"cy", "ann"};
  })) << ::testing::PrintToString(strings({"SMEMBERS", key(rich)}));
}

TEST_F(ChangeCaptureTest, WhatAnUnfinishedCopyAppendedIsRemovedBeforeTheCopyStartsAgain) {
  // As a crash would leave it: the slot exists, each task's mark says its copy began after
  // the entries already there, and part of the copy was appended before the crash.
  PG_ASSERT_OK(conn().execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                              {slot_}));
  TaskConfig stream = task(Structure::kStream);
  TaskConfig list = task(Structure::kList);
  const std::string before = text({"XADD", key(stream), "*", "owner", "earlier"});
  text({"LPUSH", key(list), "earlier"});
  text({"HSET", "courier:changes:" + slot_, stream.name, "copying:" + before});
  text({"HSET", "courier:changes:" + slot_, list.name, "copying:1"});
  text({"XADD", key(stream), "*", "owner", "ann"});
  text({"LPUSH", key(list), "ann"});

  start({stream, list}, changes());
  wait_for_snapshots(2);
  EXPECT_THAT(stream_entries(key(stream)), ElementsAre(":earlier", ":ann", ":bob", ":cy"));
  EXPECT_THAT(strings({"LRANGE", key(list), "0", "-1"}),
              ElementsAre("cy", "bob", "ann", "earlier"));
}

TEST_F(ChangeCaptureTest, ChangedValuesAreWrittenExactlyAsPollingWritesThem) {
  // Session defaults unlike the ones Courier sets, as a database may have them: the values
  // of changes must still come out as polling reads them.
  for (const char* setting : {"TimeZone = 'Asia/Kolkata'", "DateStyle = 'SQL, DMY'",
                              "extra_float_digits = 0", "bytea_output = 'escape'",
                              "IntervalStyle = 'postgres_verbose'"}) {
    PG_ASSERT_OK(conn().execute_script("ALTER DATABASE \"" + database_ + "\" SET " + setting));
  }
  PG_ASSERT_OK(conn().execute_script(
      "CREATE TABLE typed (id int PRIMARY KEY, ts timestamptz, t timestamp, d date,"
      " n numeric, f float8, b bytea, j jsonb, a int[], iv interval, tags text[])"));
  auto typed_task = [&](const std::string& name, const std::string& key_prefix) {
    TaskConfig t;
    t.name = prefix_ + name;
    t.table = TableName{"public", "typed"};
    t.table_as_written = "typed";
    t.structure = Structure::kHash;
    t.key_template = {{{false, key_prefix}, {true, "id"}}};
    t.key_prefix = prefix_ + ":";
    t.fields = {"ts", "t", "d", "n", "f", "b", "j", "a", "iv", "tags"};
    return t;
  };
  TaskConfig wal = typed_task("_wal", "wal:");
  wal.capture = Capture::kWal;
  start({wal}, changes());
  wait_for_snapshots(1);
  PG_ASSERT_OK(conn().execute_script(
      "INSERT INTO typed VALUES"
      " (1, '2024-05-01 10:00:00.123456+00', '2024-05-01 10:00:00', '2024-05-01', 'NaN',"
      "  'Infinity', '\\x00ff', '{\"a\": [1, 2]}', '{1,2,NULL}', '1 day 02:03:04',"
      "  '{\"b c\",d}'),"
      " (2, '-infinity', '1999-12-31 23:59:59.5', 'infinity', '-12.50', 1.5e-7, '', 'null',"
      "  '{}', '-3 months', NULL)"));
  ASSERT_TRUE(poll_until(30s, [&] { return text({"EXISTS", prefix_ + ":wal:2"}) == "1"; }));

  const TaskConfig poll = typed_task("_poll", "poll:");  // outlives the runner
  TaskRunner polled(poll, *pg::ConnectionOptions::from_url(url()),
                    {.nodes = {testing::shared_redis().address()}}, {});
  const RunOutcome outcome = polled.run();
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.to_string();
  for (const char* id : {"1", "2"}) {
    auto fields = [&](const std::string& key) {
      std::vector<std::string> flat = strings({"HGETALL", key});
      std::map<std::string, std::string> out;
      for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
      return out;
    };
    const auto polled_row = fields(prefix_ + ":poll:" + id);
    EXPECT_EQ(fields(prefix_ + ":wal:" + id), polled_row) << "row " << id;
    EXPECT_GE(polled_row.size(), 9u) << "row " << id;
  }
}

}  // namespace
}  // namespace courier::pg_to_redis
