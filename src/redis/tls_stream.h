// TlsStream: one TCP connection with TLS (OpenSSL) to one server, carrying bytes; the RESP
// protocol on top stays with Connection (hiredis' writer and reader). The socket, SSL and
// SSL_CTX are owned RAII.
//
//   Result<TlsStream> stream = TlsStream::open(options);  // connect + handshake + verify
//   std::optional<IoError> error = stream->write_all("*1\r\n$4\r\nPING\r\n");
//   Result<size_t> got = stream->read_some(buffer, sizeof buffer);  // or an IoError
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "courier/status.h"
#include "redis/errors.h"
#include "redis/options.h"

namespace courier::redis {

// Why a read or write failed, for Connection to word and classify.
struct IoError {
  IoFailure kind = IoFailure::kIo;
  std::string reason;
};

class TlsStream {
 public:
  // Connects within options.connect_timeout and completes the handshake, checking the
  // server's certificate and name as options.tls says. kUnavailable (detail "CONNECT") when
  // the server cannot be reached or its certificate is refused, with the reason and the
  // setting to check; kInvalidArgument when a certificate or key file cannot be used.
  static Result<TlsStream> open(const ConnectionOptions& options);

  TlsStream(TlsStream&&) noexcept;
  TlsStream& operator=(TlsStream&&) noexcept;
  ~TlsStream();

  // Bounds each later read and write; 0: no bound.
  std::optional<IoError> set_timeout(std::chrono::milliseconds timeout);
  std::optional<IoError> write_all(std::string_view bytes);
  // Waits for at least one byte and returns how many were stored in `buffer`.
  std::variant<size_t, IoError> read_some(char* buffer, size_t capacity);

 private:
  struct Impl;
  explicit TlsStream(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace courier::redis
