#include "servers.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "poll_until.h"

namespace courier::testing {
namespace {

using Clock = std::chrono::steady_clock;

// ---------- PostgreSQL ----------

// Plain, so the harness gets in whatever TLS a test server demands (TLS servers still
// trust plain connections).
std::string pg_conninfo(const std::string& host, int port, std::string_view dbname) {
  return "host=" + host + " port=" + std::to_string(port) +
         " user=postgres dbname=" + std::string(dbname) + " connect_timeout=2 sslmode=disable";
}

// Copies `source` into `dir` as `name`, readable by `owner` (empty: us) alone: Postgres
// refuses a key file that others may read.
std::string install_private_file(const std::string& source, const std::string& dir,
                                 const std::string& name, const std::string& owner) {
  const std::string target = dir + "/" + name;
  std::vector<std::string> argv = {"install", "-m", "0600"};
  if (!owner.empty()) argv.insert(argv.end(), {"-o", owner});
  argv.insert(argv.end(), {source, target});
  CommandOutput out = run_command(argv);
  if (out.exit_code != 0) throw std::runtime_error("harness: install " + name + ": " + out.output);
  return target;
}

// One initdb per test binary; every server copies it (initdb costs a second or two).
class PostgresTemplate {
 public:
  static const std::string& data_dir() {
    static PostgresTemplate instance;
    return instance.data_dir_;
  }
  ~PostgresTemplate() { remove_tree(dir_); }

 private:
  PostgresTemplate() {
    std::string user = unprivileged_server_user();
    dir_ = make_temp_dir("pg-template", user);
    data_dir_ = dir_ + "/data";
    CommandOutput out = run_command({postgres_binary("initdb"), "-D", data_dir_, "-U", "postgres",
                                     "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
                                    user);
    if (out.exit_code != 0) throw std::runtime_error("harness: initdb failed:\n" + out.output);
  }
  std::string dir_;
  std::string data_dir_;
};

// ---------- Redis (a tiny hiredis wrapper, independent of the client under test) ----------

using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;
using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

ContextPtr connect_redis(const std::string& host, int port, const std::string& password) {
  timeval timeout{1, 0};
  ContextPtr context(redisConnectWithTimeout(host.c_str(), port, timeout), &redisFree);
  if (!context || context->err) return ContextPtr(nullptr, &redisFree);
  redisSetTimeout(context.get(), timeval{5, 0});
  if (!password.empty()) {
    ReplyPtr auth(
        static_cast<redisReply*>(redisCommand(context.get(), "AUTH %s", password.c_str())),
        &freeReplyObject);
    if (!auth || auth->type == REDIS_REPLY_ERROR) return ContextPtr(nullptr, &redisFree);
  }
  return context;
}

ReplyPtr run_redis(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(args.size()),
                                                            argv.data(), lengths.data())),
                  &freeReplyObject);
}

void format_reply(const redisReply* reply, std::string& out) {
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      out += std::to_string(reply->integer);
      break;
    case REDIS_REPLY_NIL:
      out += "(nil)";
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i) out += '\n';
        format_reply(reply->element[i], out);
      }
      break;
    default:  // string, status, error
      out.append(reply->str, reply->len);
  }
}

// Who serves which slots, as one node sees it: sorted (first, last, master port).
using SlotOwners = std::vector<std::tuple<long long, long long, long long>>;

SlotOwners slot_owners(const RedisServer& node) {
  SlotOwners owners;
  ContextPtr context = connect_redis(node.host(), node.port(), "");
  if (!context) return owners;
  ReplyPtr reply = run_redis(context.get(), {"CLUSTER", "SLOTS"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return owners;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
    const redisReply* master = range->element[2];
    if (master->type != REDIS_REPLY_ARRAY || master->elements < 2) continue;
    owners.emplace_back(range->element[0]->integer, range->element[1]->integer,
                        master->element[1]->integer);
  }
  std::sort(owners.begin(), owners.end());
  return owners;
}

bool covers_all_slots(const SlotOwners& owners) {
  long long next = 0;
  for (const auto& [first, last, port] : owners) {
    if (first != next) return false;
    next = last + 1;
  }
  return next == 16384;
}

// SIGSTOPs or SIGCONTs a process and its children. The parent stops first (so it forks no
// new child meanwhile) and continues last.
void signal_process_tree(pid_t parent, int signal) {
  if (signal == SIGSTOP) kill(parent, SIGSTOP);
  for (pid_t child : child_pids(parent)) kill(child, signal);
  if (signal == SIGCONT) kill(parent, SIGCONT);
}

// SIGSTOPs (`pause`) or SIGCONTs a server process, with its children when `with_children`;
// `paused` tracks the state, so repeated calls do nothing.
void set_paused(ChildProcess& process, bool& paused, bool pause, bool with_children) {
  if (pause == paused || (pause && !process.running())) return;
  int signal = pause ? SIGSTOP : SIGCONT;
  if (with_children)
    signal_process_tree(process.pid(), signal);
  else
    kill(process.pid(), signal);
  paused = pause;
}

std::string sanitize(std::string_view prefix) {
  std::string name;
  for (char c : prefix)
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return name.empty() ? "t" : name;
}

}  // namespace

std::string postgres_binary(const std::string& name) {
  if (const char* dir = std::getenv("COURIER_PG_BINDIR"); dir && *dir)
    return std::string(dir) + "/" + name;
  std::string debian = "/usr/lib/postgresql/15/bin/" + name;
  if (access(debian.c_str(), X_OK) == 0) return debian;
  return name;  // from PATH
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return sanitize(prefix) + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// ================= PostgresServer =================

std::unique_ptr<PostgresServer> PostgresServer::start(Options options) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->options_ = options;
  std::string user = unprivileged_server_user();
  server->dir_ = make_temp_dir("pg", user);
  CommandOutput copy =
      run_command({"cp", "-a", PostgresTemplate::data_dir(), server->dir_ + "/data"}, user);
  if (copy.exit_code != 0) throw std::runtime_error("harness: copying data dir: " + copy.output);
  server->port_ = free_loopback_port();
  server->launch();
  return server;
}

PostgresServer::~PostgresServer() {
  resume();  // a stopped server would ignore the shutdown signal
  if (process_.running() && !process_.signal_and_wait(SIGINT, 10s)) process_.kill9();
  remove_tree(dir_);
}

void PostgresServer::launch() {
  std::string data = dir_ + "/data";
  const char* wal_level = options_.logical_replication ? "wal_level=logical" : "wal_level=replica";
  // Durability is off: these are throw-away servers and tests want speed.
  std::vector<std::string> settings = {wal_level,
                                       "max_wal_senders=10",
                                       "max_replication_slots=10",
                                       "fsync=off",
                                       "synchronous_commit=off",
                                       "full_page_writes=off",
                                       "max_connections=200"};
  for (std::string& setting : tls_settings()) settings.push_back(std::move(setting));
  std::vector<std::string> argv = {postgres_binary("postgres"),
                                   "-D",
                                   data,
                                   "-p",
                                   std::to_string(port_),
                                   "-k",
                                   dir_,
                                   "-h",
                                   host_};
  for (const std::string& setting : settings) argv.insert(argv.end(), {"-c", setting});
  process_.spawn({.argv = argv,
                  .run_as_user = unprivileged_server_user(),
                  .log_path = dir_ + "/postgres.log"});
  if (!wait_ready(30s))
    throw std::runtime_error("harness: postgres on port " + std::to_string(port_) +
                             " did not start:\n" + tail_of_file(dir_ + "/postgres.log"));
}

std::vector<std::string> PostgresServer::tls_settings() const {
  if (!options_.tls) return {};
  const TestCertificates& certificates = test_certificates();
  const std::string user = unprivileged_server_user();
  std::vector<std::string> settings = {
      "ssl=on",
      "ssl_cert_file=" + install_private_file(options_.tls_expired_certificate
                                                  ? certificates.expired_server_cert_file
                                                  : certificates.server_cert_file,
                                              dir_, "server.crt", user),
      "ssl_key_file=" +
          install_private_file(certificates.server_key_file, dir_, "server.key", user),
      "ssl_ca_file=" + install_private_file(certificates.ca_file, dir_, "ca.crt", user)};
  if (!options_.tls_client_certificates) return settings;
  // The harness connects plainly (or by the socket); TLS over TCP needs a client certificate,
  // whose common name stands for the user postgres.
  const std::string hba = dir_ + "/pg_hba.conf";
  const std::string ident = dir_ + "/pg_ident.conf";
  std::ofstream(hba) << "local all all trust\n"
                        "local replication all trust\n"
                        "hostnossl all all 127.0.0.1/32 trust\n"
                        "hostnossl replication all 127.0.0.1/32 trust\n"
                        "hostssl all all 127.0.0.1/32 cert map=test\n"
                        "hostssl replication all 127.0.0.1/32 cert map=test\n";
  std::ofstream(ident) << "test courier-test-client postgres\n";
  for (const std::string& file : {hba, ident})
    std::filesystem::permissions(file, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
  settings.insert(settings.end(), {"hba_file=" + hba, "ident_file=" + ident});
  return settings;
}

std::string PostgresServer::url(std::string_view dbname) const {
  return "postgresql://postgres@" + host_ + ":" + std::to_string(port_) + "/" + std::string(dbname);
}

std::string PostgresServer::create_database(std::string_view prefix) {
  std::string name = unique_name(prefix);
  PGconn* conn = PQconnectdb(pg_conninfo(host_, port_, "postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, ("CREATE DATABASE \"" + name + "\"").c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("harness: CREATE DATABASE failed: " + error);
  return name;
}

void PostgresServer::stop() {
  resume();
  if (!process_.signal_and_wait(SIGINT, 30s)) process_.kill9();
}

void PostgresServer::kill9() {
  resume();  // stopped backends would outlive the postmaster, holding its shared memory
  process_.kill9();
}

// Backends too: they serve the open connections.
void PostgresServer::pause() {
  set_paused(process_, paused_, true, true);
}
void PostgresServer::resume() {
  set_paused(process_, paused_, false, true);
}

void PostgresServer::restart() {
  stop();
  // After a kill -9 the old backends may hold the shared memory for a moment; the
  // new postmaster then refuses to start. Try again until the deadline.
  auto until = Clock::now() + 30s;
  while (true) {
    try {
      launch();
      return;
    } catch (const std::runtime_error&) {
      process_.kill9();
      if (Clock::now() >= until) throw;
      std::this_thread::sleep_for(200ms);
    }
  }
}

bool PostgresServer::running() const {
  return const_cast<ChildProcess&>(process_).running();
}

bool PostgresServer::wait_ready(std::chrono::milliseconds deadline) const {
  std::string conninfo = pg_conninfo(host_, port_, "postgres");
  return poll_until(deadline,
                    [&] {
                      if (!running())
                        return true;  // exited: let the caller see it, don't wait the deadline
                      return PQping(conninfo.c_str()) == PQPING_OK;
                    }) &&
         running();
}

// ================= TestCertificates =================

namespace {

void run_openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  CommandOutput out = run_command(args);
  if (out.exit_code != 0) throw std::runtime_error("harness: openssl failed:\n" + out.output);
}

// A new P-256 key and a certificate for `subject` signed by ca (self-signed when ca is
// empty), valid for `days` (negative: already expired).
void make_certificate(const std::string& dir, const std::string& name, const std::string& subject,
                      const std::string& ca, int days, const std::string& key_name = "") {
  const std::string key = dir + "/" + (key_name.empty() ? name : key_name) + ".key";
  if (!std::filesystem::exists(key))
    run_openssl(
        {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key});
  const std::string cert = dir + "/" + name + ".crt";
  if (ca.empty()) {
    run_openssl({"req", "-x509", "-new", "-key", key, "-subj", subject, "-days",
                 std::to_string(days), "-out", cert});
    return;
  }
  const std::string request = dir + "/" + name + ".csr";
  const std::string extensions = dir + "/" + name + ".ext";
  std::ofstream(extensions) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  run_openssl({"req", "-new", "-key", key, "-subj", subject, "-out", request});
  run_openssl({"x509", "-req", "-in", request, "-CA", dir + "/" + ca + ".crt", "-CAkey",
               dir + "/" + ca + ".key", "-CAcreateserial", "-days", std::to_string(days),
               "-extfile", extensions, "-out", cert});
}

class CertificateDirectory {
 public:
  CertificateDirectory() : dir_(make_temp_dir("certs")) {
    make_certificate(dir_, "ca", "/CN=courier-test-ca", "", 2);
    make_certificate(dir_, "other-ca", "/CN=courier-other-ca", "", 2);
    make_certificate(dir_, "server", "/CN=localhost", "ca", 2);
    make_certificate(dir_, "expired", "/CN=localhost", "ca", -1, "server");
    make_certificate(dir_, "client", "/CN=courier-test-client", "ca", 2);
    // redis-server may run as another user; the files are throw-away.
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
      std::filesystem::permissions(entry.path(),
                                   std::filesystem::perms::owner_read |
                                       std::filesystem::perms::group_read |
                                       std::filesystem::perms::others_read,
                                   std::filesystem::perm_options::add);
    install_private_file(dir_ + "/client.key", dir_, "client-private.key", "");
    certificates_ = {.ca_file = dir_ + "/ca.crt",
                     .server_cert_file = dir_ + "/server.crt",
                     .server_key_file = dir_ + "/server.key",
                     .expired_server_cert_file = dir_ + "/expired.crt",
                     .client_cert_file = dir_ + "/client.crt",
                     .client_key_file = dir_ + "/client.key",
                     .private_client_key_file = dir_ + "/client-private.key",
                     .other_ca_file = dir_ + "/other-ca.crt"};
  }
  ~CertificateDirectory() { remove_tree(dir_); }
  const TestCertificates& certificates() const { return certificates_; }

 private:
  std::string dir_;
  TestCertificates certificates_;
};

}  // namespace

const TestCertificates& test_certificates() {
  static CertificateDirectory directory;
  return directory.certificates();
}

// ================= RedisServer =================

std::unique_ptr<RedisServer> RedisServer::start(Options options) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->options_ = options;
  server->dir_ = make_temp_dir("redis");
  // A TLS cluster node's bus is on tls_port + 10000.
  server->port_ = free_loopback_port(options.cluster_node && !options.tls);
  if (options.tls) server->tls_port_ = free_loopback_port(options.cluster_node);
  server->launch();
  return server;
}

RedisServer::~RedisServer() {
  resume();  // a stopped server would ignore the shutdown signal
  if (process_.running() && !process_.signal_and_wait(SIGTERM, 10s)) process_.kill9();
  remove_tree(dir_);
}

void RedisServer::launch() {
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port_), "--bind", host_,         "--dir", dir_,
      "--save",       "",       "--protected-mode",    "no",     "--daemonize", "no"};
  if (options_.append_only) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  if (options_.cluster_node) {
    argv.insert(argv.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             dir_ + "/nodes.conf", "--cluster-node-timeout", "2000"});
  }
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  if (options_.tls) {
    const TestCertificates& certificates = test_certificates();
    argv.insert(
        argv.end(),
        {"--tls-port", std::to_string(tls_port_), "--tls-cert-file",
         options_.tls_expired_certificate ? certificates.expired_server_cert_file
                                          : certificates.server_cert_file,
         "--tls-key-file", certificates.server_key_file, "--tls-ca-cert-file", certificates.ca_file,
         "--tls-auth-clients", options_.tls_auth_clients ? "yes" : "no"});
    // The bus and replication use the client certificate the CA signed.
    if (options_.cluster_node)
      argv.insert(argv.end(), {"--tls-cluster", "yes", "--tls-replication", "yes",
                               "--tls-client-cert-file", certificates.client_cert_file,
                               "--tls-client-key-file", certificates.client_key_file});
  }
  process_.spawn({.argv = argv, .log_path = dir_ + "/redis.log"});
  if (!wait_ready(30s))
    throw std::runtime_error("harness: redis-server on port " + std::to_string(port_) +
                             " did not start:\n" + tail_of_file(dir_ + "/redis.log"));
}

std::string RedisServer::url() const {
  return "redis://" + address();
}
std::string RedisServer::address() const {
  return host_ + ":" + std::to_string(port_);
}
std::string RedisServer::tls_address() const {
  return host_ + ":" + std::to_string(tls_port_);
}

void RedisServer::stop() {
  resume();
  if (!process_.signal_and_wait(SIGTERM, 30s)) process_.kill9();
}

void RedisServer::kill9() {
  resume();
  process_.kill9();
}

void RedisServer::pause() {
  set_paused(process_, paused_, true, false);
}
void RedisServer::resume() {
  set_paused(process_, paused_, false, false);
}

void RedisServer::restart() {
  stop();
  launch();
}

bool RedisServer::running() const {
  return const_cast<ChildProcess&>(process_).running();
}

bool RedisServer::wait_ready(std::chrono::milliseconds deadline) const {
  return poll_until(deadline,
                    [&] {
                      if (!running()) return true;
                      ContextPtr context = connect_redis(host_, port_, options_.password);
                      if (!context) return false;
                      ReplyPtr reply = run_redis(context.get(), {"PING"});
                      return reply &&
                             reply->type == REDIS_REPLY_STATUS;  // LOADING is an error reply
                    }) &&
         running();
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
  ContextPtr context = connect_redis(host_, port_, options_.password);
  if (!context) throw std::runtime_error("harness: cannot connect to redis at " + address());
  ReplyPtr reply = run_redis(context.get(), args);
  if (!reply) throw std::runtime_error("harness: no reply from redis at " + address());
  std::string out;
  format_reply(reply.get(), out);
  return out;
}

// ================= RedisCluster =================

std::unique_ptr<RedisCluster> RedisCluster::start(Options options) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  std::vector<std::string> create = {"redis-cli", "--cluster", "create"};
  for (int i = 0; i < 6; ++i) {
    cluster->nodes_.push_back(RedisServer::start({.cluster_node = true, .tls = options.tls}));
    create.push_back(cluster->nodes_.back()->address());
  }
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  CommandOutput out = run_command(create);
  if (out.exit_code != 0)
    throw std::runtime_error("harness: redis-cli --cluster create failed:\n" + out.output);
  if (!cluster->wait_healthy(60s))
    throw std::runtime_error("harness: the cluster did not become healthy");
  // Replicas must have synced before a test may kill a master and expect a failover.
  bool synced = poll_until(60s, [&] {
    for (RedisServer* replica : cluster->replicas()) {
      if (replica->command({"INFO", "replication"}).find("master_link_status:up") ==
          std::string::npos)
        return false;
    }
    return cluster->replicas().size() == 3;
  });
  if (!synced) throw std::runtime_error("harness: cluster replicas did not sync");
  return cluster;
}

RedisCluster::~RedisCluster() = default;

namespace {
std::vector<RedisServer*> nodes_with_role(const std::vector<std::unique_ptr<RedisServer>>& nodes,
                                          std::string_view role) {
  std::vector<RedisServer*> found;
  for (const auto& node : nodes) {
    if (!node->running()) continue;
    try {
      std::string reply = node->command({"ROLE"});
      if (reply.compare(0, role.size(), role) == 0) found.push_back(node.get());
    } catch (const std::runtime_error&) {
      // not answering right now: neither role
    }
  }
  return found;
}
}  // namespace

std::vector<RedisServer*> RedisCluster::masters() const {
  return nodes_with_role(nodes_, "master");
}
std::vector<RedisServer*> RedisCluster::replicas() const {
  return nodes_with_role(nodes_, "slave");
}

std::vector<std::string> RedisCluster::node_addresses() const {
  std::vector<std::string> addresses;
  for (const auto& node : nodes_) addresses.push_back(node->address());
  return addresses;
}

std::string RedisCluster::seed_list() const {
  std::string list;
  for (const std::string& address : node_addresses()) {
    if (!list.empty()) list += ',';
    list += address;
  }
  return list;
}

RedisServer& RedisCluster::master_for_slot(int slot) const {
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    for (const auto& [first, last, port] : slot_owners(*node)) {
      if (slot < first || slot > last) continue;
      for (const auto& candidate : nodes_)
        if (candidate->port() == port) return *candidate;
    }
  }
  throw std::runtime_error("harness: no master known for slot " + std::to_string(slot));
}

bool RedisCluster::wait_healthy(std::chrono::milliseconds deadline) const {
  // Right after a kill the survivors still report the dead master for a node-timeout;
  // healthy means every slot's owner is alive.
  auto owned_by_running_nodes = [&](const SlotOwners& owners) {
    return std::all_of(owners.begin(), owners.end(), [&](const auto& range) {
      return std::any_of(nodes_.begin(), nodes_.end(), [&](const auto& node) {
        return node->port() == std::get<2>(range) && node->running();
      });
    });
  };
  return poll_until(deadline, [&] {
    std::optional<SlotOwners> agreed;
    for (const auto& node : nodes_) {
      if (!node->running()) continue;
      std::string info;
      try {
        info = node->command({"CLUSTER", "INFO"});
      } catch (const std::runtime_error&) {
        return false;
      }
      if (info.find("cluster_state:ok") == std::string::npos) return false;
      SlotOwners owners = slot_owners(*node);
      if (!covers_all_slots(owners) || !owned_by_running_nodes(owners)) return false;
      if (agreed && *agreed != owners) return false;
      agreed = owners;
    }
    return agreed.has_value();
  });
}

// ================= shared instances =================

PostgresServer& shared_postgres() {
  static std::unique_ptr<PostgresServer> server = PostgresServer::start();
  return *server;
}

RedisServer& shared_redis() {
  static std::unique_ptr<RedisServer> server = RedisServer::start();
  return *server;
}

RedisCluster& shared_cluster() {
  static std::unique_ptr<RedisCluster> cluster = RedisCluster::start();
  return *cluster;
}

}  // namespace courier::testing
