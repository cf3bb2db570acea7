#include "pg/errors.h"

namespace courier::pg {

StatusCode status_code_for_sqlstate(std::string_view code) {
  if (code.size() != 5) return StatusCode::kInternal;
  std::string_view error_class = code.substr(0, 2);
  if (code == sqlstate::kSerializationFailure || code == sqlstate::kDeadlockDetected) {
    return StatusCode::kAborted;
  }
  // 57014: statement_timeout (or a cancel) ended it; the server was slow, not the request wrong.
  if (error_class == "08" || code == sqlstate::kAdminShutdown || code == sqlstate::kCrashShutdown ||
      code == sqlstate::kCannotConnectNow || code == sqlstate::kQueryCanceled) {
    return StatusCode::kUnavailable;
  }
  if (error_class == "23") return StatusCode::kFailedPrecondition;
  if (error_class == "22" || error_class == "42") return StatusCode::kInvalidArgument;
  return StatusCode::kInternal;
}

Status status_from_sqlstate(std::string_view code, std::string message) {
  return Status(status_code_for_sqlstate(code), std::move(message), std::string(code));
}

bool is_server_state_error(std::string_view code) {
  static constexpr std::string_view kServerStateClasses[] = {"08", "25", "28", "3D", "40", "53",
                                                             "55", "57", "58", "72", "F0", "XX"};
  if (code.size() != 5) return true;
  for (std::string_view server_state : kServerStateClasses)
    if (code.substr(0, 2) == server_state) return true;
  return false;
}

}  // namespace courier::pg
