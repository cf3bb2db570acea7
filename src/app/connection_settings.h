// From the configuration file's connection sections to the options of Courier's
// Postgres and Redis clients and its HTTP server; the only place the vocabularies meet.
//
//   pg::ConnectionOptions pg = postgres_options(config.postgres);
//   redis::ClientOptions redis = redis_options(config.redis);
//   auto client = redis::make_client(redis);
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "config/courier_config.h"
#include "http/server.h"
#include "pg/connection_options.h"
#include "redis/options.h"

namespace courier::app {

pg::ConnectionOptions postgres_options(const config::PostgresConfig& config);
redis::ClientOptions redis_options(const config::RedisConfig& config);
http::ServerOptions http_server_options(const config::HttpConfig& config);

// "Redis 127.0.0.1:6379", "Redis cluster a:1,b:2" and "Postgres 127.0.0.1:5432/app": the
// servers as the commands' messages name them, never with credentials.
std::string describe_redis(const redis::ClientOptions& options);
std::string describe_postgres(const pg::ConnectionOptions& options);

}  // namespace courier::app
