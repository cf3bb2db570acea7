#include "redis_to_pg/batch_writer.h"

#include <algorithm>
#include <set>

#include "pg/errors.h"
#include "pg/identifier.h"
#include "pg/transaction.h"

namespace courier::redis_to_pg {
namespace {

// Whether the rows may be written as they are later, rather than looked through now.
bool is_server_state(const Status& failure) {
  return pg::is_server_state_error(failure.detail());
}

// A list of quoted identifiers, "a", "b"; with `prefix` before each ("EXCLUDED.").
Result<std::string> quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    auto quoted = pg::quote_identifier(name);
    if (!quoted.ok()) return quoted.status();
    out += (out.empty() ? "" : ", ") + *quoted;
  }
  return out;
}

std::string conflict_clause(const TableMapping& mapping, const std::string& key) {
  std::string updates;
  for (const ColumnMapping& column : mapping.columns) {
    bool is_key =
        std::find(mapping.key.begin(), mapping.key.end(), column.column) != mapping.key.end();
    if (is_key) continue;
    std::string name = *pg::quote_identifier(column.column);
    updates += (updates.empty() ? "" : ", ") + name + " = EXCLUDED." + name;
  }
  if (mapping.on_conflict == ConflictAction::kNothing || updates.empty())
    return " ON CONFLICT (" + key + ") DO NOTHING";
  return " ON CONFLICT (" + key + ") DO UPDATE SET " + updates;
}

std::string joined(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

Status check_mapping(pg::Connection& connection, const TableMapping& mapping) {
  auto fail = [&](std::string what) {
    return Status(StatusCode::kFailedPrecondition,
                  mapping.location + " (table " + mapping.table + "): " + what);
  };
  auto table = pg::quote_qualified_name(mapping.table);
  if (!table.ok()) return fail(table.status().message());
  auto columns = connection.execute(
      "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 "
      "AND NOT attisdropped",
      {*table});
  if (!columns.ok()) return columns.status();
  if (columns->row_count() == 0) return fail("the table does not exist (or has no columns)");
  std::set<std::string> present;
  for (const pg::Row& row : *columns) present.emplace(row.get(0).value_or(""));
  for (const ColumnMapping& column : mapping.columns) {
    if (!present.contains(column.column))
      return fail("the table has no column '" + column.column + "'");
  }
  auto unique_keys = connection.execute(
      "SELECT string_agg(a.attname, ', ' ORDER BY a.attname) FROM pg_index i "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
      "WHERE i.indrelid = to_regclass($1) AND i.indisunique GROUP BY i.indexrelid",
      {*table});
  if (!unique_keys.ok()) return unique_keys.status();
  std::string key = joined(mapping.key);
  for (const pg::Row& row : *unique_keys) {
    if (row.get(0) == key) return Status::Ok();
  }
  return fail("no primary key or unique index on (" + key +
              "), which 'key' names as the ON CONFLICT target");
}

}  // namespace

Status check_mappings(pg::Connection& connection, const std::vector<TableMapping>& mappings) {
  for (const TableMapping& mapping : mappings) {
    if (Status checked = check_mapping(connection, mapping); !checked.ok()) return checked;
  }
  return Status::Ok();
}

StreamBatchWriter::StreamBatchWriter(pg::Connection& connection,
                                     const std::vector<TableMapping>& mappings)
    : connection_(connection) {
  for (size_t i = 0; i < mappings.size(); ++i) {
    const TableMapping& mapping = mappings[i];
    std::vector<std::string> names;
    for (const ColumnMapping& column : mapping.columns) names.push_back(column.column);
    auto table = pg::quote_qualified_name(mapping.table);
    auto columns = quoted_list(names);
    auto key = quoted_list(mapping.key);
    for (const Status& status : {table.status(), columns.status(), key.status()}) {
      if (!status.ok() && setup_error_.ok())
        setup_error_ =
            Status(StatusCode::kInvalidArgument, mapping.location + ": " + status.message());
    }
    if (!setup_error_.ok()) continue;
    std::string staging = "pg_temp.courier_stage_" + std::to_string(i);
    // The last of several rows with one key wins (DO UPDATE may touch a row only once).
    std::string source = mapping.on_conflict == ConflictAction::kUpdate
                             ? "SELECT DISTINCT ON (" + *key + ") " + *columns + " FROM " +
                                   staging + " ORDER BY " + *key + ", courier_seq DESC"
                             : "SELECT " + *columns + " FROM " + staging;
    sql_.push_back(TableSql{
        .create_staging = "CREATE TEMP TABLE IF NOT EXISTS courier_stage_" + std::to_string(i) +
                          " ON COMMIT DELETE ROWS AS SELECT " + *columns +
                          ", 0::bigint AS courier_seq FROM " + *table + " WITH NO DATA",
        .copy = "COPY " + staging + " (" + *columns + ", courier_seq) FROM STDIN",
        .copy_direct = "COPY " + *table + " (" + *columns + ") FROM STDIN",
        .insert = "INSERT INTO " + *table + " (" + *columns + ") " + source +
                  conflict_clause(mapping, *key),
        .clear = "DELETE FROM " + staging,
    });
  }
}

Status StreamBatchWriter::copy_rows(std::span<const DecodedRow> rows,
                                    const std::vector<size_t>& indices, const std::string& copy_sql,
                                    bool with_seq) {
  auto writer = connection_.begin_copy_in(copy_sql);
  if (!writer.ok()) return writer.status();
  std::vector<pg::CopyField> fields;
  for (size_t index : indices) {
    fields.clear();
    for (const auto& value : rows[index].values)
      fields.push_back(value ? pg::CopyField(*value) : std::nullopt);
    std::string seq = std::to_string(index);
    if (with_seq) fields.push_back(seq);
    if (Status written = writer->write_row(fields); !written.ok()) return written;
  }
  return writer->finish().status();
}

Status StreamBatchWriter::copy_direct(std::span<const DecodedRow> rows) {
  std::vector<std::vector<size_t>> by_mapping(sql_.size());
  for (size_t index = 0; index < rows.size(); ++index)
    by_mapping[rows[index].mapping].push_back(index);
  for (size_t mapping = 0; mapping < sql_.size(); ++mapping) {
    if (by_mapping[mapping].empty()) continue;
    if (Status copied = copy_rows(rows, by_mapping[mapping], sql_[mapping].copy_direct, false);
        !copied.ok())
      return copied;
  }
  return Status::Ok();
}

Status StreamBatchWriter::stage_and_insert(std::span<const DecodedRow> rows,
                                           std::span<const size_t> indices, bool clear_staging) {
  std::vector<std::vector<size_t>> by_mapping(sql_.size());
  for (size_t index : indices) by_mapping[rows[index].mapping].push_back(index);
  for (size_t mapping = 0; mapping < sql_.size(); ++mapping) {
    if (by_mapping[mapping].empty()) continue;
    if (Status copied = copy_rows(rows, by_mapping[mapping], sql_[mapping].copy, true);
        !copied.ok())
      return copied;
    if (auto inserted = connection_.execute(sql_[mapping].insert); !inserted.ok())
      return inserted.status();
    if (!clear_staging) continue;
    if (auto cleared = connection_.execute(sql_[mapping].clear); !cleared.ok())
      return cleared.status();
  }
  return Status::Ok();
}

PartOutcome StreamBatchWriter::write_part(std::span<const DecodedRow> rows,
                                          std::span<const size_t> indices) {
  if (auto saved = connection_.execute("SAVEPOINT courier_rows"); !saved.ok())
    return PartOutcome::stop_with(saved.status());
  Status written = stage_and_insert(rows, indices, indices.size() != rows.size());
  if (written.ok()) {
    auto released = connection_.execute("RELEASE SAVEPOINT courier_rows");
    return released.ok() ? PartOutcome::applied() : PartOutcome::stop_with(released.status());
  }
  if (is_server_state(written)) return PartOutcome::stop_with(written);
  if (auto undone = connection_.execute("ROLLBACK TO SAVEPOINT courier_rows"); !undone.ok())
    return PartOutcome::stop_with(undone.status());
  (void)connection_.execute("RELEASE SAVEPOINT courier_rows");
  return PartOutcome::refused(written);
}

Status StreamBatchWriter::write_transaction(std::span<const DecodedRow> rows, Mode mode,
                                            std::vector<RowRefusal>& refused) {
  auto tx = pg::Transaction::begin(connection_);
  if (!tx.ok()) return tx.status();
  if (mode == Mode::kDirect) {
    if (Status copied = copy_direct(rows); !copied.ok()) return copied;
    if (Status committed = tx->commit(); !committed.ok()) return committed;
    ++commits_;
    return Status::Ok();
  }
  std::vector<bool> used(sql_.size(), false);
  for (const DecodedRow& row : rows) used[row.mapping] = true;
  for (size_t mapping = 0; mapping < sql_.size(); ++mapping) {
    if (!used[mapping]) continue;
    if (auto created = connection_.execute(sql_[mapping].create_staging); !created.ok())
      return created.status();
  }
  Status written;
  if (mode == Mode::kIsolating) {
    written = bisect_refusals(
        rows.size(),
        [&](std::span<const size_t> part) { return write_part(rows, part); }, refused,
        &bisections_);
  } else {
    std::vector<size_t> indices(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) indices[i] = i;
    written = stage_and_insert(rows, indices, false);
  }
  if (!written.ok()) return written;  // the guard rolls back
  if (Status committed = tx->commit(); !committed.ok()) return committed;
  ++commits_;
  return Status::Ok();
}

Result<std::vector<RowRefusal>> StreamBatchWriter::write(std::span<const DecodedRow> rows) {
  if (!setup_error_.ok()) return setup_error_;
  std::vector<RowRefusal> refused;
  if (rows.empty()) return refused;
  // Fastest first: rows never seen before (the usual case) COPY straight into their
  // tables. Any failure but the server's state — a key already there (a redelivery), a
  // refused row, COPY into a table with row-level security — falls back to staging + ON
  // CONFLICT for the whole batch, and a batch failing that way too is written a third
  // time, bisected under savepoints to find the rows refused alone. A missing table or
  // column fails the staging table's creation, before any bisection: no row is blamed.
  Status direct = write_transaction(rows, Mode::kDirect, refused);
  if (direct.ok()) return refused;
  if (is_server_state(direct)) return direct;
  ++fallbacks_;
  Status whole = write_transaction(rows, Mode::kStaged, refused);
  if (whole.ok()) return refused;
  if (is_server_state(whole)) return whole;
  if (Status isolated = write_transaction(rows, Mode::kIsolating, refused); !isolated.ok())
    return isolated;
  return refused;
}

}  // namespace courier::redis_to_pg
