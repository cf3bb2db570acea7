// KeepAliveClient: the benchmarks' HTTP/1.1 load generator, as lean as wrk's: one blocking
// loopback connection, a GET written in one send, the response read whole by its
// Content-Length. A general client (httplib's) costs the shared 2 cores as much as the
// server it loads, so the server's rate would be set by the client's work.
//
//   KeepAliveClient client(8080);
//   std::optional<int> status = client.get("/api/v1/users/7/feed?limit=20");
//
// Reconnects when the server closes (Connection: close, or keep-alive limit). Not for
// chunked responses. Thread-safety: one thread per client.
#pragma once

#include <optional>
#include <string>

namespace courier::bench {

class KeepAliveClient {
 public:
  explicit KeepAliveClient(int port) : port_(port) {}
  ~KeepAliveClient();
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  // The response's status, its body in body(); nullopt when the exchange failed.
  std::optional<int> get(const std::string& path);
  const std::string& body() const { return body_; }

 private:
  bool connect();
  void disconnect();
  std::optional<int> exchange(const std::string& request);

  int port_;
  int socket_ = -1;
  std::string buffer_;  // bytes read past the last response
  std::string body_;
};

}  // namespace courier::bench
