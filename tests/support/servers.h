// Test harness: throw-away PostgreSQL 15, redis-server and Redis Cluster (3 masters +
// 3 replicas) on free loopback ports, which a test can stop, kill -9 and restart.
//
//   auto pg = courier::testing::PostgresServer::start();
//   std::string db = pg->create_database("copy_test");   // isolation: own database
//   pg->kill9(); /* ...client sees errors... */ pg->restart();
//   pg->pause(); /* ...a hung server: connections stay open, nothing answers... */ pg->resume();
//
// Servers run as child processes of the test binary; they die with it (parent-death
// signal) even when a test crashes, and their data directories are removed when the
// server object is destroyed. Postgres refuses to run as root, so when the tests run as
// root it is started as the `postgres` system user.
//
// Thread-safety: a server object is driven by one test thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "process.h"

namespace courier::testing {

using namespace std::chrono_literals;

// A name unique in this machine for this run: "<prefix>_<pid>_<n>". Use it for databases,
// tables and Redis key namespaces so tests never see each other's data.
std::string unique_name(std::string_view prefix);

// A PostgreSQL 15 program (postgres, initdb, pg_recvlogical, …): from $COURIER_PG_BINDIR,
// Debian's /usr/lib/postgresql/15/bin, or else the PATH.
std::string postgres_binary(const std::string& name);

class PostgresServer {
 public:
  struct Options {
    bool logical_replication = true;  // wal_level=logical, for change capture tests
    // ssl=on with test_certificates() (server certificate for 127.0.0.1 and localhost,
    // ssl_ca_file the test CA); plain connections stay allowed, for the harness's set-up.
    bool tls = false;
    bool tls_expired_certificate = false;  // with tls: serve the expired server certificate
    // With tls: TLS connections over TCP must log in with a client certificate the test CA
    // signed (`cert` auth; test_certificates().client_cert_file maps to user postgres).
    // Plain TCP and the Unix socket stay trusted, for the harness's set-up.
    bool tls_client_certificates = false;
  };

  // initdb into a temporary directory and start; throws std::runtime_error on failure.
  static std::unique_ptr<PostgresServer> start(Options options);
  static std::unique_ptr<PostgresServer> start() { return start(Options{}); }
  ~PostgresServer();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/DBNAME (trust auth: no password needed)
  std::string url(std::string_view dbname = "postgres") const;
  // Creates a fresh empty database named unique_name(prefix) and returns its name.
  std::string create_database(std::string_view prefix);

  void stop();     // fast shutdown (SIGINT), waits for exit
  void kill9();    // SIGKILL the postmaster, as a crash would
  void restart();  // start again on the same port and data; waits until it accepts
  // SIGSTOP the postmaster and every backend (a hung server: the kernel still accepts
  // connections and data, nothing answers); resume() continues them. A paused server is
  // resumed before it is stopped or destroyed.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  bool running() const;
  pid_t pid() const { return process_.pid(); }  // the server process (the postmaster)
  // Polls until a connection succeeds or the deadline passes.
  bool wait_ready(std::chrono::milliseconds deadline = 30s) const;

 private:
  PostgresServer() = default;
  void launch();
  // Copies the TLS files into dir_ (a key must be private to the server's user) and writes
  // the pg_hba.conf and pg_ident.conf of tls_client_certificates; returns the -c settings.
  std::vector<std::string> tls_settings() const;
  Options options_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string dir_;  // temporary directory holding data/ and the socket
  ChildProcess process_;
  bool paused_ = false;
};

// Throw-away certificates, made once per test binary by the openssl command: a CA, a
// server certificate for 127.0.0.1 and localhost signed by it, the same expired, a client
// certificate signed by it, and a second CA that signed nothing here. Paths of PEM files.
struct TestCertificates {
  std::string ca_file;
  std::string server_cert_file;
  std::string server_key_file;
  std::string expired_server_cert_file;  // same key as server_cert_file; expired yesterday
  std::string client_cert_file;
  std::string client_key_file;
  std::string private_client_key_file;  // the same key, mode 0600: libpq refuses one others read
  std::string other_ca_file;            // trusts none of the above
};
const TestCertificates& test_certificates();

class RedisServer {
 public:
  struct Options {
    bool append_only = false;   // AOF persistence (fsync every write) when a test asks
    bool cluster_node = false;  // cluster-enabled yes (used by RedisCluster)
    std::string password;       // requirepass, when non-empty
    // TLS on tls_port() with test_certificates(); the plain port() stays open for the
    // harness's own set-up and checks (hiredis 0.14 has no TLS). A cluster node also talks
    // TLS on its bus and to its replicas, and announces its TLS port to TLS clients.
    bool tls = false;
    bool tls_expired_certificate = false;  // serve the expired server certificate
    bool tls_auth_clients = false;         // require a client certificate signed by the CA
  };

  static std::unique_ptr<RedisServer> start(Options options);
  static std::unique_ptr<RedisServer> start() { return start(Options{}); }
  ~RedisServer();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string url() const;                    // redis://127.0.0.1:PORT
  std::string address() const;                // 127.0.0.1:PORT
  int tls_port() const { return tls_port_; }  // 0 unless Options::tls
  std::string tls_address() const;            // 127.0.0.1:TLS_PORT

  void stop();
  void kill9();
  void restart();
  // SIGSTOP / SIGCONT the server process: a hung server that still accepts connections.
  // A paused server is resumed before it is stopped or destroyed.
  void pause();
  void resume();
  bool paused() const { return paused_; }
  bool running() const;
  pid_t pid() const { return process_.pid(); }
  bool wait_ready(std::chrono::milliseconds deadline = 30s) const;
  // Runs one command with redis-cli semantics and returns its reply as text (for test
  // set-up and checks, independent of the client under test). Throws on I/O failure.
  std::string command(const std::vector<std::string>& args) const;

 private:
  RedisServer() = default;
  void launch();
  Options options_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  int tls_port_ = 0;
  std::string dir_;
  ChildProcess process_;
  bool paused_ = false;
};

class RedisCluster {
 public:
  struct Options {
    bool tls = false;  // every node with RedisServer::Options::tls (tls-cluster yes)
  };
  // Six nodes, `redis-cli --cluster create ... --cluster-replicas 1`, waits until every
  // node reports cluster_state:ok. cluster-node-timeout is short so failover is quick.
  static std::unique_ptr<RedisCluster> start(Options options);
  static std::unique_ptr<RedisCluster> start() { return start(Options{}); }
  ~RedisCluster();

  size_t size() const { return nodes_.size(); }
  RedisServer& node(size_t i) { return *nodes_.at(i); }  // node(i).pause() hangs one node
  // Nodes that are masters right now (asks the cluster; changes after a failover).
  std::vector<RedisServer*> masters() const;
  std::vector<RedisServer*> replicas() const;
  // "127.0.0.1:p1,127.0.0.1:p2,..." — every node, for a client's seed list.
  std::string seed_list() const;
  // The same nodes as a list, for redis::ClientOptions::nodes.
  std::vector<std::string> node_addresses() const;
  // The node currently serving `slot` as master.
  RedisServer& master_for_slot(int slot) const;
  // Polls until every running node says cluster_state:ok and agrees on the owner of
  // all 16384 slots.
  bool wait_healthy(std::chrono::milliseconds deadline = 60s) const;

 private:
  RedisCluster() = default;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

// One instance of each per test binary, started on first use and stopped at exit. Tests
// that stop or kill a server must start their own instead.
PostgresServer& shared_postgres();
RedisServer& shared_redis();
RedisCluster& shared_cluster();

}  // namespace courier::testing
