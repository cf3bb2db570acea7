#include "redis/tls_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace courier::redis {
namespace {

struct SslContextDeleter {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct AddressInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using SslContextPtr = std::unique_ptr<SSL_CTX, SslContextDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using AddressInfoPtr = std::unique_ptr<addrinfo, AddressInfoDeleter>;

// A socket descriptor, closed when dropped.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// The oldest error OpenSSL queued for this thread, or `fallback`; clears the queue.
std::string openssl_reason(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  if (ERR_GET_LIB(code) == ERR_LIB_SYS) return std::strerror(ERR_GET_REASON(code));
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : text;
}

bool is_ip_literal(const std::string& host) {
  in6_addr any;
  return inet_pton(AF_INET, host.c_str(), &any) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &any) == 1;
}

Status connect_failure(const std::string& address, const std::string& reason) {
  return status_from_io_failure(IoFailure::kConnect,
                                "redis TLS: cannot connect to " + address + ": " + reason);
}

Status file_refused(std::string_view setting, const std::string& path) {
  return Status(StatusCode::kInvalidArgument,
                "redis TLS: cannot use redis.tls." + std::string(setting) + " '" + path +
                    "': " + openssl_reason("unreadable") + " (check the file is PEM and readable)");
}

Result<SslContextPtr> make_context(const TlsOptions& tls) {
  SslContextPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context) return Status(StatusCode::kInternal, "redis TLS: " + openssl_reason("no SSL_CTX"));
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(context.get(), tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (tls.verify) {
    bool loaded = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(context.get()) == 1
                                      : SSL_CTX_load_verify_locations(
                                            context.get(), tls.ca_file.c_str(), nullptr) == 1;
    if (!loaded) return file_refused("ca_file", tls.ca_file);
  }
  if (!tls.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(context.get(), tls.cert_file.c_str()) != 1)
    return file_refused("cert_file", tls.cert_file);
  if (!tls.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(context.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return file_refused("key_file", tls.key_file);
    if (SSL_CTX_check_private_key(context.get()) != 1)
      return file_refused("key_file (it does not match cert_file)", tls.key_file);
  }
  return context;
}

// What to check when the server's certificate is refused for `result`.
std::string_view verify_advice(long result) {
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "check redis.tls.server_name, or connect by a name the certificate holds";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "renew the server's certificate, or check this machine's clock";
    default:
      return "check redis.tls.ca_file";
  }
}

// timeval of `timeout` on both directions of `fd`; 0: none.
bool set_socket_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval value{static_cast<time_t>(timeout.count() / 1000),
                static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value) == 0 &&
         setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value) == 0;
}

// Connects to one resolved address within `timeout` (0: the OS default); -1 and errno set
// on failure.
Socket connect_one(const addrinfo& candidate, std::chrono::milliseconds timeout) {
  Socket socket(::socket(candidate.ai_family, candidate.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                         candidate.ai_protocol));
  if (socket.get() < 0) return socket;
  if (::connect(socket.get(), candidate.ai_addr, candidate.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return Socket();
    pollfd waiting{socket.get(), POLLOUT, 0};
    int ready = poll(&waiting, 1, timeout.count() == 0 ? -1 : static_cast<int>(timeout.count()));
    if (ready == 0) errno = ETIMEDOUT;
    if (ready <= 0) return Socket();
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      errno = error;
      return Socket();
    }
  }
  fcntl(socket.get(), F_SETFL, fcntl(socket.get(), F_GETFL) & ~O_NONBLOCK);
  int on = 1;
  setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  setsockopt(socket.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);  // finds dead peers sooner
  return socket;
}

Result<Socket> connect_tcp(const ConnectionOptions& options, const std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int resolved =
      getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &found);
  if (resolved != 0)
    return connect_failure(address, gai_strerror(resolved) + std::string(" (check the host name)"));
  AddressInfoPtr addresses(found);
  int last_errno = 0;
  for (const addrinfo* candidate = found; candidate; candidate = candidate->ai_next) {
    Socket socket = connect_one(*candidate, options.connect_timeout);
    if (socket.get() >= 0) return socket;
    last_errno = errno;
  }
  return connect_failure(address,
                         std::strerror(last_errno) + std::string(" (is the server running?)"));
}

// Maps a failed SSL_read/SSL_write to why; `result` is what it returned.
IoError io_error(SSL* ssl, int result, int saved_errno) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_ZERO_RETURN:
      return {IoFailure::kEof, "the server closed the connection"};
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {IoFailure::kTimeout, "timed out"};
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
        return {IoFailure::kTimeout, "timed out"};
      if (saved_errno == 0) return {IoFailure::kEof, "the server closed the connection"};
      return {IoFailure::kIo, std::strerror(saved_errno)};
    default: {
      std::string reason = openssl_reason("TLS error");
      // TLS 1.3 lets the handshake end before the server checks the client's certificate.
      if (reason.find("certificate required") != std::string::npos)
        reason += " (the server wants a client certificate: set redis.tls.cert_file and key_file)";
      return {IoFailure::kIo, "TLS: " + reason};
    }
  }
}

}  // namespace

struct TlsStream::Impl {
  Socket socket;
  SslContextPtr context;
  SslPtr ssl;
  bool client_certificate = false;
  bool received = false;  // any reply byte yet

  // With TLS 1.3 a server that wants a client certificate says so after the handshake, and
  // its alert can be lost to the reset that follows: a first exchange cut short hints at it.
  IoError failed(int result, int saved_errno) {
    IoError error = io_error(ssl.get(), result, saved_errno);
    bool cut_short = error.kind == IoFailure::kIo || error.kind == IoFailure::kEof;
    if (cut_short && !received && !client_certificate &&
        error.reason.find("certificate") == std::string::npos)
      error.reason +=
          " (if the server requires client certificates, set redis.tls.cert_file and key_file)";
    return error;
  }
};

TlsStream::TlsStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsStream::TlsStream(TlsStream&&) noexcept = default;
TlsStream& TlsStream::operator=(TlsStream&&) noexcept = default;
TlsStream::~TlsStream() = default;

Result<TlsStream> TlsStream::open(const ConnectionOptions& options) {
  const TlsOptions& tls = options.tls;
  const std::string address = options.address().to_string();
  ERR_clear_error();
  Result<SslContextPtr> context = make_context(tls);
  if (!context.ok()) return context.status();
  Result<Socket> socket = connect_tcp(options, address);
  if (!socket.ok()) return socket.status();

  auto impl = std::make_unique<Impl>();
  impl->socket = std::move(*socket);
  impl->context = std::move(*context);
  impl->client_certificate = !tls.cert_file.empty();
  impl->ssl.reset(SSL_new(impl->context.get()));
  SSL* ssl = impl->ssl.get();
  if (!ssl || SSL_set_fd(ssl, impl->socket.get()) != 1)
    return Status(StatusCode::kInternal, "redis TLS: " + openssl_reason("no SSL"));
  const std::string& name = tls.server_name.empty() ? options.host : tls.server_name;
  if (!is_ip_literal(name)) SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI takes names only
  if (tls.verify) {
    bool named = is_ip_literal(name)
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                     : SSL_set1_host(ssl, name.c_str()) == 1;
    if (!named)
      return Status(StatusCode::kInvalidArgument, "redis TLS: cannot check the server name '" +
                                                      name + "' (check redis.tls.server_name)");
  }

  if (!set_socket_timeout(impl->socket.get(), options.connect_timeout))
    return connect_failure(address, std::strerror(errno));
  if (int result = SSL_connect(ssl); result != 1) {
    int saved_errno = errno;
    long verified = SSL_get_verify_result(ssl);
    if (tls.verify && verified != X509_V_OK) {
      ERR_clear_error();
      return status_from_io_failure(IoFailure::kConnect,
                                    "redis TLS: certificate verify failed for " + address + ": " +
                                        X509_verify_cert_error_string(verified) + " (" +
                                        std::string(verify_advice(verified)) + ")");
    }
    IoError error = io_error(ssl, result, saved_errno);
    return connect_failure(address, "TLS handshake failed: " + error.reason +
                                        " (does the server speak TLS on this port?)");
  }
  TlsStream stream(std::move(impl));
  if (std::optional<IoError> error = stream.set_timeout(options.socket_timeout))
    return connect_failure(address, error->reason);
  return stream;
}

std::optional<IoError> TlsStream::set_timeout(std::chrono::milliseconds timeout) {
  if (set_socket_timeout(impl_->socket.get(), timeout)) return std::nullopt;
  return IoError{IoFailure::kIo, std::strerror(errno)};
}

std::optional<IoError> TlsStream::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ERR_clear_error();
    size_t written = 0;
    int result = SSL_write_ex(impl_->ssl.get(), bytes.data(), bytes.size(), &written);
    if (result != 1) return impl_->failed(result, errno);
    bytes.remove_prefix(written);
  }
  return std::nullopt;
}

std::variant<size_t, IoError> TlsStream::read_some(char* buffer, size_t capacity) {
  ERR_clear_error();
  size_t got = 0;
  int result = SSL_read_ex(impl_->ssl.get(), buffer, capacity, &got);
  if (result != 1) return impl_->failed(result, errno);
  impl_->received = true;
  return got;
}

}  // namespace courier::redis
