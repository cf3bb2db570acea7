// StreamBatchWriter: writes the rows of one batch of stream entries to Postgres in one
// transaction. Rows with new keys (the usual case) are COPYed straight into their tables;
// when a key is already there (a redelivery), the batch is written instead per table by
// COPY into a temporary staging table, then `INSERT … SELECT … ON CONFLICT (key) DO
// NOTHING` (or DO UPDATE), then COMMIT. Writing again is harmless (the key makes it
// idempotent), so a batch whose commit outcome is unknown is simply written again. A batch
// that fails for anything but the server's state (pg::is_server_state_error: a constraint,
// a bad value, a trigger's RAISE, row-level security…) is bisected under savepoints: each
// row refused alone is reported with its reason, its neighbours committed.
//
//   StreamBatchWriter writer(connection, decoder.mappings());
//   auto refused = writer.write(rows);     // Result<std::vector<RowRefusal>>
//   if (!refused.ok()) retry_later(refused.status());   // nothing was committed
//
// Thread-safety: none; one writer per Connection, used from that connection's thread.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "courier/status.h"
#include "pg/connection.h"
#include "redis_to_pg/entry_decoder.h"
#include "courier/bisect.h"
#include "redis_to_pg/stream_config.h"

namespace courier::redis_to_pg {

// A row the table refused: its index in the rows given to write(), and the server's error
// for it alone (SQLSTATE in detail()).
using RowRefusal = Refusal;

// Checks every mapping against the database before anything is read: the table exists,
// has every mapped column, and its `key` is the column set of a unique index (the ON
// CONFLICT target). kFailedPrecondition naming the mapping and what is missing.
Status check_mappings(pg::Connection& connection, const std::vector<TableMapping>& mappings);

class StreamBatchWriter {
 public:
  // `mappings` are the decoder's; rows refer to them by index. Builds the SQL once.
  StreamBatchWriter(pg::Connection& connection, const std::vector<TableMapping>& mappings);

  // Commits every row Postgres accepts and returns the refused ones. An error (nothing
  // committed) when the batch as a whole failed: connection lost, timeout, missing table…
  Result<std::vector<RowRefusal>> write(std::span<const DecodedRow> rows);

  // Transactions committed and bisection steps taken, for tests and metrics.
  uint64_t commits() const { return commits_; }
  uint64_t bisections() const { return bisections_; }
  // Batches that could not be copied straight into their tables (a key already present).
  uint64_t fallbacks() const { return fallbacks_; }

 private:
  struct TableSql {
    std::string create_staging;  // CREATE TEMP TABLE IF NOT EXISTS … ON COMMIT DELETE ROWS
    std::string copy;            // COPY staging (columns, courier_seq) FROM STDIN
    std::string copy_direct;     // COPY target (columns) FROM STDIN
    std::string insert;          // INSERT INTO target … SELECT … FROM staging ON CONFLICT …
    std::string clear;           // DELETE FROM staging
  };

  enum class Mode {
    kDirect,     // COPY into the tables: only new keys succeed
    kStaged,     // COPY into staging, INSERT … ON CONFLICT, in one piece
    kIsolating,  // staged, bisecting under savepoints to find refused rows
  };
  // One transaction over all `rows`.
  Status write_transaction(std::span<const DecodedRow> rows, Mode mode,
                           std::vector<RowRefusal>& refused);
  Status copy_direct(std::span<const DecodedRow> rows);
  Status copy_rows(std::span<const DecodedRow> rows, const std::vector<size_t>& indices,
                   const std::string& copy_sql, bool with_seq);
  // Stages and inserts `indices` under a savepoint; on any error but the server's state,
  // splits them in two and tries each half, recording single refused rows.
  // One part of a bisection (courier/bisect.h) under a savepoint.
  PartOutcome write_part(std::span<const DecodedRow> rows, std::span<const size_t> indices);
  // `clear_staging`: empty the staging tables afterwards, for the next part of a bisection
  // (otherwise COMMIT empties them: ON COMMIT DELETE ROWS).
  Status stage_and_insert(std::span<const DecodedRow> rows, std::span<const size_t> indices,
                          bool clear_staging);

  pg::Connection& connection_;
  std::vector<TableSql> sql_;  // per mapping
  Status setup_error_;         // a mapping whose names cannot be quoted
  uint64_t commits_ = 0;
  uint64_t bisections_ = 0;
  uint64_t fallbacks_ = 0;
};

}  // namespace courier::redis_to_pg
