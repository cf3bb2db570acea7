// Every pipeline of the `courier` binary over TLS to both stores: table sync with
// `capture: wal` (snapshot and replication connections to Postgres with sslmode=verify-full
// and a client certificate, Redis over rediss://) and stream ingest (Postgres verify-full
// named in the url, Redis over rediss://). Postgres itself reports each of courier's
// connections as TLS. The query API likewise. A wrong CA stops `validate --check-db` with
// the cause.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>

#include "courier_process.h"
#include "pg/connection.h"

namespace courier::testing {
namespace {

class TlsCliTest : public ::testing::Test {
 protected:
  // `client_certificates`: Postgres admits TLS connections with a client certificate only.
  void start_servers(bool client_certificates) {
    pg_ = PostgresServer::start({.tls = true, .tls_client_certificates = client_certificates});
    redis_ = RedisServer::start({.tls = true});
    db_ = pg_->create_database("tls_cli");
    prefix_ = unique_name("tls");
    dir_ = make_temp_dir("tls_cli");
  }
  void TearDown() override {
    if (courier_.running()) courier_.signal_and_wait(SIGTERM, 20s);
    remove_tree(dir_);
  }

  // One statement on the harness's own plain connection, independent of the TLS path under
  // test; the first cell of its result, if any.
  std::string sql(const std::string& statement) {
    auto options = pg::ConnectionOptions::from_url(pg_->url(db_) + "?sslmode=disable");
    EXPECT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    EXPECT_TRUE(conn.ok()) << conn.status().to_string();
    if (!conn.ok()) return "<no connection>";
    auto rows = (*conn)->execute(statement);
    EXPECT_TRUE(rows.ok()) << statement << ": " << rows.status().to_string();
    if (!rows.ok() || rows->row_count() == 0) return "";
    return std::string(rows->get(0, 0).value_or("NULL"));
  }

  // Courier's connections to the database as "<backend type>:<ssl>", sorted and distinct.
  std::string courier_connections() {
    return sql(
        "SELECT string_agg(DISTINCT a.backend_type || ':' || s.ssl, ',' ORDER BY "
        "a.backend_type || ':' || s.ssl) FROM pg_stat_activity a "
        "JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'courier' AND a.pid <> "
        "pg_backend_pid()");
  }

  std::string redis_yaml() const {
    return "redis:\n  url: rediss://" + redis_->tls_address() +
           "\n  tls:\n    ca_file: " + test_certificates().ca_file + "\n";
  }

  std::string write_config(const std::string& yaml, int http_port = 0) {
    const std::string path = dir_ + "/courier.yaml";
    std::ofstream(path) << yaml << "http:\n  listen: 127.0.0.1:" << http_port << "\n";
    return path;
  }
  std::string postgres_verify_full_yaml() const {
    return "postgres:\n  url: postgresql://postgres@127.0.0.1:" + std::to_string(pg_->port()) +
           "/" + db_ + "?sslmode=verify-full&sslrootcert=" + test_certificates().ca_file + "\n";
  }
  void run(const std::string& config_path) {
    courier_.spawn(
        {.argv = {COURIER_BINARY, "run", "-c", config_path}, .log_path = dir_ + "/courier.log"});
  }
  std::string log() const { return tail_of_file(dir_ + "/courier.log", 4000); }

  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<RedisServer> redis_;
  std::string db_;
  std::string prefix_;
  std::string dir_;
  ChildProcess courier_;
};

TEST_F(TlsCliTest, WalTableSyncOverVerifyFullWithAClientCertificateAndRediss) {
  start_servers(/*client_certificates=*/true);
  sql("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)");
  sql("INSERT INTO accounts SELECT g, g FROM generate_series(1, 100) g");
  ASSERT_FALSE(HasFailure());
  const TestCertificates& certificates = test_certificates();
  const std::string slot = "s_" + prefix_;
  run(write_config(
      "postgres:\n  host: 127.0.0.1\n  port: " + std::to_string(pg_->port()) +
      "\n  user: postgres\n  dbname: " + db_ + "\n  sslmode: verify-full\n  sslrootcert: " +
      certificates.ca_file + "\n  sslcert: " + certificates.client_cert_file +
      "\n  sslkey: " + certificates.private_client_key_file + "\n" + redis_yaml() +
      "tasks:\n  - name: accounts\n    table: accounts\n    structure: hash\n    key: \"" +
      prefix_ + ":acct:{id}\"\n    fields: [balance]\n    capture: wal\n" +
      "changes:\n  slot: " + slot + "\n  publication: " + slot + "\n  status_interval: 200ms\n"));
  // The snapshot, then a change that only the replication stream can carry.
  ASSERT_TRUE(poll_until(60s, [&] {
    return redis_->command({"HGET", prefix_ + ":acct:100", "balance"}) == "100";
  })) << log();
  sql("UPDATE accounts SET balance = -7 WHERE id = 42");
  ASSERT_TRUE(poll_until(30s, [&] {
    return redis_->command({"HGET", prefix_ + ":acct:42", "balance"}) == "-7";
  })) << log();
  EXPECT_EQ(courier_connections(), "client backend:true,walsender:true") << log();
  EXPECT_EQ(sql("SELECT DISTINCT s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a "
                "USING (pid) WHERE a.backend_type = 'walsender'"),
            "/CN=courier-test-client");
  EXPECT_EQ(exit_code_after(courier_, SIGTERM), 0) << log();
}

TEST_F(TlsCliTest, StreamIngestOverVerifyFullInTheUrlAndRediss) {
  start_servers(/*client_certificates=*/false);
  sql("CREATE TABLE events (id bigint PRIMARY KEY)");
  const std::string stream = prefix_ + ":events";
  redis_->command({"XGROUP", "CREATE", stream, "courier", "$", "MKSTREAM"});
  run(write_config(postgres_verify_full_yaml() + redis_yaml() + "streams:\n  streams: [" + stream +
                   "]\n  group: courier\n  workers: 1\n  batch_timeout: 100ms\n"
                   "  mappings:\n    - table: events\n      key: [id]\n"
                   "      columns:\n        - {column: id, path: id, type: bigint}\n"));
  for (int id = 1; id <= 50; ++id)
    redis_->command({"XADD", stream, "*", "data", "{\"id\":" + std::to_string(id) + "}"});
  ASSERT_TRUE(poll_until(30s, [&] { return sql("SELECT count(*) FROM events") == "50"; })) << log();
  EXPECT_EQ(courier_connections(), "client backend:true") << log();
  EXPECT_EQ(exit_code_after(courier_, SIGTERM), 0) << log();
}

// The query API reads Postgres and fills its cache in Redis, both over TLS.
TEST_F(TlsCliTest, QueryApiOverVerifyFullAndRediss) {
  start_servers(/*client_certificates=*/false);
  const int http_port = free_loopback_port();
  const std::string config =
      write_config(postgres_verify_full_yaml() + redis_yaml() + "api: {}\n", http_port);
  run(config);
  httplib::Client client("127.0.0.1", http_port);
  client.set_read_timeout(10, 0);
  ASSERT_TRUE(poll_until(30s, [&] {
    auto health = client.Get("/health");
    return health && health->status == 200;
  })) << log();
  CommandOutput datagen = run_command({COURIER_BINARY, "datagen", "-c", config, "--users", "20",
                                       "--posts", "200", "--follows", "100", "--seed", "3"},
                                      "", 120s);
  ASSERT_EQ(datagen.exit_code, 0) << datagen.output;
  const std::string cached_before = redis_->command({"DBSIZE"});
  for (int user = 1; user <= 20; ++user) {
    auto feed = client.Get(("/api/v1/users/" + std::to_string(user) + "/feed?limit=5").c_str());
    ASSERT_TRUE(feed) << log();
    ASSERT_EQ(feed->status, 200) << feed->body;
  }
  // Filled off the request path: soon after the answers, not with them.
  EXPECT_TRUE(poll_until(10s, [&] { return redis_->command({"DBSIZE"}) != cached_before; }))
      << "the feeds filled the cache: " << log();
  EXPECT_EQ(courier_connections(), "client backend:true") << log();
  EXPECT_EQ(exit_code_after(courier_, SIGTERM), 0) << log();
}

TEST_F(TlsCliTest, AWrongCaStopsTheDatabaseCheckWithTheCause) {
  start_servers(/*client_certificates=*/false);
  sql("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)");
  const std::string config = write_config(
      "postgres:\n  host: 127.0.0.1\n  port: " + std::to_string(pg_->port()) +
      "\n  user: postgres\n  dbname: " + db_ + "\n  sslmode: verify-full\n  sslrootcert: " +
      test_certificates().other_ca_file + "\n" + redis_yaml() +
      "tasks:\n  - name: accounts\n    table: accounts\n    structure: hash\n    key: \"" +
      prefix_ + ":acct:{id}\"\n    fields: [balance]\n    schedule: \"@every 1m\"\n");
  CommandOutput output = run_command({COURIER_BINARY, "validate", "--check-db", "-c", config});
  EXPECT_NE(output.exit_code, 0) << output.output;
  EXPECT_NE(output.output.find("cannot connect to postgresql://postgres@127.0.0.1:"),
            std::string::npos)
      << output.output;
  EXPECT_NE(output.output.find("certificate verify failed"), std::string::npos) << output.output;
  EXPECT_NE(output.output.find("check sslrootcert"), std::string::npos) << output.output;
}

}  // namespace
}  // namespace courier::testing
