#include "http/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

namespace courier::http {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `socket` is ready for `events` or `deadline` passes.
bool wait_for(int socket, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd entry{socket, events, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

void address_of(int socket, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  int got = peer ? ::getpeername(socket, reinterpret_cast<sockaddr*>(&address), &length)
                 : ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
  if (got != 0) return;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
    port = ntohs(v6->sin6_port);
  }
  ip = text.data();
}

// One connection's requests, read with a byte budget (request line and headers, then
// body) and a deadline for the whole request; a read past either fails and says why.
class LimitedStream : public httplib::Stream {
 public:
  LimitedStream(int socket, const RequestLimits& limits) : socket_(socket), limits_(limits) {}

  void start_request() {
    deadline_ = Clock::now() + limits_.read_timeout;
    budget_ = limits_.max_header_bytes;
    reading_body_ = false;
  }
  void headers_read() {
    budget_ = limits_.max_body_bytes;
    reading_body_ = true;
  }
  std::optional<Rejection> exceeded() const { return exceeded_; }
  void close_after_response() { close_after_response_ = true; }
  bool must_close() const { return exceeded_.has_value() || close_after_response_; }

  bool is_readable() const override {
    return begin_ < end_ || wait_for(socket_, POLLIN, deadline_);
  }
  bool is_writable() const override { return true; }  // writes are buffered: see flush()

  ssize_t read(char* out, size_t size) override {
    if (exceeded_) return -1;
    if (budget_ == 0) {
      exceeded_ = reading_body_ ? Rejection::kBody : Rejection::kHeaders;
      return -1;
    }
    if (begin_ == end_) {
      // Try first: a request usually arrives whole, and poll() is then a wasted call.
      ssize_t got = ::recv(socket_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait_for(socket_, POLLIN, deadline_)) {
          if (Clock::now() >= deadline_) exceeded_ = Rejection::kTimeout;
          return -1;
        }
        got = ::recv(socket_, buffer_.data(), buffer_.size(), 0);
      }
      if (got <= 0) return got;
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    size_t taken = std::min({size, end_ - begin_, budget_});
    std::memcpy(out, buffer_.data() + begin_, taken);
    begin_ += taken;
    budget_ -= taken;
    return static_cast<ssize_t>(taken);
  }

  // httplib writes a response in pieces (status line, each header, body); they are
  // collected and sent in one call by flush(), so a response is one packet, not one per line.
  ssize_t write(const char* data, size_t size) override {
    pending_output_.append(data, size);
    return static_cast<ssize_t>(size);
  }

  // Sends what write() collected, within write_timeout. False when the client is gone or
  // does not read.
  bool flush() {
    size_t sent = 0;
    auto deadline = Clock::now() + limits_.write_timeout;
    while (sent < pending_output_.size()) {
      ssize_t wrote = ::send(socket_, pending_output_.data() + sent, pending_output_.size() - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (wrote < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait_for(socket_, POLLOUT, deadline)) break;
        continue;
      }
      if (wrote < 0) break;
      sent += static_cast<size_t>(wrote);
    }
    bool complete = sent == pending_output_.size();
    pending_output_.clear();
    return complete;
  }

  // Asked by httplib for every request; a connection's addresses do not change.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (remote_port_ < 0) address_of(socket_, true, remote_ip_, remote_port_);
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (local_port_ < 0) address_of(socket_, false, local_ip_, local_port_);
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return socket_; }

 private:
  int socket_;
  const RequestLimits& limits_;
  Clock::time_point deadline_ = Clock::now();
  size_t budget_ = 0;
  bool reading_body_ = false;
  std::optional<Rejection> exceeded_;
  bool close_after_response_ = false;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
  std::string pending_output_;
  mutable std::string remote_ip_;
  mutable int remote_port_ = -1;
  mutable std::string local_ip_;
  mutable int local_port_ = -1;
};

// The stream of the connection this worker thread serves: httplib's error handler gets
// only the request, and must learn from it why a read failed.
thread_local LimitedStream* t_stream = nullptr;
thread_local bool t_rejecting = false;

// Closes after the response went out: the peer's unread bytes are drained for a moment
// first, so that closing does not reset the connection before the client read the answer.
void close_gently(int socket) {
  ::shutdown(socket, SHUT_WR);
  auto until = Clock::now() + std::chrono::milliseconds(200);
  std::array<char, 16384> sink{};
  size_t drained = 0;
  while (drained < (1 << 20) && wait_for(socket, POLLIN, until)) {
    ssize_t got = ::recv(socket, sink.data(), sink.size(), MSG_DONTWAIT);
    if (got <= 0) break;
    drained += static_cast<size_t>(got);
  }
  ::close(socket);
}

// Runs on the accepting thread: a fixed answer that fits any socket buffer, never blocking.
void answer_busy(int socket) {
  const std::string body = R"({"error":"too many connections; retry shortly"})";
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
  (void)::send(socket, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(socket, SHUT_WR);
  ::close(socket);
}

std::string error_body(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

}  // namespace

BoundedServer::BoundedServer(RequestLimits limits, RejectionListener on_reject)
    : limits_(limits), on_reject_(std::move(on_reject)) {
  // A backstop: the pre-routing check refuses an oversized announced body unread.
  set_payload_max_length(limits_.max_body_bytes);
  set_error_handler(
      HandlerWithResponse([this](const httplib::Request& request, httplib::Response& response) {
        return explain_failed_read(request, response);
      }));
}

httplib::Server::HandlerResponse BoundedServer::refuse(httplib::Response& response, int status,
                                                       const std::string& message) {
  response.status = status;
  response.set_content(error_body(message), "application/json");
  response.set_header("Connection", "close");
  if (t_stream != nullptr) t_stream->close_after_response();  // the body is left unread
  return HandlerResponse::Handled;
}

httplib::Server::HandlerResponse BoundedServer::check_announced_length(
    const httplib::Request& request, httplib::Response& response) const {
  std::string announced = request.get_header_value("Content-Length");
  std::uint64_t length = 0;
  auto [end, error] =
      std::from_chars(announced.data(), announced.data() + announced.size(), length);
  if (error == std::errc::result_out_of_range ||
      (error == std::errc() && length > limits_.max_body_bytes)) {
    if (on_reject_) on_reject_(Rejection::kBody);
    return refuse(response, 413,
                  "request body larger than " + std::to_string(limits_.max_body_bytes) +
                      " bytes (http.max_body_bytes)");
  }
  return HandlerResponse::Unhandled;
}

httplib::Server::HandlerResponse BoundedServer::explain_failed_read(const httplib::Request&,
                                                                    httplib::Response& out) {
  if (t_stream == nullptr || !t_stream->exceeded()) return HandlerResponse::Unhandled;
  Rejection why = *t_stream->exceeded();
  if (on_reject_) on_reject_(why);
  switch (why) {
    case Rejection::kBody:
      refuse(out, 413,
             "request body larger than " + std::to_string(limits_.max_body_bytes) +
                 " bytes (http.max_body_bytes)");
      break;
    case Rejection::kHeaders:
      refuse(out, 431,
             "request line and headers larger than " + std::to_string(limits_.max_header_bytes) +
                 " bytes (http.max_header_bytes)");
      break;
    default:
      refuse(out, 408,
             "request not received within " + std::to_string(limits_.read_timeout.count()) +
                 " ms (http.read_timeout)");
      break;
  }
  return HandlerResponse::Handled;
}

bool BoundedServer::process_and_close_socket(socket_t socket) {
  if (AdmissionQueue::rejecting()) {
    if (on_reject_) on_reject_(Rejection::kConnections);
    answer_busy(socket);
    return true;
  }
  LimitedStream stream(socket, limits_);
  t_stream = &stream;
  bool served = false;
  // As httplib's own loop: up to keep_alive_max_count_ requests, each awaited for up to
  // keep_alive_timeout_sec_ (checking every 100 ms whether the server is stopping).
  auto keep_alive = std::chrono::seconds(keep_alive_timeout_sec_);
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    auto idle_until = Clock::now() + keep_alive;
    bool request_arrived = false;
    while (!request_arrived && svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until) {
      request_arrived = wait_for(
          socket, POLLIN, std::min(idle_until, Clock::now() + std::chrono::milliseconds(100)));
    }
    if (!request_arrived || svr_sock_ == INVALID_SOCKET) break;
    stream.start_request();
    bool client_closes = false;
    served = process_request(stream, left == 1, client_closes,
                             [&](httplib::Request&) { stream.headers_read(); });
    served &= stream.flush();
    if (!served || client_closes || stream.must_close()) break;
  }
  t_stream = nullptr;
  close_gently(socket);
  return served;
}

AdmissionQueue::AdmissionQueue(std::size_t workers, std::size_t max_connections)
    : max_connections_(max_connections) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, workers); ++i)
    threads_.emplace_back([this] { work(); });
}

AdmissionQueue::~AdmissionQueue() {
  shutdown();
}

bool AdmissionQueue::rejecting() {
  return t_rejecting;
}

void AdmissionQueue::enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (admitted_ < max_connections_ && !stopping_) {
      ++admitted_;
      waiting_.push_back(std::move(task));
      ready_.notify_one();
      return;
    }
  }
  t_rejecting = true;
  task();
  t_rejecting = false;
}

void AdmissionQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void AdmissionQueue::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and every admitted connection served
      task = std::move(waiting_.front());
      waiting_.pop_front();
    }
    task();
    std::lock_guard lock(mutex_);
    --admitted_;
  }
}

}  // namespace courier::http
