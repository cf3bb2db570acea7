// bench/change_capture: how fast Courier reads a logical replication slot — the stream,
// pgoutput decoding and rows shaped like query results (WalChangeSource) — beside
// pg_recvlogical reading the same WAL from a slot of the same kind into /dev/null, the
// decode limit of the server (shared CDC-NOTES.md). Writes to Redis are not part of it
// yet: this is the ceiling the change-capture pipeline will be measured against.
//
//   build-release/bench/change_capture [--quick]   (--quick: 100 000 rows)
//
// Prints, last:
//   change_capture scenario=decode rows=1000000 transactions=1000 courier=…/s
//     raw_recvlogical=…/s ratio=… peak_rss=…MB
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "pg/connection.h"
#include "pg_to_redis/wal_change_source.h"
#include "raw_limits.h"

namespace {

using namespace courier;
using Clock = std::chrono::steady_clock;

constexpr int64_t kRowsPerTransaction = 1000;

std::unique_ptr<pg::Connection> connect(const testing::PostgresServer& postgres,
                                        const std::string& db) {
  auto conn = pg::Connection::open(*pg::ConnectionOptions::from_url(postgres.url(db)));
  if (!conn.ok()) throw std::runtime_error(conn.status().to_string());
  return std::move(*conn);
}

void must(const Status& status, std::string_view what) {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.to_string());
}

// Rows of the orders shape, kRowsPerTransaction per transaction; returns the WAL end.
std::string write_load(pg::Connection& conn, int64_t rows) {
  for (int64_t first = 1; first <= rows; first += kRowsPerTransaction) {
    must(conn.execute(fmt::format(
                          "INSERT INTO orders SELECT g, (ARRAY['new','paid','shipped'])[1 + g % 3],"
                          " g * 0.25, '2024-01-01'::timestamptz + g * interval '1 second'"
                          " FROM generate_series({}, {}) g",
                          first, std::min(rows, first + kRowsPerTransaction - 1)))
             .status(),
         "insert");
  }
  auto end = conn.execute("SELECT pg_current_wal_lsn()::text");
  must(end.status(), "wal end");
  return std::string(end->get(0, 0).value_or("0/0"));
}

double recvlogical_rate(const testing::PostgresServer& postgres, const std::string& db,
                        const std::string& slot, const std::string& end_lsn, int64_t rows) {
  const auto start = Clock::now();
  testing::CommandOutput out = testing::run_command(
      {testing::postgres_binary("pg_recvlogical"), "-d", postgres.url(db), "--slot", slot,
       "--start", "--no-loop", "--endpos", end_lsn, "-o", "proto_version=1", "-o",
       "publication_names=bench", "-f", "/dev/null"});
  if (out.exit_code != 0) throw std::runtime_error("pg_recvlogical: " + out.output);
  return static_cast<double>(rows) / std::chrono::duration<double>(Clock::now() - start).count();
}

double courier_rate(const testing::PostgresServer& postgres, const std::string& db,
                    const std::string& slot, int64_t rows) {
  pg_to_redis::WalChangeSource source(*pg::ConnectionOptions::from_url(postgres.url(db)),
                                      {.slot = slot, .publications = {"bench"}});
  const auto start = Clock::now();
  int64_t inserts = 0;
  while (inserts < rows) {
    auto batch = source.receive(1000, std::chrono::seconds(5), {});
    must(batch.status(), "receive");
    if (batch->empty()) throw std::runtime_error("no changes within 5 s");
    for (const pg::RowChange& change : *batch)
      inserts += change.kind == pg::RowChange::Kind::kInsert;
    must(source.ack(*batch), "ack");
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int64_t rows = quick ? 100'000 : 1'000'000;

  auto postgres = testing::PostgresServer::start();  // wal_level=logical, fsync off
  const std::string db = postgres->create_database("change_capture");
  auto conn = connect(*postgres, db);
  must(conn->execute_script(
           "CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
           " amount numeric(12,2), updated_at timestamptz NOT NULL);"
           "CREATE PUBLICATION bench FOR TABLE orders;"),
       "set-up");
  // A slot cannot be created in a transaction that wrote: one statement each.
  for (const char* slot : {"bench_raw", "bench_courier"})
    must(conn->execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {slot})
             .status(),
         "slot");
  const std::string end_lsn = write_load(*conn, rows);

  const double raw = recvlogical_rate(*postgres, db, "bench_raw", end_lsn, rows);
  const double courier = courier_rate(*postgres, db, "bench_courier", rows);
  for (const char* slot : {"bench_raw", "bench_courier"})
    must(conn->execute("SELECT pg_drop_replication_slot($1)", {slot}).status(), "drop slot");
  fmt::print(
      "change_capture scenario=decode rows={} transactions={} courier={:.0f}/s "
      "raw_recvlogical={:.0f}/s ratio={:.2f} peak_rss={:.0f}MB fsync=off\n",
      rows, rows / kRowsPerTransaction, courier, raw, courier / raw, bench::peak_rss_mb_self());
  return 0;
}
