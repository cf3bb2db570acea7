// Status and Result<T>: how every call on Courier's data path reports failure.
//
// A status carries a small fixed code whose meaning tells the caller what to do next:
// retry (the operation may succeed later), or give up on this record (permanent).
// Exceptions are kept for start-up and configuration; the data path returns these.
//
//   courier::Result<int> r = parse_port("80x");
//   if (!r.ok() && r.status().retryable()) schedule_retry();
//   else if (!r.ok()) dead_letter(r.status().message());
//
// Thread-safety: plain values; copy freely, do not share a mutable one between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace courier {

enum class StatusCode {
  kOk,
  // Retryable: the server or network is not available right now (connection lost,
  // timeout, server starting or failing over).
  kUnavailable,
  // Retryable: the operation lost a race (serialization failure, deadlock); running it
  // again as a whole is safe.
  kAborted,
  // Not safely retryable: the connection broke during COMMIT, so the transaction may or
  // may not have been applied. Callers retry only idempotent work.
  kOutcomeUnknown,
  // Permanent: the request itself is wrong (bad SQL, bad payload, syntax, wrong type).
  kInvalidArgument,
  // Permanent: the data violates a rule of the target (constraint violation, WRONGTYPE).
  kFailedPrecondition,
  // Permanent: the thing asked for does not exist.
  kNotFound,
  // The operation was cancelled by a shutdown.
  kCancelled,
  // Permanent: a bug or an unexpected reply from a server.
  kInternal,
};

// Short lower-case name of a code, for logs and metrics labels.
constexpr std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kAborted: return "aborted";
    case StatusCode::kOutcomeUnknown: return "outcome_unknown";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message, std::string detail = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Machine-readable detail from the server: a SQLSTATE for Postgres ("40001"), the
  // error prefix for Redis ("WRONGTYPE"). Empty when there is none.
  const std::string& detail() const { return detail_; }

  // True when running the same operation again may succeed.
  bool retryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kAborted;
  }
  // True when the failure belongs to the request, not the moment: retrying cannot help.
  bool permanent() const {
    return !ok() && !retryable() && code_ != StatusCode::kOutcomeUnknown &&
           code_ != StatusCode::kCancelled;
  }

  // "unavailable: connection refused [08006]"
  std::string to_string() const {
    if (ok()) return "ok";
    std::string out(status_code_name(code_));
    out += ": ";
    out += message_;
    if (!detail_.empty()) out += " [" + detail_ + "]";
    return out;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string detail_;
};

// A value or the status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "a Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  // The error; an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T value_or(T fallback) const { return ok() ? std::get<T>(state_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace courier
