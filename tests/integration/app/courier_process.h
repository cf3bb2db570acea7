// The `courier` binary as the app's integration tests drive it: a config file written for
// real servers the harness started (plus any YAML a test adds, e.g. `tasks:`), the process
// spawned with its log captured, and helpers to query its HTTP endpoints.
//
//   CourierProcess courier(pg, db, redis, "tasks:\n  - name: t\n ...");   // courier run
//   ASSERT_TRUE(courier.wait_for_health(200)) << courier.log();
//   EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0);
//
// Thread-safety: one test thread.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "poll_until.h"
#include "process.h"
#include "servers.h"

namespace courier::testing {

using namespace std::chrono_literals;

// The connection sections of a courier.yaml for these servers, HTTP on `http_port`.
inline std::string connection_yaml(const PostgresServer& pg, const std::string& db,
                                   const std::string& redis_address, int http_port) {
  return "postgres:\n  host: 127.0.0.1\n  port: " + std::to_string(pg.port()) +
         "\n  user: postgres\n  dbname: " + db + "\nredis:\n  addr: " + redis_address +
         "\nhttp:\n  listen: 127.0.0.1:" + std::to_string(http_port) + "\n";
}

class CourierProcess {
 public:
  // Writes courier.yaml (connections + `extra_yaml`) and starts `courier <command> -c it`.
  CourierProcess(const PostgresServer& pg, const std::string& db, const RedisServer& redis,
                 const std::string& extra_yaml = "", const std::string& command = "run")
      : dir_(make_temp_dir("app")), http_port_(free_loopback_port()) {
    std::ofstream(config_path())
        << connection_yaml(pg, db, redis.address(), http_port_) << extra_yaml;
    process_.spawn({.argv = {COURIER_BINARY, command, "-c", config_path()},
                    .log_path = dir_ + "/courier.log"});
  }
  ~CourierProcess() { remove_tree(dir_); }

  int http_port() const { return http_port_; }
  std::string config_path() const { return dir_ + "/courier.yaml"; }
  ChildProcess& process() { return process_; }
  std::string log() const { return tail_of_file(dir_ + "/courier.log"); }

  // The status of GET path, or -1 when nothing answers.
  int get_status(const std::string& path, std::string* body = nullptr) {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_read_timeout(10, 0);
    auto response = client.Get(path.c_str());
    if (!response) return -1;
    if (body) *body = response->body;
    return response->status;
  }

  bool wait_for_health(int status, std::chrono::milliseconds deadline = 20s) {
    return poll_until(deadline, [&] { return get_status("/health") == status; }, 50ms);
  }

 private:
  std::string dir_;
  int http_port_;
  ChildProcess process_;
};

inline int exit_code_after(ChildProcess& process, int signal) {
  EXPECT_TRUE(process.signal_and_wait(signal, 20s));
  int status = process.wait_status();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace courier::testing
