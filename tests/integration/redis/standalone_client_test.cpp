#include <gtest/gtest.h>

#include "process.h"
#include "redis/client.h"
#include "redis/connection.h"
#include "redis_fixture.h"
#include "servers.h"

namespace courier::redis::test {
namespace {

using courier::testing::RedisServer;
using courier::testing::shared_redis;
using courier::testing::unique_name;

std::string numbered(const std::string& prefix, size_t i) {
  return prefix + ":" + std::to_string(i);
}

TEST(StandaloneClient, SetsAndGetsBinarySafeValues) {
  auto client = standalone_client(shared_redis());
  std::string key = unique_name("binary") + std::string("\0\r\n", 3);
  std::string value("a\0b\r\nc", 6);
  EXPECT_TRUE(has_text(client->command({"SET", key, value}), "OK"));
  EXPECT_TRUE(has_text(client->command({"GET", key}), value));
  EXPECT_TRUE(client->command({"GET", unique_name("missing")})->is_nil());
}

TEST(StandaloneClient, PipelinesOneHundredThousandCommands) {
  auto client = standalone_client(shared_redis());
  std::string prefix = unique_name("p100k");
  constexpr size_t kCount = 100000;
  std::vector<Command> sets, gets;
  for (size_t i = 0; i < kCount; ++i) {
    sets.push_back({"SET", numbered(prefix, i), "value-" + std::to_string(i)});
    gets.push_back({"GET", numbered(prefix, i)});
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
  EXPECT_EQ(client->stats().connects, 1u);
  // Two round trips of 100k commands take well under a second on loopback; one round trip
  // per command would take several.
  EXPECT_LT(elapsed, 5s);
  std::cout << "[ info ] 2 x 100000 pipelined commands in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

TEST(StandaloneClient, AnErrorReplyInAPipelineIsOnlyThatCommandsResult) {
  auto client = standalone_client(shared_redis());
  std::string key = unique_name("mixed");
  std::vector<Result<Reply>> results = client->pipeline({{"SET", key, "v"},
                                                         {"LPUSH", key, "x"},
                                                         {"GET", key},
                                                         {"NOSUCHCOMMAND", key},
                                                         {},
                                                         {"STRLEN", key}});
  ASSERT_EQ(results.size(), 6u);
  EXPECT_TRUE(has_text(results[0], "OK"));
  EXPECT_EQ(results[1].status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[1].status().detail(), "WRONGTYPE");
  EXPECT_TRUE(has_text(results[2], "v"));
  EXPECT_EQ(results[3].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(results[3].status().detail(), "ERR");
  EXPECT_EQ(results[4].status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(has_integer(results[5], 1));
}

TEST(StandaloneClient, WrongTypeIsAPermanentFailedPrecondition) {
  auto client = standalone_client(shared_redis());
  std::string key = unique_name("wrongtype");
  ASSERT_TRUE(has_text(client->command({"SET", key, "string"}), "OK"));
  Result<Reply> reply = client->command({"HSET", key, "field", "value"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reply.status().detail(), "WRONGTYPE");
  EXPECT_TRUE(reply.status().permanent());
  EXPECT_NE(reply.status().message().find("HSET on 127.0.0.1:"), std::string::npos)
      << reply.status().message();
  EXPECT_TRUE(client->ping().ok());  // the connection is still fine
}

TEST(StandaloneClient, TransactionReturnsTheExecReplies) {
  auto client = standalone_client(shared_redis());
  std::string key = unique_name("tx");
  Result<std::vector<Reply>> replies =
      client->transaction({{"SET", key, "1"}, {"INCR", key}, {"HSET", key, "f", "v"}});
  ASSERT_TRUE(replies.ok()) << replies.status().to_string();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0], Reply::from_status("OK"));
  EXPECT_EQ((*replies)[1], Reply::from_integer(2));
  EXPECT_TRUE((*replies)[2].is_error());  // a run-time error does not undo the others
  EXPECT_TRUE(has_text(client->command({"GET", key}), "2"));
}

TEST(StandaloneClient, ACommandRejectedWhileQueueingAbortsTheTransaction) {
  auto client = standalone_client(shared_redis());
  std::string key = unique_name("txabort");
  Result<std::vector<Reply>> replies = client->transaction({{"INCR", key}, {"SET", key}});
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(replies.status().message().find("command #2 (SET)"), std::string::npos)
      << replies.status().message();
  EXPECT_TRUE(client->command({"GET", key})->is_nil());
  EXPECT_TRUE(client->ping().ok());
}

TEST(StandaloneClient, GuardedTransactionRunsOnlyWhileTheGuardKeyHoldsTheExpectedValue) {
  auto client = standalone_client(shared_redis());
  std::string guard_key = unique_name("guard");
  std::string data = unique_name("guarded");
  // Absent as expected: runs, and moves the guard on.
  Result<std::vector<Reply>> first = client->guarded_transaction(
      {guard_key, std::nullopt}, {{"RPUSH", data, "a"}, {"SET", guard_key, "1"}});
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  // A writer still expecting "absent" is refused and applies nothing.
  Result<std::vector<Reply>> stale = client->guarded_transaction(
      {guard_key, std::nullopt}, {{"RPUSH", data, "b"}, {"SET", guard_key, "2"}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_NE(stale.status().message().find("holds '1', expected nothing"), std::string::npos)
      << stale.status().message();
  Result<std::vector<Reply>> current = client->guarded_transaction(
      {guard_key, "1"}, {{"RPUSH", data, "c"}, {"SET", guard_key, "3"}});
  ASSERT_TRUE(current.ok()) << current.status().to_string();
  Result<Reply> list = client->command({"LRANGE", data, "0", "-1"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->elements().size(), 2u);
  EXPECT_EQ(list->elements()[1].str(), "c");
  EXPECT_TRUE(client->ping().ok());  // the refused one left no WATCH behind
}

TEST(StandaloneClient, SelectsTheConfiguredDatabase) {
  ClientOptions options = options_for(shared_redis());
  options.connection.db = 5;
  auto db5 = standalone_client(options);
  auto db0 = standalone_client(shared_redis());
  std::string key = unique_name("db5");
  ASSERT_TRUE(has_text(db5->command({"SET", key, "in-db5"}), "OK"));
  EXPECT_TRUE(has_text(db5->command({"GET", key}), "in-db5"));
  EXPECT_TRUE(db0->command({"GET", key})->is_nil());
  EXPECT_NE(shared_redis().command({"INFO", "keyspace"}).find("db5:keys="), std::string::npos);
}

TEST(StandaloneClient, ADatabaseOutOfRangeIsAPermanentError) {
  ClientOptions options = options_for(shared_redis());
  options.connection.db = 999;
  auto client = standalone_client(options);
  Status status = client->ping();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("SELECT 999 failed"), std::string::npos) << status.message();
}

TEST(StandaloneClient, ARefusedConnectionIsUnavailableAtOnce) {
  ClientOptions options;
  options.nodes = {"127.0.0.1:" + std::to_string(courier::testing::free_loopback_port())};
  options.topology = Topology::kStandalone;
  auto client = standalone_client(options);
  auto started = Clock::now();
  Status status = client->ping();
  EXPECT_LT(Clock::now() - started, 500ms);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.detail(), "CONNECT");
  EXPECT_NE(status.message().find("cannot connect"), std::string::npos) << status.message();
  std::vector<Result<Reply>> results = client->pipeline({{"PING"}, {"PING"}});
  EXPECT_EQ(results[1].status().code(), StatusCode::kUnavailable);
}

TEST(MakeClient, DetectsAStandaloneServer) {
  Result<std::unique_ptr<Client>> client = make_client({.nodes = {shared_redis().address()}});
  ASSERT_TRUE(client.ok()) << client.status().to_string();
  EXPECT_NE(dynamic_cast<StandaloneClient*>(client->get()), nullptr);
  EXPECT_TRUE((*client)->ping().ok());
}

TEST(MakeClient, ReportsBadOptionsAndUnreachableServers) {
  EXPECT_EQ(make_client({.nodes = {"nohost:xx"}}).status().code(), StatusCode::kInvalidArgument);
  std::string dead = "127.0.0.1:" + std::to_string(courier::testing::free_loopback_port());
  Result<std::unique_ptr<Client>> client = make_client({.nodes = {dead}});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kUnavailable);
  // With the topology given, nothing is contacted until the first call.
  EXPECT_TRUE(make_client({.nodes = {dead}, .topology = Topology::kStandalone}).ok());
}

TEST(Connection, PipelinesByHandAndReportsErrorRepliesAsValues) {
  Result<Connection> connection =
      Connection::open({.host = shared_redis().host(), .port = shared_redis().port()});
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  std::string key = unique_name("conn");
  ASSERT_TRUE(connection->append({"SET", key, "1"}).ok());
  ASSERT_TRUE(connection->append({"LPUSH", key, "x"}).ok());
  ASSERT_TRUE(connection->append({"INCR", key}).ok());
  EXPECT_EQ(connection->pending(), 3u);
  ASSERT_TRUE(connection->flush().ok());
  std::vector<Result<Reply>> replies = connection->read_replies(3);
  EXPECT_TRUE(has_text(replies[0], "OK"));
  ASSERT_TRUE(replies[1].ok());
  EXPECT_TRUE(replies[1]->is_error());
  EXPECT_TRUE(has_integer(replies[2], 2));
  EXPECT_TRUE(connection->idle());
}

// ---------- authentication ----------

RedisServer& password_server() {
  static std::unique_ptr<RedisServer> server = RedisServer::start({.password = "s3cret-pw"});
  return *server;
}

ClientOptions password_options(std::string username, std::string password) {
  ClientOptions options = options_for(password_server());
  options.connection.username = std::move(username);
  options.connection.password = std::move(password);
  return options;
}

TEST(StandaloneAuth, TheRightPasswordWorks) {
  auto client = standalone_client(password_options("", "s3cret-pw"));
  EXPECT_TRUE(client->ping().ok());
  EXPECT_TRUE(has_text(client->command({"ACL", "WHOAMI"}), "default"));
}

TEST(StandaloneAuth, AWrongPasswordIsAClearPermanentError) {
  auto client = standalone_client(password_options("", "not-the-password"));
  Status status = client->ping();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);  // the setup's fault, not a record's
  EXPECT_EQ(status.detail(), "WRONGPASS");
  EXPECT_TRUE(status.permanent());
  EXPECT_NE(status.message().find("AUTH failed"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(password_server().address()), std::string::npos);
  EXPECT_EQ(status.message().find("not-the-password"), std::string::npos) << "leaks the password";
}

TEST(StandaloneAuth, NoPasswordGivesNoauth) {
  auto client = standalone_client(password_options("", ""));
  Result<Reply> reply = client->command({"GET", "x"});
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reply.status().detail(), "NOAUTH");
}

TEST(StandaloneAuth, AnAclUserWithPasswordWorks) {
  std::string user = unique_name("app_user");
  ASSERT_EQ(password_server().command({"ACL", "SETUSER", user, "on", ">user-pw", "~*", "+@all"}),
            "OK");
  auto client = standalone_client(password_options(user, "user-pw"));
  EXPECT_TRUE(has_text(client->command({"ACL", "WHOAMI"}), user));

  auto wrong = standalone_client(password_options(user, "s3cret-pw"));
  Status status = wrong->ping();
  EXPECT_EQ(status.detail(), "WRONGPASS");
  EXPECT_NE(status.message().find("as user '" + user + "'"), std::string::npos) << status.message();
}

// ---------- outages ----------

ClientOptions short_timeouts(const RedisServer& server, std::chrono::milliseconds timeout) {
  ClientOptions options = options_for(server);
  options.connection.connect_timeout = timeout;
  options.connection.socket_timeout = timeout;
  return options;
}

TEST(StandaloneOutage, CallsFailFastWhileTheServerIsDownAndWorkAgainAfterRestart) {
  auto server = RedisServer::start();
  constexpr auto kTimeout = 500ms;
  auto client = standalone_client(short_timeouts(*server, kTimeout));
  std::string key = unique_name("outage");
  ASSERT_TRUE(has_text(client->command({"SET", key, "before"}), "OK"));

  server->kill9();
  // The first call finds the old connection dead (a large write may also meet a reset
  // peer: SIGPIPE must not kill us); later calls find the port closed.
  std::vector<Command> big(5000, Command{"SET", key, std::string(100, 'x')});
  for (const Result<Reply>& result : client->pipeline(big)) {
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().to_string();
  }
  for (int call = 0; call < 3; ++call) {
    auto started = Clock::now();
    Result<Reply> reply = client->command({"GET", key});
    auto elapsed = Clock::now() - started;
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable) << reply.status().to_string();
    EXPECT_TRUE(reply.status().retryable());
    EXPECT_LT(elapsed, kTimeout + 200ms);
  }

  server->restart();
  ASSERT_TRUE(server->wait_ready());
  EXPECT_TRUE(has_text(client->command({"SET", key, "after"}), "OK"));
  EXPECT_TRUE(has_text(client->command({"GET", key}), "after"));
  EXPECT_EQ(client->stats().connects, 2u);
  EXPECT_GE(client->stats().connection_failures, 4u);
}

TEST(StandaloneOutage, AServerThatStopsAnsweringTimesOut) {
  auto server = RedisServer::start();
  constexpr auto kTimeout = 300ms;
  auto client = standalone_client(short_timeouts(*server, kTimeout));
  ASSERT_TRUE(client->ping().ok());

  server->command({"CLIENT", "PAUSE", "1500", "ALL"});  // holds every command for 1.5 s
  auto started = Clock::now();
  Result<Reply> reply = client->command({"GET", unique_name("paused")});
  auto elapsed = Clock::now() - started;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().detail(), "TIMEOUT") << reply.status().to_string();
  EXPECT_GE(elapsed, kTimeout - 50ms);
  EXPECT_LT(elapsed, kTimeout + 500ms);

  EXPECT_TRUE(poll_until(10s, [&] { return client->ping().ok(); }));
}

}  // namespace
}  // namespace courier::redis::test
