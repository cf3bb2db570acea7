// The seed library's headline use, on real servers: an outbox table in Postgres drained
// into a Redis stream by sync_with_retry, while Redis is killed and restarted mid-run.
// Every row must arrive, and a row is marked sent only once it did.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "courier/sync.h"
#include "pg/connection.h"
#include "poll_until.h"
#include "redis/client.h"
#include "servers.h"

namespace courier {
namespace {

using namespace std::chrono_literals;
using testing::PostgresServer;
using testing::RedisServer;

struct OutboxRow {
  std::string id;
  std::string body;
};

std::unique_ptr<pg::Connection> connect(const PostgresServer& server, const std::string& db) {
  auto options = pg::ConnectionOptions::from_url(server.url(db));
  auto connection = pg::Connection::open(*options);
  EXPECT_TRUE(connection.ok()) << connection.status().to_string();
  return std::move(connection).value();
}

int64_t unsent_rows(pg::Connection& connection) {
  auto result = connection.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
  return result.ok() ? std::stoll(std::string(*result->row(0).get(0))) : -1;
}

TEST(Outbox, EveryRowReachesTheStreamWhileRedisIsKilledAndRestarted) {
  constexpr int kRows = 3000;
  PostgresServer& postgres = testing::shared_postgres();
  std::string db = postgres.create_database("outbox");
  auto setup = connect(postgres, db);
  ASSERT_TRUE(setup
                  ->execute_script(
                      "CREATE TABLE outbox (id bigint PRIMARY KEY, body text NOT NULL, "
                      "sent_at timestamptz);"
                      "INSERT INTO outbox SELECT n, 'event ' || n, NULL "
                      "FROM generate_series(1, 3000) AS n")
                  .ok());
  // AOF with fsync on every write: what Redis acknowledged survives its kill -9.
  auto redis_server = RedisServer::start({.append_only = true});
  redis::ClientOptions redis_options;
  redis_options.nodes = {redis_server->address()};
  redis_options.topology = redis::Topology::kStandalone;
  redis_options.connection.socket_timeout = 1s;
  auto redis_client = redis::make_client(redis_options);
  ASSERT_TRUE(redis_client.ok()) << redis_client.status().to_string();
  const std::string stream = testing::unique_name("outbox_events");

  auto worker_db = connect(postgres, db);
  std::atomic<int> publish_failures{0};
  PollingOptions options;
  options.interval = 10ms;
  options.batch_size = 100;
  auto outbox = sync_with_retry<OutboxRow>(
      [&](size_t max) -> Result<std::vector<OutboxRow>> {
        auto rows = worker_db->execute(
            "SELECT id, body FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            {std::to_string(max)});
        if (!rows.ok()) return rows.status();
        std::vector<OutboxRow> batch;
        for (const auto& row : *rows) batch.push_back({std::string(*row.get(0)), std::string(*row.get(1))});
        return batch;
      },
      [&](const OutboxRow& row) {
        auto added = (*redis_client)->command({"XADD", stream, "*", "id", row.id, "body", row.body});
        if (!added.ok()) ++publish_failures;
        return added.ok() ? Status::Ok() : added.status();
      },
      [&](std::span<const OutboxRow> rows) {
        std::string ids = "{";
        for (const OutboxRow& row : rows) {
          if (ids.size() > 1) ids += ',';
          ids += row.id;
        }
        ids += '}';
        auto marked = worker_db->execute(
            "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", {ids});
        return marked.ok() ? Status::Ok() : marked.status();
      },
      /*attempts=*/0, options);
  ASSERT_TRUE(outbox->start().ok());

  // Kill Redis once part of the outbox went out, and bring it back once publishing failed.
  ASSERT_TRUE(testing::poll_until(60s, [&] { return unsent_rows(*setup) <= kRows - 500; }));
  redis_server->kill9();
  ASSERT_TRUE(testing::poll_until(30s, [&] { return publish_failures.load() > 0; }))
      << "publishing never noticed that Redis was gone";
  int64_t unsent_while_down = unsent_rows(*setup);
  EXPECT_GT(unsent_while_down, 0);
  redis_server->restart();

  ASSERT_TRUE(testing::poll_until(120s, [&] { return unsent_rows(*setup) == 0; }))
      << unsent_rows(*setup) << " rows never went out";
  outbox->stop();

  // Every id is in the stream (at least once: a write applied just before the kill whose
  // reply was lost is sent again, and that is the promise, not a defect).
  std::set<std::string> delivered;
  auto entries = (*redis_client)->command({"XRANGE", stream, "-", "+"});
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  for (const auto& entry : entries->elements()) delivered.insert(entry[1][1].str());
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kRows));
  EXPECT_LE(entries->size(), static_cast<size_t>(kRows) + 10) << "more duplicates than retries";
  EXPECT_GT(publish_failures.load(), 0);
}

}  // namespace
}  // namespace courier
