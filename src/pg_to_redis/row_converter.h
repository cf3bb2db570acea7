// RowConverter: the rows of a batch as Postgres returned them become the SyncRows a
// StructureWriter writes — each value converted by the type rules of value_format.h and
// named the way the task names it (column_map applied: a stream field carries its field
// name, not its column's).
//
//   auto converter = RowConverter::make(task, batch.rows, primary_key);  // Result<…>
//   ConvertedRows converted = converter->convert(batch.rows);
//   for (const RowProblem& p : converted.problems) log(task.name, p.row_identity, p.reason);
//
// A row whose value cannot be converted (a score from a NULL, malformed text) is not
// written: it is reported with its primary key so the operator can find it, and the run
// goes on with the rest (the checkpoint moves past it; fix the row and touch its tracking
// column to sync it again).
//
// Every capture mode converts through here (polling's TablePageApplier, change capture's
// ChangeApplier), so a `string` task's JSON has the same types whichever reads its rows.
//
// Thread-safety: a plain value after make(); convert() is const.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "courier/status.h"
#include "pg/result.h"
#include "pg_to_redis/structure_writer.h"
#include "pg_to_redis/task_config.h"

namespace courier::pg_to_redis {

// A row left out, and why.
struct RowProblem {
  size_t row = 0;            // index in the batch's result
  std::string row_identity;  // the primary key, "id=42" or "tenant=7, id=42"
  std::string reason;
};

struct ConvertedRows {
  std::vector<SyncRow> rows;        // only the rows that converted, in the batch's order
  std::vector<size_t> source_rows;  // for each of rows, its index in the batch's result
  std::vector<RowProblem> problems;
};

class RowConverter {
 public:
  // Plans the conversion for the columns of `sample` (any result of the task's query:
  // names and type OIDs are the same in every batch). kInvalidArgument naming the column
  // when the task needs a column the result lacks, or a score column of a type that
  // cannot be a score (checked once, not per row).
  static Result<RowConverter> make(const TaskConfig& task, const pg::QueryResult& sample,
                                   const std::vector<std::string>& primary_key);

  // `unsent`: columns (by index) whose values the rows do not carry (a change left them
  // out); they are not converted, and each row lists their names in SyncRow::unsent.
  ConvertedRows convert(const pg::QueryResult& rows, std::span<const int> unsent = {}) const;
  // "id=42": the primary key of a row, for messages.
  std::string row_identity(const pg::QueryResult& rows, int row) const;

 private:
  struct NamedColumn {
    std::string name;  // as the task names it (the writer looks it up by this)
    int column = 0;    // index in the result
    bool is_score = false;
  };
  struct KeyColumn {
    std::string name;
    int column = 0;
  };

  std::vector<NamedColumn> columns_;
  std::vector<KeyColumn> primary_key_;
  bool typed_json_ = true;  // false: `json_values: text`, every JSON value a string
};

}  // namespace courier::pg_to_redis
