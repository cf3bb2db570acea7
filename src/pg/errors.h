// PostgreSQL errors as courier::Status: classified by SQLSTATE (never by message text) so
// callers know whether to retry, and carrying the SQLSTATE in Status::detail().
//
//   Status s = courier::pg::status_from_sqlstate("40001", "could not serialize access");
//   // s.code() == StatusCode::kAborted, s.retryable(), s.detail() == "40001"
//   if (s.detail() == courier::pg::sqlstate::kUniqueViolation) { /* duplicate key */ }
//
// Thread-safety: pure functions and constants; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "courier/status.h"

namespace courier::pg {

// SQLSTATE codes callers commonly test for in Status::detail().
namespace sqlstate {
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";
inline constexpr std::string_view kNotNullViolation = "23502";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kCrashShutdown = "57P02";
inline constexpr std::string_view kCannotConnectNow = "57P03";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kUndefinedTable = "42P01";
inline constexpr std::string_view kInsufficientPrivilege = "42501";
inline constexpr std::string_view kRaiseException = "P0001";
}  // namespace sqlstate

// The Status code for a SQLSTATE:
//   08xxx (connection exception), 57P01/57P02/57P03 (server shutting down or starting)
//       -> kUnavailable (retryable)
//   40001 (serialization failure), 40P01 (deadlock)  -> kAborted (retryable)
//   23xxx (integrity constraint violation)           -> kFailedPrecondition
//   22xxx (data exception), 42xxx (syntax, undefined object, privilege)
//                                                    -> kInvalidArgument
//   anything else (including a malformed code)       -> kInternal (permanent)
StatusCode status_code_for_sqlstate(std::string_view sqlstate);

// A Status with the code above, `message` as its message and the SQLSTATE as detail.
Status status_from_sqlstate(std::string_view sqlstate, std::string message);

// Who a failed write is to blame on, for a writer that can set single rows aside.
enum class FailureBlame {
  // The server's or the session's state: the same rows may succeed later, so retry.
  // No SQLSTATE (a lost connection), 08 connection, 25 transaction state (a read-only
  // replica), 28 authorization, 3D catalog, 40 rollback (serialization, deadlock), 53
  // insufficient resources, 55 object state (lock timeout), 57 operator intervention
  // (shutdown, statement timeout), 58 system error, 72 snapshot, F0 config file, XX internal.
  kServer,
  // The statement, whatever its rows: 42 syntax or access rule (undefined table or column,
  // except 42501), 0A feature not supported, 26, 2D, 34, 3B, 3F. Fewer rows cannot help.
  kStatement,
  // Anything else may come from one row and is set aside with it: 22 data exception, 23
  // integrity, 44 check option, 54 program limit, P0 a trigger's RAISE, 42501 row-level
  // security (also a missing grant, which then refuses every row), ...
  kRow,
};

// Who `sqlstate` (a Postgres error's Status::detail(), empty when it has none) blames.
FailureBlame blame_for_sqlstate(std::string_view sqlstate);

}  // namespace courier::pg
