// TablePage: one page of a table-sync task's rows, read from Postgres and converted for
// Redis. PageConverter does the converting where the page is read — on polling's
// read-ahead thread, or the snapshot's — so it overlaps the write of the page before it
// instead of adding to it: Courier and Redis otherwise take turns on every page.
//
//   PageConverter converter(task, session);
//   Result<TablePage> page = converter.convert(std::move(batch));   // then applier->apply
//
// A row whose value cannot be converted is not in `write`; it is listed in `problems`,
// and the applier parks it before anything of the page is written.
//
// Thread-safety: a TablePage is immutable and shared. A PageConverter: one call at a time.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "pg_to_redis/row_converter.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/table_reader.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/task_session.h"

namespace courier::pg_to_redis {

struct TablePageData {
  Batch batch;                       // the rows as Postgres returned them
  WriteBatch write;                  // the rows that converted, and the checkpoint after the page
  std::vector<size_t> source_rows;   // for each row of `write`, its index in batch.rows
  std::vector<RowProblem> problems;  // the rows that could not be converted
  std::shared_ptr<const RowConverter> converter;  // names rows in dead letters; null if empty
  // The last row's tracking value in seconds, when it is a time (`courier status` shows
  // how far behind the task is).
  std::optional<double> newest_tracked_seconds;
};

// Shared, so the coordinator can hold a page without copying its rows.
using TablePage = std::shared_ptr<const TablePageData>;

class PageConverter {
 public:
  // `task` and `session` must outlive the converter.
  PageConverter(const TaskConfig& task, TaskSession& session);

  // kInvalidArgument naming the column when the task needs a column the result lacks (see
  // RowConverter::make; checked on the first page of each session).
  Result<TablePage> convert(Batch batch);

 private:
  const TaskConfig& task_;
  TaskSession& session_;
  std::shared_ptr<const RowConverter> converter_;
  unsigned converter_generation_ = 0;   // the session generation the converter was built for
  std::optional<int> tracking_column_;  // index in the result, for newest_tracked_seconds
};

}  // namespace courier::pg_to_redis
