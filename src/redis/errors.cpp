#include "redis/errors.h"

#include <charconv>

namespace courier::redis {
namespace {

struct ErrorClass {
  std::string_view prefix;
  StatusCode code;
};

constexpr ErrorClass kErrorClasses[] = {
    {"LOADING", StatusCode::kUnavailable},
    {"TRYAGAIN", StatusCode::kUnavailable},
    {"CLUSTERDOWN", StatusCode::kUnavailable},
    {"MASTERDOWN", StatusCode::kUnavailable},
    {"BUSY", StatusCode::kUnavailable},
    {"MOVED", StatusCode::kUnavailable},
    {"ASK", StatusCode::kUnavailable},
    {"READONLY", StatusCode::kUnavailable},
    {"NOREPLICAS", StatusCode::kUnavailable},
    {"OOM", StatusCode::kUnavailable},
    {"WRONGTYPE", StatusCode::kFailedPrecondition},
    {"NOSCRIPT", StatusCode::kFailedPrecondition},
    {"NOAUTH", StatusCode::kFailedPrecondition},
    {"WRONGPASS", StatusCode::kFailedPrecondition},
    {"NOPERM", StatusCode::kFailedPrecondition},
    {"BUSYGROUP", StatusCode::kFailedPrecondition},
    {"NOGROUP", StatusCode::kFailedPrecondition},
    {"BUSYKEY", StatusCode::kFailedPrecondition},
    {"ERR", StatusCode::kInvalidArgument},
    {"EXECABORT", StatusCode::kInvalidArgument},
    {"CROSSSLOT", StatusCode::kInvalidArgument},
};

StatusCode code_for_prefix(std::string_view prefix) {
  for (const ErrorClass& error_class : kErrorClasses)
    if (error_class.prefix == prefix) return error_class.code;
  return StatusCode::kInternal;
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
  std::string_view prefix = error_prefix(error);
  std::string message =
      context.empty() ? std::string(error) : std::string(context) + ": " + std::string(error);
  return Status(code_for_prefix(prefix), std::move(message), std::string(prefix));
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
  auto [end, failure] = std::from_chars(rest.data(), rest.data() + space, redirect.slot);
  if (failure != std::errc() || end != rest.data() + space) return std::nullopt;
  if (redirect.slot < 0 || redirect.slot >= 16384) return std::nullopt;
  redirect.address = std::string(rest.substr(space + 1));
  if (redirect.address.find(':') == std::string::npos) return std::nullopt;
  return redirect;
}

}  // namespace courier::redis
