#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace courier::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct UserIds {
  uid_t uid;
  gid_t gid;
};

UserIds lookup_user(const std::string& name) {
  struct passwd* entry = getpwnam(name.c_str());
  if (entry == nullptr) throw std::runtime_error("harness: no such system user: " + name);
  return {entry->pw_uid, entry->pw_gid};
}

// Everything the child does between fork and exec. Only async-signal-safe calls here.
[[noreturn]] void become_child(const std::vector<char*>& argv, int output_fd, const UserIds* user,
                               pid_t parent, int exec_error_fd) {
  setpgid(0, 0);  // keep terminal signals (Ctrl-C) away: the harness decides when to stop
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  if (output_fd >= 0) {
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
  }
  if (chdir("/") != 0) _exit(126);
  if (user != nullptr) {
    if (setgroups(0, nullptr) != 0 || setgid(user->gid) != 0 || setuid(user->uid) != 0) {
      int err = errno;
      (void)!write(exec_error_fd, &err, sizeof err);
      _exit(126);
    }
  }
  // After setuid: changing credentials clears the parent-death signal.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(125);  // the parent died before prctl
  execvp(argv[0], argv.data());
  int err = errno;
  (void)!write(exec_error_fd, &err, sizeof err);
  _exit(127);
}

// Forks and execs; returns the pid once exec succeeded, throws otherwise.
pid_t start_child(const std::vector<std::string>& args, const std::string& run_as_user,
                  int output_fd) {
  if (args.empty()) throw std::runtime_error("harness: empty command");
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  UserIds user{};
  bool switch_user = !run_as_user.empty() && geteuid() == 0;
  if (switch_user) user = lookup_user(run_as_user);

  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) throw std::runtime_error("harness: pipe failed");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("harness: fork failed");
  if (pid == 0) {
    close(error_pipe[0]);
    become_child(argv, output_fd, switch_user ? &user : nullptr, parent, error_pipe[1]);
  }
  close(error_pipe[1]);
  int child_errno = 0;
  ssize_t got = read(error_pipe[0], &child_errno, sizeof child_errno);
  close(error_pipe[0]);
  if (got > 0) {
    waitpid(pid, nullptr, 0);
    throw std::runtime_error("harness: cannot start '" + args[0] +
                             "': " + std::strerror(child_errno));
  }
  return pid;
}

bool port_is_bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

// The fields of /proc/PID/stat after "pid (comm)", from the state on (field 3); empty when
// the process is gone. comm may hold spaces and parentheses: skip past the last ')'.
std::vector<std::string> proc_stat_fields(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return {};
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream in(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) kill9();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), wait_status_(other.wait_status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) kill9();
    pid_ = std::exchange(other.pid_, -1);
    wait_status_ = other.wait_status_;
  }
  return *this;
}

void ChildProcess::spawn(const SpawnSpec& spec) {
  if (pid_ > 0 && running()) throw std::runtime_error("harness: process already running");
  int output_fd = -1;
  if (!spec.log_path.empty()) {
    output_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (output_fd < 0) throw std::runtime_error("harness: cannot open log " + spec.log_path);
  }
  try {
    pid_ = start_child(spec.argv, spec.run_as_user, output_fd);
  } catch (...) {
    if (output_fd >= 0) close(output_fd);
    throw;
  }
  if (output_fd >= 0) close(output_fd);
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  wait_status_ = status;
  pid_ = -1;
  return false;
}

bool ChildProcess::signal_and_wait(int signal, std::chrono::milliseconds deadline) {
  if (!running()) return true;
  kill(pid_, signal);
  auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (!running()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a pid, not waiting blind
  }
  return !running();
}

void ChildProcess::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  wait_status_ = status;
  pid_ = -1;
}

CommandOutput run_command(const std::vector<std::string>& argv, const std::string& run_as_user,
                          std::chrono::milliseconds timeout) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("harness: pipe failed");
  pid_t pid;
  try {
    pid = start_child(argv, run_as_user, out_pipe[1]);
  } catch (...) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw;
  }
  close(out_pipe[1]);

  CommandOutput result;
  auto until = Clock::now() + timeout;
  char buffer[4096];
  bool timed_out = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd waiting{out_pipe[0], POLLIN, 0};
    int ready = poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t got = read(out_pipe[0], buffer, sizeof buffer);
    if (got <= 0) break;
    result.output.append(buffer, static_cast<size_t>(got));
  }
  close(out_pipe[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = (!timed_out && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

int free_loopback_port(bool with_bus_port) {
  // Ports below the kernel's ephemeral range (32768+), so outgoing connections never
  // take them; a cluster node's bus port (port + 10000) stays below it too.
  static std::mutex mutex;
  static std::set<int> handed_out;
  static std::mt19937 random(static_cast<unsigned>(getpid()) * 7919u +
                             static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> pick(15000, 22700);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = pick(random);
    if (handed_out.count(port) || !port_is_bindable(port)) continue;
    if (with_bus_port && (handed_out.count(port + 10000) || !port_is_bindable(port + 10000)))
      continue;
    handed_out.insert(port);
    if (with_bus_port) handed_out.insert(port + 10000);
    return port;
  }
  throw std::runtime_error("harness: no free loopback port found");
}

std::string make_temp_dir(const std::string& prefix, const std::string& owner) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/courier-" + prefix + "-XXXXXX";
  std::vector<char> path(pattern.begin(), pattern.end());
  path.push_back('\0');
  if (mkdtemp(path.data()) == nullptr)
    throw std::runtime_error("harness: cannot create a directory like " + pattern);
  std::string dir(path.data());
  if (!owner.empty() && geteuid() == 0) {
    UserIds user = lookup_user(owner);
    if (chown(dir.c_str(), user.uid, user.gid) != 0)
      throw std::runtime_error("harness: cannot chown " + dir + " to " + owner);
  }
  return dir;
}

void remove_tree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

std::string unprivileged_server_user() {
  return geteuid() == 0 ? "postgres" : "";
}

std::string tail_of_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log at " + path + ")";
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() > max_bytes) content = "..." + content.substr(content.size() - max_bytes);
  return content;
}

std::vector<pid_t> child_pids(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::vector<std::string> fields = proc_stat_fields(name);
    if (fields.size() > 1 && fields[1] == std::to_string(parent))
      children.push_back(std::stoi(name));
  }
  return children;
}

double process_tree_cpu_seconds(pid_t root) {
  // Fields 14-17 of stat (utime, stime, cutime, cstime) are [11..14] from the state on.
  auto ticks = [](pid_t pid, bool with_waited_children) {
    std::vector<std::string> fields = proc_stat_fields(std::to_string(pid));
    if (fields.size() < 15) return 0.0;
    double sum = std::stod(fields[11]) + std::stod(fields[12]);
    if (with_waited_children) sum += std::stod(fields[13]) + std::stod(fields[14]);
    return sum;
  };
  double total = ticks(root, true);
  for (pid_t child : child_pids(root)) total += ticks(child, false);
  return total / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace courier::testing
