// Classifying Redis failures into courier::Status, and reading MOVED/ASK redirects.
//
//   Status s = status_from_error_reply("WRONGTYPE Operation against a key ...", "LPUSH on h:1");
//   s.code();    // kFailedPrecondition: permanent, dead-letter the record
//   s.detail();  // "WRONGTYPE"
//
// Retryable (kUnavailable): I/O errors, EOF, timeouts, and the server saying "not now":
// LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, BUSY, MOVED, ASK, READONLY, NOREPLICAS, OOM.
// Permanent: WRONGTYPE, NOSCRIPT, NOAUTH, WRONGPASS, NOPERM, BUSYGROUP, NOGROUP, BUSYKEY
// (kFailedPrecondition: the data or server setup is not as the command needs); ERR (syntax,
// unknown command, bad arguments), EXECABORT, CROSSSLOT (kInvalidArgument: the request is
// wrong); anything else is kInternal.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "redis/command.h"
#include "redis/reply.h"

namespace courier::redis {

// How a connection failed, below the level of Redis replies.
enum class IoFailure {
  kConnect,   // could not connect (refused, unreachable, name not resolved); nothing was sent
  kTimeout,   // no progress within the socket timeout
  kEof,       // the server closed the connection
  kIo,        // read or write failed (reset, broken pipe)
  kProtocol,  // the bytes received are not RESP: not a Redis server, or a corrupt stream
};

// First word of an error reply: "WRONGTYPE" for "WRONGTYPE Operation against ...".
std::string_view error_prefix(std::string_view error);

// Status for an error reply; `context` (e.g. "GET on 127.0.0.1:6379") leads the message.
Status status_from_error_reply(std::string_view error, std::string_view context = {});

// Status for a connection failure; detail "CONNECT", "TIMEOUT", "EOF", "IO" or "PROTOCOL".
Status status_from_io_failure(IoFailure failure, std::string message);

// The reply itself, or its Status when it is an error reply.
Result<Reply> reply_or_error(Reply reply, const Command& command, std::string_view address);

// A cluster redirect: "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381".
struct Redirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  int slot = 0;
  std::string address;  // "host:port"; the host may be empty when the node does not know it
};

std::optional<Redirect> parse_redirect(std::string_view error);

}  // namespace courier::redis
