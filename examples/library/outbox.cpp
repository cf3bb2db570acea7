// Outbox: rows of a Postgres table `outbox` (id bigint, topic text, body text, sent_at
// timestamptz) published to Redis streams `outbox:<topic>`, with retries and backoff.
// The application writes an outbox row in the same transaction as its business change;
// this program delivers it. A row is marked sent only after its XADD succeeded, so a
// crash or a Redis outage delays delivery but never loses a row (at-least-once: a crash
// between XADD and the mark publishes that row again, under the same outbox id).
//
//   ./outbox "postgresql://app@127.0.0.1/shop" 127.0.0.1 6379           poll every second
//   ./outbox "postgresql://app@127.0.0.1/shop" 127.0.0.1 6379 --once    drain once and exit
//
// The library does not care which clients do the work: here they are plain libpq and
// hiredis, inside the three functions of courier::sync_with_retry.
#include <courier/sync.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

struct OutboxRow {
  std::string id;
  std::string topic;
  std::string body;
};

courier::Status unavailable(const std::string& what) {
  return courier::Status(courier::StatusCode::kUnavailable, what);
}

class Outbox {
 public:
  Outbox(const char* postgres_url, const char* redis_host, int redis_port)
      : pg_(PQconnectdb(postgres_url), &PQfinish), redis_host_(redis_host), redis_port_(redis_port) {}

  bool connected() const { return PQstatus(pg_.get()) == CONNECTION_OK; }

  courier::Result<std::vector<OutboxRow>> fetch(size_t max) {
    std::string limit = std::to_string(max);
    const char* params[] = {limit.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(pg_.get(),
                     "SELECT id, topic, body FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                     1, nullptr, params, nullptr, nullptr, 0),
        &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      PQreset(pg_.get());  // try again next poll on a fresh connection
      return unavailable(std::string("fetch: ") + PQerrorMessage(pg_.get()));
    }
    std::vector<OutboxRow> rows;
    for (int i = 0; i < PQntuples(result.get()); ++i)
      rows.push_back({PQgetvalue(result.get(), i, 0), PQgetvalue(result.get(), i, 1),
                      PQgetvalue(result.get(), i, 2)});
    return rows;
  }

  // A retryable status on any I/O problem: sync_with_retry backs off and tries again.
  courier::Status publish(const OutboxRow& row) {
    if (!redis_ && !connect_redis()) return unavailable("redis: cannot connect");
    std::string stream = "outbox:" + row.topic;
    const char* argv[] = {"XADD", stream.c_str(), "*", "outbox_id", row.id.c_str(), "body",
                          row.body.c_str()};
    size_t lengths[] = {4, stream.size(), 1, 9, row.id.size(), 4, row.body.size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(redis_.get(), 7, argv, lengths));
    if (reply == nullptr) {
      redis_.reset();  // reconnect on the next try
      return unavailable("redis: connection lost");
    }
    bool ok = reply->type != REDIS_REPLY_ERROR;
    std::string error = ok ? "" : std::string(reply->str, reply->len);
    freeReplyObject(reply);
    if (!ok) return courier::Status(courier::StatusCode::kFailedPrecondition, "redis: " + error);
    return courier::Status::Ok();
  }

  courier::Status mark_sent(std::span<const OutboxRow> rows) {
    std::string ids = "{";
    for (const OutboxRow& row : rows) {
      if (ids.size() > 1) ids += ',';
      ids += row.id;
    }
    ids += "}";
    const char* params[] = {ids.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(pg_.get(), "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                     1, nullptr, params, nullptr, nullptr, 0),
        &PQclear);
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) return courier::Status::Ok();
    PQreset(pg_.get());
    return unavailable(std::string("mark: ") + PQerrorMessage(pg_.get()));
  }

 private:
  bool connect_redis() {
    redis_.reset(redisConnectWithTimeout(redis_host_.c_str(), redis_port_, timeval{1, 0}));
    if (redis_ && redis_->err == 0) {
      redisSetTimeout(redis_.get(), timeval{2, 0});
      return true;
    }
    redis_.reset();
    return false;
  }

  std::unique_ptr<PGconn, decltype(&PQfinish)> pg_;
  std::unique_ptr<redisContext, decltype(&redisFree)> redis_{nullptr, &redisFree};
  std::string redis_host_;
  int redis_port_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s POSTGRES_URL REDIS_HOST REDIS_PORT [--once]\n", argv[0]);
    return 2;
  }
  Outbox outbox(argv[1], argv[2], std::atoi(argv[3]));
  if (!outbox.connected()) {
    std::fprintf(stderr, "outbox: cannot connect to Postgres\n");
    return 1;
  }
  courier::PollingOptions options;
  options.interval = std::chrono::seconds(1);
  auto coordinator = courier::sync_with_retry<OutboxRow>(
      [&](size_t max) { return outbox.fetch(max); },
      [&](const OutboxRow& row) { return outbox.publish(row); },
      [&](std::span<const OutboxRow> rows) { return outbox.mark_sent(rows); }, 5, options);

  if (argc > 4 && std::string(argv[4]) == "--once") {
    courier::Result<courier::RunResult> run = coordinator->run_once();
    if (!run.ok()) return 1;
    std::printf("published=%zu failed=%zu\n", run->synced, run->failed);
    return run->status().ok() ? 0 : 1;
  }

  // Poll until Ctrl-C or SIGTERM; stop() lets the batch in flight finish and be marked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (courier::Status started = coordinator->start(); !started.ok()) return 1;
  int received = 0;
  sigwait(&signals, &received);
  coordinator->stop();
  return 0;
}
