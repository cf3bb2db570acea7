#include "app/dependency_checks.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace courier::app {
namespace {

// A health endpoint must answer quickly even when a store hangs: probes never wait
// longer than this to connect, whatever the pipelines are configured to tolerate.
constexpr std::chrono::seconds kProbeConnectTimeout{2};
// The same for a reply once connected: a hung server (SIGSTOP) accepts and never answers.
constexpr std::chrono::milliseconds kProbeReplyTimeout{2'000};

// /health may be public: it says which store failed, never where it is or who logs in
// (the error, with host and user, goes to the log).
http::HealthReport report(prometheus::Gauge& up, const Status& status, std::string_view store,
                          std::string ok_detail) {
  up.Set(status.ok() ? 1 : 0);
  if (status.ok()) return {true, std::move(ok_detail)};
  spdlog::warn("health: {} probe failed: {}", store, status.to_string());
  return {false, std::string(store) + " unavailable (details in the log)"};
}

}  // namespace

prometheus::Family<prometheus::Gauge>& dependency_up_family(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("courier_dependency_up")
      .Help("1 when the last health probe reached the dependency, else 0")
      .Register(registry);
}

PostgresCheck::PostgresCheck(pg::ConnectionOptions options, prometheus::Gauge& up)
    : options_(std::move(options)), up_(up) {
  options_.connect_timeout = std::min(options_.connect_timeout, kProbeConnectTimeout);
  options_.statement_timeout = kProbeReplyTimeout / 2;  // SELECT 1 + grace: 2 s at most
  options_.reply_grace = kProbeReplyTimeout / 2;
}

http::HealthReport PostgresCheck::probe() {
  std::lock_guard lock(mutex_);
  if (!connection_) {
    auto opened = pg::Connection::open(options_);
    if (!opened.ok()) return report(up_, opened.status(), "postgres", "");
    connection_ = std::move(opened).value();
  }
  auto result = connection_->execute("SELECT 1");
  if (!result.ok()) {
    connection_.reset();  // reconnect on the next probe
    return report(up_, result.status(), "postgres", "");
  }
  return report(up_, Status::Ok(), "postgres", "select 1 ok");
}

RedisCheck::RedisCheck(redis::ClientOptions options, prometheus::Gauge& up)
    : options_(std::move(options)), up_(up) {
  auto& timeout = options_.connection.connect_timeout;
  timeout = std::min<std::chrono::milliseconds>(timeout, kProbeConnectTimeout);
  auto& reply_timeout = options_.connection.socket_timeout;
  reply_timeout =
      reply_timeout.count() == 0 ? kProbeReplyTimeout : std::min(reply_timeout, kProbeReplyTimeout);
}

http::HealthReport RedisCheck::probe() {
  std::lock_guard lock(mutex_);
  if (!client_) {
    auto made = redis::make_client(options_);
    if (!made.ok()) return report(up_, made.status(), "redis", "");
    client_ = std::move(made).value();
  }
  return report(up_, client_->ping(), "redis", "ping ok");
}

void DependencyChecks::attach(http::HttpServer& server) {
  auto& up = dependency_up_family(server.metrics());
  postgres_check_ =
      std::make_shared<PostgresCheck>(postgres_, up.Add({{"dependency", "postgres"}}));
  redis_check_ = std::make_shared<RedisCheck>(redis_, up.Add({{"dependency", "redis"}}));
  server.health().add("postgres", [check = postgres_check_] { return check->probe(); });
  server.health().add("redis", [check = redis_check_] { return check->probe(); });
}

}  // namespace courier::app
