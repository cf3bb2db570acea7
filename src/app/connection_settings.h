// From the configuration file's connection sections to the options of Courier's
// Postgres and Redis clients and its HTTP server; the only place the vocabularies meet.
//
//   pg::ConnectionOptions pg = postgres_options(config.postgres);
//   redis::ClientOptions redis = redis_options(config.redis);
//   auto client = redis::make_client(redis);
//
// Thread-safety: pure functions.
#pragma once

#include "config/courier_config.h"
#include "http/server.h"
#include "pg/connection_options.h"
#include "redis/options.h"

namespace courier::app {

pg::ConnectionOptions postgres_options(const config::PostgresConfig& config);
redis::ClientOptions redis_options(const config::RedisConfig& config);
http::ServerOptions http_server_options(const config::HttpConfig& config);

}  // namespace courier::app
