#include "pg/detail/certificate_diagnosis.h"

#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <chrono>
#include <memory>

namespace courier::pg::detail {
namespace {

using Clock = std::chrono::steady_clock;

struct ConnectionDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct CertificateDeleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreContextDeleter {
  void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

// libpq checks a certificate under sslmode=require whenever its root file exists; a path
// that cannot exist (/dev/null is no directory) turns the check off.
constexpr const char* kNoRootFile = "/dev/null/none";

// Starts a connection and drives it until the TLS handshake is over and the startup
// packet sent: before the server asks for a password, so none is ever sent.
std::unique_ptr<PGconn, ConnectionDeleter> handshake_only(const ConnectionOptions& options) {
  ConnectionOptions probe = options;
  probe.sslmode = "require";
  probe.sslrootcert = kNoRootFile;
  probe.password.clear();
  std::unique_ptr<PGconn, ConnectionDeleter> conn(PQconnectStart(probe.conninfo().c_str()));
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) return nullptr;
  const auto limit =
      options.connect_timeout.count() > 0 ? options.connect_timeout : std::chrono::seconds(10);
  const auto deadline = Clock::now() + limit;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (PQstatus(conn.get()) != CONNECTION_AWAITING_RESPONSE) {
    if (state == PGRES_POLLING_FAILED || state == PGRES_POLLING_OK) return nullptr;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd waiting{PQsocket(conn.get()),
                   static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || poll(&waiting, 1, static_cast<int>(left.count())) <= 0) return nullptr;
    state = PQconnectPoll(conn.get());
  }
  return conn;
}

}  // namespace

std::optional<std::string> certificate_refusal_reason(const ConnectionOptions& options) {
  if (options.sslrootcert.empty()) return std::nullopt;
  auto conn = handshake_only(options);
  auto* ssl = conn ? static_cast<SSL*>(PQsslStruct(conn.get(), "OpenSSL")) : nullptr;
  if (ssl == nullptr) return std::nullopt;
  std::unique_ptr<X509, CertificateDeleter> certificate(SSL_get1_peer_certificate(ssl));
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreContextDeleter> context(X509_STORE_CTX_new());
  if (!certificate || !store || !context ||
      X509_STORE_load_file(store.get(), options.sslrootcert.c_str()) != 1 ||
      X509_STORE_CTX_init(context.get(), store.get(), certificate.get(),
                          SSL_get_peer_cert_chain(ssl)) != 1)
    return std::nullopt;
  if (X509_verify_cert(context.get()) == 1) return std::nullopt;
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
}

}  // namespace courier::pg::detail
