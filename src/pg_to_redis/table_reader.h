// The incremental reader of table sync: plans a task's SELECT with a composite cursor and
// reads the table in batches of at most batch_size rows, each ending with the exact
// position (TrackingCursor) to continue from.
//
//   auto reader = TableReader::open(conn, task);           // Result<TableReader>
//   auto batch = reader->first_batch(stored_checkpoint);  // applies `lookback`
//   for (; batch.ok() && !batch->empty(); batch = reader->next_batch(batch->after)) write(*batch);
//
// Why a composite cursor: rows sharing one tracking value may straddle a batch boundary;
// `(tracking, pk) > ($1, $2) ORDER BY tracking, pk` resumes exactly after the last row
// read, where Red Courier's `tracking > $1` skipped the rest of them. Operator "<" walks
// downwards (`<`, ORDER BY … DESC). Without tracking the primary key is the cursor, so a
// full read still goes in bounded batches. Rows whose tracking value is NULL are never
// read (a NULL cannot be placed on the cursor's order); give the column a NOT NULL. A task
// session warns once when such rows exist (null_tracking_sql()).
// Reads are LIMITed queries rather than one single-row-mode stream: each batch is a
// separate short statement (no snapshot or cursor held between batches, column type OIDs
// available), and memory holds one batch. An index on (tracking, pk…) makes each batch a
// range scan.
//
// `where` is operator-supplied SQL, pasted verbatim as `AND (<where>)` — whoever writes the
// config can run any SQL the role may; identifiers are quoted, values are parameters.
//
// Late commits: with a timestamptz or timestamp tracking column (operator ">"), a read
// takes only rows older than the start of the oldest transaction still open in the
// database (pg_stat_activity.xact_start, read once before the run's first page): a row such a
// transaction commits later carries
// a value at least that new (now(), clock_timestamp(), a default), so the checkpoint never
// passes it. A long-open transaction holds the sync back to its start until it ends.
// Integer and date tracking columns get no such bound (docs/table-sync.md, "Guarantees").
//
// Lookback: a run (first_batch) starts `lookback` before the checkpoint's tracking value
// (`tracking >= $1::timestamptz - $2::interval`, for "<": `<= … + …`) instead of right
// after it, so a row committed late with an older timestamp inside the window is still
// delivered. The trade-off: every run re-reads the rows of the window. That is harmless
// for map, set, sorted_set, hash and string (the same write again), but appends
// duplicates to list and stream unless their writer drops rows at or before the stored
// checkpoint. Lookback needs a timestamp, timestamptz or date tracking column; anything
// else is refused by open().
//
// Thread-safety: a TableReader uses its Connection; one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "pg/result.h"
#include "pg/session.h"
#include "pg_to_redis/task_config.h"
#include "pg_to_redis/tracking_cursor.h"

namespace courier::pg_to_redis {

// The SQL of one task's reads (pure: no connection needed, unit-tested as text).
class ReadQuery {
 public:
  // kInvalidArgument for a name quote_identifier rejects, an empty primary key, a
  // batch_size below 1, or lookback without tracking.
  static Result<ReadQuery> plan(const TaskConfig& task, std::vector<std::string> primary_key);

  // The columns selected, each once, in this order: what the task writes (through
  // column_for), then the tracking column, then the primary key.
  const std::vector<std::string>& columns() const { return columns_; }
  // The columns a TrackingCursor holds values of: tracking (if any), then the primary key.
  const std::vector<std::string>& cursor_columns() const { return cursor_columns_; }
  int batch_size() const { return batch_size_; }  // the LIMIT of each read

  enum class Start {
    kBeginning,     // no checkpoint: no cursor predicate, no parameters
    kAfterCursor,   // exactly after the cursor: $1..$n are the cursor values
    kLookbackFrom,  // tracking >= $1 - lookback: $1 tracking value, $2 the interval
  };
  std::string sql(Start start) const;
  // Which Start applies: kLookbackFrom only for a run's first read from a checkpoint of a
  // task with lookback. kInvalidArgument when the cursor does not have one value per cursor
  // column (a checkpoint from before `tracking` or `primary_key` changed), naming `key`.
  Result<Start> start_for(const std::optional<TrackingCursor>& after, bool run_start,
                          const std::string& key) const;
  // The parameters of sql(start) for `after`.
  pg::Params params(Start start, const std::optional<TrackingCursor>& after) const;

  // For a timestamptz or timestamp tracking column walked upwards: read only rows older
  // than the start of the oldest transaction still open in the database, so a transaction
  // that commits late can never put a row behind the checkpoint. Other types: no bound.
  void bound_by_open_transactions(pg::TypeOid tracking_type);
  // With a bound, bound_sql() is run before a run's first page, and its one value is the
  // last parameter (after params()) of that run's page queries.
  bool bounded() const { return !bound_sql_.empty(); }
  const std::string& bound_sql() const { return bound_sql_; }

  // With tracking: one boolean, true when a row the task's `where` selects has a NULL
  // tracking value (such rows are never read). Empty without tracking.
  std::string null_tracking_sql() const;

 private:
  ReadQuery() = default;
  size_t parameter_count(Start start) const;  // what params(start, …) holds
  std::string select_from_;      // SELECT … FROM … WHERE-free head
  std::string not_null_;         // "tracking" IS NOT NULL, or empty
  std::string cursor_list_;      // ("t", "id")
  std::string quoted_tracking_;  // "t", or empty
  std::string where_;            // operator's filter, or empty
  std::string from_;             // "schema"."table"
  std::string order_by_;         // "t", "id"  (with DESC for "<")
  bool descending_ = false;
  std::string lookback_interval_;  // "600000 milliseconds", or empty
  std::string bound_sql_;   // SELECT of the oldest open transaction's start, or empty
  std::string bound_type_;  // "timestamptz" or "timestamp": the bound's cast
  int batch_size_ = 0;
  std::vector<std::string> columns_;
  std::vector<std::string> cursor_columns_;
};

// "schema"."name", each part quoted as an identifier, for SQL.
Result<std::string> quoted_table(const TableName& table);

// A task's primary key from the catalog (pg_index, in key order). kFailedPrecondition,
// naming the table and suggesting `primary_key:`, when it has none; the server's error
// (e.g. undefined table) otherwise.
Result<std::vector<std::string>> discover_primary_key(pg::Session& conn, const TableName& table);

// Why the reader refuses `type` (shown as `type_text`, e.g. "bigint") for the task's tracking
// column `column`; nullopt when it accepts it. `courier validate --check-db` asks the same.
std::optional<std::string> tracking_type_problem(const TaskConfig& task, const std::string& column,
                                                 pg::TypeOid type, std::string_view type_text);

// One batch: the rows as Postgres printed them in text under session_settings_sql()
// (convert each cell with to_redis_value(rows.column_type(c), rows.get(r, c))), and the
// cursor after the last row. Memory: at most batch_size rows.
struct Batch {
  pg::QueryResult rows;
  std::optional<TrackingCursor> after;  // position after the last row; nullopt when empty
  bool last = false;  // fewer rows than batch_size: nothing follows it (the table is drained)

  bool empty() const { return rows.row_count() == 0; }  // empty: the table is drained
};

class TableReader {
 public:
  // Runs session_settings_sql() on `conn`, reads the primary key from the catalog when the
  // task names none, checks lookback's column type and plans the query. Run it again after
  // the connection was re-established (the session settings are per session).
  static Result<TableReader> open(pg::Session& conn, const TaskConfig& task);

  // The first batch of a run, from the stored checkpoint (nullopt: first run, from the
  // beginning), `lookback` applied.
  Result<Batch> first_batch(const std::optional<TrackingCursor>& checkpoint);
  // The batch right after `after` (the previous batch's cursor), no lookback.
  Result<Batch> next_batch(const std::optional<TrackingCursor>& after);

  const ReadQuery& query() const { return query_; }
  const std::vector<std::string>& primary_key() const { return primary_key_; }
  // True when the tracking column may hold NULLs (the catalog has no NOT NULL for it).
  bool tracking_nullable() const { return tracking_nullable_; }

 private:
  TableReader(pg::Session& conn, const TaskConfig& task, std::vector<std::string> pk,
              ReadQuery query);
  Result<Batch> read(const std::optional<TrackingCursor>& after, bool run_start);

  pg::Session* conn_;
  std::string task_name_;
  std::string checkpoint_key_;
  std::vector<std::string> primary_key_;
  ReadQuery query_;
  std::optional<std::string> bound_;  // the run's bound (ReadQuery::bounded()), once asked
  bool tracking_nullable_ = false;
};

}  // namespace courier::pg_to_redis
