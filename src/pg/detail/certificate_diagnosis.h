// Why libpq refused the server's certificate. libpq 15 says only "certificate verify
// failed", whether the CA is unknown or the certificate has expired; this finds out which.
//
//   if (auto reason = certificate_refusal_reason(options)) message += " (" + *reason + ")";
//
// Thread-safety: reentrant.
#pragma once

#include <optional>
#include <string>

#include "pg/connection_options.h"

namespace courier::pg::detail {

// Takes the server's certificate in a second TLS handshake that checks nothing and sends
// no password (it stops before authentication; the server sees the user and database
// names only), then verifies it against
// options.sslrootcert as libpq does: OpenSSL's reason, e.g. "certificate has expired".
// nullopt when there is no sslrootcert, the certificate verifies, or the server cannot be
// reached within options.connect_timeout.
std::optional<std::string> certificate_refusal_reason(const ConnectionOptions& options);

}  // namespace courier::pg::detail
