// Classifying Redis failures into courier::Status, and reading MOVED/ASK redirects.
//
//   Status s = status_from_error_reply("WRONGTYPE Operation against a key ...", "LPUSH on h:1");
//   s.code();              // kFailedPrecondition: this command's key or value is at fault
//   record_at_fault(s);    // true: set the record aside, write the others
//
// The code says who is at fault, which says what a pipeline does next:
// - the server's state or the moment (kUnavailable, retryable): I/O errors, EOF, timeouts,
//   LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, BUSY, MOVED, ASK, READONLY, NOREPLICAS, OOM,
//   MISCONF, "ERR max number of clients reached" — and every prefix or ERR message not
//   listed below, so an error we do not know never costs a record.
// - the record (kFailedPrecondition): WRONGTYPE and BUSYKEY on its key, and the ERR
//   messages Redis gives for a value the command cannot take ("ERR value is not a valid
//   float", "ERR value is not an integer or out of range", ...: listed in errors.cpp).
// - the request or the setup (kInvalidArgument, permanent but no record's fault): NOAUTH,
//   WRONGPASS, NOPERM, NOSCRIPT, BUSYGROUP, NOGROUP, CROSSSLOT, and ERR for an unknown
//   command, a syntax error or a wrong number of arguments. EXECABORT is classified by the
//   reason it names ("Transaction discarded because of: MISCONF ..."); without one it is
//   the request's (the queued command's own error says more, and is reported first).
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

// True when Redis refused a command because of the key or value it carries (a Status from
// status_from_error_reply with code kFailedPrecondition): the record may be set aside. False
// for anything else, which a pipeline retries or stops on, never skipping the record.
bool record_at_fault(const Status& status);

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
