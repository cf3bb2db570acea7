// TaskLease: "this process runs task X now" — a Postgres session-level advisory lock per
// task, so several courier processes on one config never run the same task at once.
// When a process dies its session ends and Postgres frees the lock; another process takes
// the task at its next tick. No coordinator of our own: the database is the arbiter.
//
//   auto lease = TaskLease::try_acquire(conn, "orders_stream");   // Result<optional<…>>
//   if (lease.ok() && !*lease) log("running in another courier process; skipped");
//   // ... run; the lease is released when it goes out of scope
//
// The lock key is hashtextextended('courier.table_sync:' || name, 0): a 64-bit key, so two
// task names colliding is practically impossible, and other applications' locks (which
// rarely use this exact key space) are not disturbed.
//
// Thread-safety: a lease uses its Connection; one thread at a time. Release it (or let it
// go out of scope) before the Connection is destroyed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "pg/session.h"

namespace courier::pg_to_redis {

class TaskLease {
 public:
  // Tries once, without waiting. nullopt: another session holds the task's lock.
  static Result<std::optional<TaskLease>> try_acquire(pg::Session& conn,
                                                      std::string_view task_name);

  TaskLease(TaskLease&& other) noexcept;
  TaskLease& operator=(TaskLease&&) = delete;
  TaskLease(const TaskLease&) = delete;
  ~TaskLease();  // releases; a lost session released it already

  // Releases now; an error only when the session is up and the unlock failed.
  Status release();

 private:
  TaskLease(pg::Session& conn, std::string key_text) : conn_(&conn), key_text_(key_text) {}

  pg::Session* conn_;  // nullptr once released or moved from
  std::string key_text_;  // "courier.table_sync:<name>"
};

}  // namespace courier::pg_to_redis
