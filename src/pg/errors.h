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
inline constexpr std::string_view kUndefinedColumn = "42703";
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

// True when a failed statement is to be blamed on the server's or the session's state,
// so that the same rows may well succeed later: retry them as they are. No SQLSTATE (a
// lost connection), 08 connection, 25 transaction state (a read-only replica), 28
// authorization, 3D catalog, 40 rollback (serialization, deadlock), 53 insufficient
// resources, 55 object state (lock timeout), 57 operator intervention (shutdown,
// statement timeout), 58 system error, 72 snapshot, F0 config file, XX internal.
// False for everything else: the statement or one of its rows is at fault (a data
// exception, a constraint, a check option, a trigger's RAISE, row-level security, an
// undefined object…), and a writer that can should look for the rows that fail alone.
bool is_server_state_error(std::string_view sqlstate);

}  // namespace courier::pg
