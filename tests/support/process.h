// Child processes for the test harness and scripts-like tools: spawn a server by pid,
// signal it, kill it, reap it; run a command to completion; find free loopback ports.
//
//   ChildProcess redis;
//   redis.spawn({.argv = {"redis-server", "--port", "7001"}, .log_path = "/tmp/r.log"});
//   redis.kill9();
//
// A spawned child gets SIGKILL when the thread that spawned it exits (parent-death
// signal), so servers never outlive a crashed test binary.
// Thread-safety: one thread drives a ChildProcess at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace courier::testing {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string run_as_user;        // empty: the current user; else setuid to this user
  std::string log_path;           // stdout and stderr go here (appended); empty: /dev/null
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // SIGKILLs and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;

  // Starts the child; throws std::runtime_error when fork or exec fails.
  void spawn(const SpawnSpec& spec);
  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it when it has).
  bool running();
  // Sends `signal` and waits for exit until the deadline; true when it exited.
  bool signal_and_wait(int signal, std::chrono::milliseconds deadline);
  // SIGKILL and reap.
  void kill9();
  // Exit status as from waitpid, valid once the child has exited.
  int wait_status() const { return wait_status_; }

 private:
  pid_t pid_ = -1;
  int wait_status_ = 0;
};

// Processes whose parent is `parent`, from /proc (Postgres backends of a postmaster).
std::vector<pid_t> child_pids(pid_t parent);

// CPU seconds (user + system) a process has used so far, with its children: those it
// waited for and those still running (a postmaster's backends). 0 when it is gone.
double process_tree_cpu_seconds(pid_t root);

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by the timeout or a signal
  std::string output;  // stdout and stderr together
};

// Runs argv to completion (killed after `timeout`) and returns its exit code and output.
CommandOutput run_command(const std::vector<std::string>& argv, const std::string& run_as_user = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A TCP port on 127.0.0.1 that is free right now (and, when `with_bus_port`, so is
// port + 10000, as a Redis Cluster node needs).
int free_loopback_port(bool with_bus_port = false);

// Creates a fresh directory under the harness root; when `owner` is non-empty the
// directory is chowned to that user. Returns its path.
std::string make_temp_dir(const std::string& prefix, const std::string& owner = "");

// Removes a directory tree (best effort).
void remove_tree(const std::string& path);

// The user servers that refuse root (Postgres) run as: "postgres" when we are root,
// else empty (the current user).
std::string unprivileged_server_user();

// Last `max_bytes` of a file, for error messages that show a server's log.
std::string tail_of_file(const std::string& path, size_t max_bytes = 2000);

}  // namespace courier::testing
