#include "keep_alive_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace courier::bench {
namespace {

// The value of header `name` (lower case) in `head`, compared case-insensitively.
std::string_view header_value(std::string_view head, std::string_view name) {
  size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    size_t start = line + 2;
    size_t end = head.find("\r\n", start);
    std::string_view text = head.substr(start, end == std::string_view::npos ? end : end - start);
    size_t colon = text.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), text.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view value = text.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    line = end;
  }
  return {};
}

}  // namespace

KeepAliveClient::~KeepAliveClient() {
  disconnect();
}

bool KeepAliveClient::connect() {
  socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_ < 0) return false;
  int yes = 1;
  ::setsockopt(socket_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    disconnect();
    return false;
  }
  return true;
}

void KeepAliveClient::disconnect() {
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
  buffer_.clear();
}

std::optional<int> KeepAliveClient::get(const std::string& path) {
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  // A kept-alive connection the server has just closed fails at once: try a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (socket_ < 0 && !connect()) return std::nullopt;
    if (std::optional<int> status = exchange(request)) return status;
    disconnect();
  }
  return std::nullopt;
}

std::optional<int> KeepAliveClient::exchange(const std::string& request) {
  if (::send(socket_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return std::nullopt;
  char chunk[16384];
  auto read_more = [&] {
    ssize_t got = ::recv(socket_, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
    return true;
  };
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!read_more()) return std::nullopt;
  std::string_view head(buffer_.data(), head_end);
  int status = 0;
  if (head.size() < 12) return std::nullopt;
  std::from_chars(head.data() + 9, head.data() + 12, status);
  std::string_view length_text = header_value(head, "content-length");
  size_t length = 0;
  std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  bool closes = header_value(head, "connection") == "close";
  size_t body_start = head_end + 4;
  while (buffer_.size() < body_start + length)
    if (!read_more()) return std::nullopt;
  body_.assign(buffer_, body_start, length);
  buffer_.erase(0, body_start + length);
  if (closes) disconnect();
  return status;
}

}  // namespace courier::bench
