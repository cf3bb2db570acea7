#include "redis/errors.h"

#include <algorithm>
#include <span>

#include "text/integer.h"

namespace courier::redis {
namespace {

// Who is at fault, by the first word of the reply; a prefix in neither list is the
// server's state (see the header).
constexpr std::string_view kRecordPrefixes[] = {
    "WRONGTYPE",  // the record's key holds another type
    "BUSYKEY",    // the record's key exists already
};
constexpr std::string_view kRequestPrefixes[] = {
    "NOSCRIPT", "NOAUTH", "WRONGPASS", "NOPERM", "BUSYGROUP", "NOGROUP", "CROSSSLOT",
};

// ERR says nothing by itself: the message does. How Redis's messages begin when one
// argument — a record's value — cannot be what the command needs, and when the command
// itself is wrong. Every other ERR (max number of clients reached, errors of scripts and
// modules, ...) is taken for the server's state.
constexpr std::string_view kRecordErrMessages[] = {
    "value is not a valid float",
    "value is not an integer or out of range",
    "value is out of range",
    "increment or decrement would overflow",
    "increment would produce NaN or Infinity",
    "hash value is not an integer",
    "hash value is not a float",
    "resulting score is not a number (NaN)",
    "bit offset is not an integer or out of range",
    "offset is out of range",
    "string exceeds maximum allowed size",
    "Invalid stream ID specified as stream command argument",
    "The ID specified in XADD",
};
constexpr std::string_view kRequestErrMessages[] = {
    "syntax error",
    "unknown command",
    "unknown subcommand",
    "wrong number of arguments",
    "DB index is out of range",  // SELECT: the connection settings
    "invalid DB index",
    "SELECT is not allowed in cluster mode",
    "This instance has cluster support disabled",
    "AUTH <password> called without any password configured",
    "Client sent AUTH, but no password is set",
    "invalid password",
};

bool listed(std::span<const std::string_view> list, std::string_view word) {
  return std::ranges::find(list, word) != list.end();
}

bool starts_with_any(std::string_view text, std::span<const std::string_view> starts) {
  return std::ranges::any_of(starts,
                             [&](std::string_view start) { return text.starts_with(start); });
}

constexpr std::string_view kExecAbortReason = "Transaction discarded because of: ";

StatusCode code_for_error(std::string_view error) {
  const std::string_view prefix = error_prefix(error);
  if (prefix == "ERR") {
    const std::string_view message = error.substr(std::min(error.size(), prefix.size() + 1));
    if (starts_with_any(message, kRecordErrMessages)) return StatusCode::kFailedPrecondition;
    if (starts_with_any(message, kRequestErrMessages)) return StatusCode::kInvalidArgument;
    return StatusCode::kUnavailable;
  }
  if (prefix == "EXECABORT") {
    const size_t reason = error.find(kExecAbortReason);
    if (reason == std::string_view::npos) return StatusCode::kInvalidArgument;
    return code_for_error(error.substr(reason + kExecAbortReason.size()));
  }
  if (listed(kRecordPrefixes, prefix)) return StatusCode::kFailedPrecondition;
  if (listed(kRequestPrefixes, prefix)) return StatusCode::kInvalidArgument;
  return StatusCode::kUnavailable;
}

std::string_view io_failure_detail(IoFailure failure) {
  switch (failure) {
    case IoFailure::kConnect:
      return "CONNECT";
    case IoFailure::kTimeout:
      return "TIMEOUT";
    case IoFailure::kEof:
      return "EOF";
    case IoFailure::kIo:
      return "IO";
    case IoFailure::kProtocol:
      return "PROTOCOL";
  }
  return "IO";
}

}  // namespace

std::string_view error_prefix(std::string_view error) {
  return error.substr(0, error.find(' '));
}

Status status_from_error_reply(std::string_view error, std::string_view context) {
  std::string message =
      context.empty() ? std::string(error) : std::string(context) + ": " + std::string(error);
  return Status(code_for_error(error), std::move(message), std::string(error_prefix(error)));
}

bool record_at_fault(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition;
}

Status status_from_io_failure(IoFailure failure, std::string message) {
  StatusCode code =
      failure == IoFailure::kProtocol ? StatusCode::kInternal : StatusCode::kUnavailable;
  return Status(code, std::move(message), std::string(io_failure_detail(failure)));
}

Result<Reply> reply_or_error(Reply reply, const Command& command, std::string_view address) {
  if (!reply.is_error()) return reply;
  return status_from_error_reply(reply.str(),
                                 command_name(command) + " on " + std::string(address));
}

std::optional<Redirect> parse_redirect(std::string_view error) {
  Redirect redirect;
  std::string_view prefix = error_prefix(error);
  if (prefix == "MOVED") {
    redirect.kind = Redirect::Kind::kMoved;
  } else if (prefix == "ASK") {
    redirect.kind = Redirect::Kind::kAsk;
  } else {
    return std::nullopt;
  }
  std::string_view rest = error.substr(prefix.size());
  if (!rest.starts_with(' ')) return std::nullopt;
  rest.remove_prefix(1);
  size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::optional<int> slot =
      text::parse_integer<int>(rest.substr(0, space), {.min = 0, .max = 16383});
  if (!slot) return std::nullopt;
  redirect.slot = *slot;
  redirect.address = std::string(rest.substr(space + 1));
  if (redirect.address.find(':') == std::string::npos) return std::nullopt;
  return redirect;
}

}  // namespace courier::redis
