// Versioned schema migrations: numbered SQL scripts applied once each, in version order,
// each in its own transaction, under a Postgres advisory lock so that several instances
// starting together apply every script exactly once. Applied versions are recorded with
// a checksum in a history table; a script changed after it was applied is an error that
// names it. A module embeds its schema as an in-memory list; operators keep theirs as
// `NNNN_name.sql` files in a directory. Each list has its own `scope` in the history.
//
//   auto scripts = courier::pg::load_migrations_from_directory("migrations/");
//   auto report = courier::pg::apply_migrations(conn, *scripts, {.scope = "orders"});
//   if (report.ok()) log("applied {} migrations", report->applied.size());
//
// Thread-safety: pure functions are safe from any thread; apply_migrations uses the given
// Connection from the calling thread only. Separate processes may apply concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "pg/connection.h"

namespace courier::pg {

struct Migration {
  int64_t version = 0;  // positive; scripts run in ascending order
  std::string name;     // e.g. "create_events" (from 0001_create_events.sql)
  std::string sql;      // one or more statements; no BEGIN/COMMIT, nothing that refuses
                        // to run inside a transaction (CREATE INDEX CONCURRENTLY)
};

struct MigrationOptions {
  // Separates independent lists of migrations kept in the same history table.
  std::string scope = "default";
  // History table (schema-qualified allowed), created when missing.
  std::string history_table = "courier_schema_migrations";
};

struct MigrationReport {
  std::vector<int64_t> applied;          // versions applied by this call, in order
  std::vector<int64_t> already_applied;  // versions found applied with matching checksums
  // Versions recorded in the history for this scope but absent from the given list
  // (applied by a newer release); left alone.
  std::vector<int64_t> unknown_applied;
};

// "0007_add_index" for logs and errors.
std::string migration_label(const Migration& migration);

// A 16-hex-digit FNV-1a digest of the SQL with CRLF read as LF: detects a changed script
// (it is not a security hash).
std::string migration_checksum(std::string_view sql);

// Parses "0001_create_events.sql" into version 1 and name "create_events".
// kInvalidArgument for anything else (no digits, no name, other extension).
Result<Migration> parse_migration_file_name(std::string_view file_name);

// Sorts by version; kInvalidArgument naming both when two share a version, or naming a
// migration with a non-positive version or empty SQL.
Result<std::vector<Migration>> sorted_migrations(std::vector<Migration> migrations);

// Reads every `*.sql` file in `directory` (other files are ignored, so a README may sit
// beside them). kNotFound when the directory does not exist; kInvalidArgument naming the
// file when a `.sql` file's name does not follow NNNN_name.sql or versions repeat.
Result<std::vector<Migration>> load_migrations_from_directory(
    const std::filesystem::path& directory);

// Applies the pending migrations of `options.scope` in version order. Holds a session
// advisory lock (keyed by the history table) for the whole call; each migration runs
// with its history row in one transaction, so a failing script leaves nothing behind.
// Before applying anything, every already applied migration's checksum is compared:
// a mismatch is kFailedPrecondition naming the migration. A failing script returns its
// error prefixed with the migration's label; earlier migrations stay applied.
Result<MigrationReport> apply_migrations(Connection& connection,
                                         const std::vector<Migration>& migrations,
                                         const MigrationOptions& options = {});

}  // namespace courier::pg
