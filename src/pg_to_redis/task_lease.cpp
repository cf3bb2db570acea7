#include "pg_to_redis/task_lease.h"

#include <utility>

namespace courier::pg_to_redis {

Result<std::optional<TaskLease>> TaskLease::try_acquire(pg::Session& conn,
                                                        std::string_view task_name) {
  std::string key_text = "courier.table_sync:" + std::string(task_name);
  auto locked = conn.execute("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", {key_text});
  if (!locked.ok()) return locked.status();
  if (locked->get(0, 0) != "t") return std::optional<TaskLease>();
  return std::optional<TaskLease>(TaskLease(conn, std::move(key_text)));
}

TaskLease::TaskLease(TaskLease&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), key_text_(std::move(other.key_text_)) {}

TaskLease::~TaskLease() {
  (void)release();
}

Status TaskLease::release() {
  pg::Session* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr || !conn->is_open()) return Status::Ok();
  auto unlocked = conn->execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {key_text_});
  return unlocked.ok() ? Status::Ok() : unlocked.status();
}

}  // namespace courier::pg_to_redis
