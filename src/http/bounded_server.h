// BoundedServer: httplib's server with every request bounded, so that no client can take
// memory or workers without limit. Internal to the http module (HttpServer uses it).
//
//   BoundedServer server(RequestLimits{.max_body_bytes = 1 << 20}, count_rejection);
//   server.new_task_queue = [] { return new AdmissionQueue(32, 256); };
//   server.set_pre_routing_handler([&](auto& in, auto& out) {
//     return server.check_announced_length(in, out); });
//
// - the request line and headers may take `max_header_bytes` (then 431), the body
//   `max_body_bytes` (413: refused unread when Content-Length announces more, cut off when
//   a chunked body grows past it), and the whole request must arrive within `read_timeout`
//   of its first byte (408), so a client sending a byte a second cannot keep a worker;
// - an AdmissionQueue admits `max_connections` at once (served or waiting for a worker);
//   the next connection is answered 503 and closed at once instead of queueing.
// Thread-safety: as httplib::Server; a connection is served on one worker thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace courier::http {

struct RequestLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 64 << 10;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{5'000};
};

// Why a connection or request was refused, for the caller's counters and logs.
enum class Rejection { kConnections, kBody, kHeaders, kTimeout };
using RejectionListener = std::function<void(Rejection)>;

class BoundedServer : public httplib::Server {
 public:
  BoundedServer(RequestLimits limits, RejectionListener on_reject);
  // Answers `status` with {"error": message} and closes the connection after it, without
  // reading the body (for the pre-routing checks: body size, token).
  static httplib::Server::HandlerResponse refuse(httplib::Response& response, int status,
                                                 const std::string& message);
  // For the pre-routing handler: 413 when Content-Length announces more than the limit.
  HandlerResponse check_announced_length(const httplib::Request& request,
                                         httplib::Response& response) const;

 private:
  bool process_and_close_socket(socket_t socket) override;
  HandlerResponse explain_failed_read(const httplib::Request& request, httplib::Response& out);

  RequestLimits limits_;
  RejectionListener on_reject_;
};

// A task queue that admits at most `max_connections` tasks at once (running or waiting) on
// `workers` threads; a task beyond that runs at once on the caller's thread in "reject"
// mode: BoundedServer then answers 503 and closes without serving.
class AdmissionQueue : public httplib::TaskQueue {
 public:
  AdmissionQueue(std::size_t workers, std::size_t max_connections);
  ~AdmissionQueue() override;
  void enqueue(std::function<void()> task) override;
  void shutdown() override;
  // True while the calling thread runs a task that was not admitted.
  static bool rejecting();

 private:
  void work();

  std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> waiting_;
  std::size_t admitted_ = 0;  // running + waiting
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace courier::http
