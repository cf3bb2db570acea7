// Table-sync tasks checked against the live schema of their database, for
// `courier validate --check-db` and for the error of a run that named a missing column:
// the table exists, every column a task names does, the read can be paged, the tracking
// and score columns have types the reader and writers take, and a `capture: wal` task's
// deletes can be applied with its table's replica identity. Each finding carries the
// task key's path and line:column, like a configuration error.
//
//   auto findings = check_task_schema(conn, task);  // Result<std::vector<SchemaFinding>>
//   for (const SchemaFinding& f : *findings) std::puts(f.to_string("courier.yaml").c_str());
//
// Thread-safety: uses `conn`; one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "courier/status.h"
#include "pg/session.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {

struct SchemaFinding {
  bool warning = false;       // true: worth knowing, the task still runs
  config::ConfigError where;  // path, line:column and what to do

  // "courier.yaml:12:13: tasks[2].fields[1]: column 'stauts' does not exist …", with
  // "warning: " before the message of a warning.
  std::string to_string(std::string_view source_name) const;
};

// Every problem of `task` in the database `conn` is connected to, in the order of the
// task's keys. A Status only when the server did not answer the catalog queries.
Result<std::vector<SchemaFinding>> check_task_schema(pg::Session& conn, const TaskConfig& task);

// For a run that failed with Postgres' undefined_column (SQLSTATE 42703): the same failure
// (code and SQLSTATE kept) saying which task, table and, when one of the task's own
// columns is missing, which column and where the task names it, and suggesting
// `courier validate --check-db`. Any other failure is returned as it is.
Status explain_undefined_column(pg::Session& conn, const TaskConfig& task, const Status& failure);

}  // namespace courier::pg_to_redis
