#include "pg/migrations.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "pg/identifier.h"
#include "pg/transaction.h"
#include "text/integer.h"

namespace courier::pg {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// The same Status with `context` in front of its message (code and SQLSTATE kept).
Status with_context(const Status& status, const std::string& context) {
  return Status(status.code(), context + ": " + status.message(), status.detail());
}

bool is_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Releases the session advisory lock when the call ends, however it ends. A lost
// connection releases it on the server side anyway.
class AdvisoryLockGuard {
 public:
  AdvisoryLockGuard(Connection& connection, std::string key)
      : connection_(connection), key_(std::move(key)) {}
  ~AdvisoryLockGuard() {
    if (held_)
      (void)connection_.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {key_});
  }
  AdvisoryLockGuard(const AdvisoryLockGuard&) = delete;
  AdvisoryLockGuard& operator=(const AdvisoryLockGuard&) = delete;

  // Waits until no other session holds the lock.
  Status acquire() {
    auto locked = connection_.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", {key_});
    if (!locked.ok()) return locked.status();
    held_ = true;
    return Status::Ok();
  }

 private:
  Connection& connection_;
  std::string key_;
  bool held_ = false;
};

// Lifts the session's statement_timeout while migrations run (an index build or a
// waiting lock may take long) and puts the previous one back when the call ends.
class StatementTimeoutLift {
 public:
  explicit StatementTimeoutLift(Connection& connection)
      : connection_(connection), previous_(connection.statement_timeout()) {}
  ~StatementTimeoutLift() {
    if (lifted_) (void)connection_.set_statement_timeout(previous_);
  }
  StatementTimeoutLift(const StatementTimeoutLift&) = delete;
  StatementTimeoutLift& operator=(const StatementTimeoutLift&) = delete;

  Status lift() {
    if (previous_.count() == 0) return Status::Ok();
    if (Status set = connection_.set_statement_timeout({}); !set.ok()) return set;
    lifted_ = true;
    return Status::Ok();
  }

 private:
  Connection& connection_;
  std::chrono::milliseconds previous_;
  bool lifted_ = false;
};

struct AppliedMigration {
  std::string name;
  std::string checksum;
};

Result<std::map<int64_t, AppliedMigration>> read_history(Connection& connection,
                                                         const std::string& table,
                                                         const std::string& scope) {
  auto rows = connection.execute(
      "SELECT version, name, checksum FROM " + table + " WHERE scope = $1", {scope});
  if (!rows.ok()) return rows.status();
  std::map<int64_t, AppliedMigration> applied;
  for (const Row& row : *rows) {
    int64_t version = text::parse_integer(row.get(0).value_or("")).value_or(0);
    applied[version] = {std::string(row.get(1).value_or("")), std::string(row.get(2).value_or(""))};
  }
  return applied;
}

Status apply_one(Connection& connection, const std::string& table, const std::string& scope,
                 const Migration& migration) {
  auto tx = Transaction::begin(connection);
  if (!tx.ok()) return tx.status();
  if (Status ran = connection.execute_script(migration.sql); !ran.ok()) return ran;
  auto recorded = connection.execute(
      "INSERT INTO " + table + " (scope, version, name, checksum) VALUES ($1, $2, $3, $4)",
      {scope, std::to_string(migration.version), migration.name,
       migration_checksum(migration.sql)});
  if (!recorded.ok()) return recorded.status();
  return tx->commit();
}

}  // namespace

std::string migration_label(const Migration& migration) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%04lld", static_cast<long long>(migration.version));
  return std::string(digits) + "_" + migration.name;
}

std::string migration_checksum(std::string_view sql) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\r' && i + 1 < sql.size() && sql[i + 1] == '\n') continue;
    hash ^= static_cast<unsigned char>(sql[i]);
    hash *= 1099511628211ull;  // FNV prime
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

Result<Migration> parse_migration_file_name(std::string_view file_name) {
  auto refuse = [&] {
    return invalid("migration file '" + std::string(file_name) +
                   "' must be named NNNN_name.sql (digits, '_', letters/digits/'_'/'-')");
  };
  constexpr std::string_view kExtension = ".sql";
  if (file_name.size() <= kExtension.size() || !file_name.ends_with(kExtension)) return refuse();
  std::string_view stem = file_name.substr(0, file_name.size() - kExtension.size());
  size_t underscore = stem.find('_');
  if (underscore == 0 || underscore == std::string_view::npos || underscore + 1 == stem.size())
    return refuse();
  std::string_view digits = stem.substr(0, underscore);
  std::string_view name = stem.substr(underscore + 1);
  Migration migration;
  std::optional<int64_t> version = text::parse_integer(digits);
  if (!version) return refuse();
  migration.version = *version;
  if (!std::all_of(name.begin(), name.end(), is_name_character)) return refuse();
  migration.name = std::string(name);
  return migration;
}

Result<std::vector<Migration>> sorted_migrations(std::vector<Migration> migrations) {
  std::stable_sort(migrations.begin(), migrations.end(),
                   [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& migration = migrations[i];
    if (migration.version <= 0)
      return invalid("migration '" + migration.name + "' has version " +
                     std::to_string(migration.version) + "; versions start at 1");
    if (migration.sql.find_first_not_of(" \t\r\n") == std::string::npos)
      return invalid("migration " + migration_label(migration) + " has no SQL");
    if (i > 0 && migrations[i - 1].version == migration.version)
      return invalid("migrations " + migration_label(migrations[i - 1]) + " and " +
                     migration_label(migration) + " share version " +
                     std::to_string(migration.version));
  }
  return migrations;
}

Result<std::vector<Migration>> load_migrations_from_directory(
    const std::filesystem::path& directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error))
    return Status(StatusCode::kNotFound,
                  "migrations directory '" + directory.string() + "' does not exist");
  std::vector<Migration> migrations;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    auto migration = parse_migration_file_name(entry.path().filename().string());
    if (!migration.ok()) return with_context(migration.status(), directory.string());
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    if (!file) return invalid("cannot read migration file '" + entry.path().string() + "'");
    migration->sql = content.str();
    migrations.push_back(std::move(*migration));
  }
  if (error)
    return invalid("cannot list migrations directory '" + directory.string() +
                   "': " + error.message());
  return sorted_migrations(std::move(migrations));
}

Result<MigrationReport> apply_migrations(Connection& connection,
                                         const std::vector<Migration>& migrations,
                                         const MigrationOptions& options) {
  auto sorted = sorted_migrations(migrations);
  if (!sorted.ok()) return sorted.status();
  auto table = quote_qualified_name(options.history_table);
  if (!table.ok()) return with_context(table.status(), "migration history table");

  StatementTimeoutLift no_timeout(connection);
  if (Status lifted = no_timeout.lift(); !lifted.ok())
    return with_context(lifted, "cannot lift the statement_timeout for migrations");
  AdvisoryLockGuard lock(connection, "courier migrations " + options.history_table);
  if (Status locked = lock.acquire(); !locked.ok())
    return with_context(locked, "cannot take the migrations lock");
  // Under the lock, so concurrent first starts do not race on CREATE TABLE.
  Status created = connection.execute_script(
      "CREATE TABLE IF NOT EXISTS " + *table +
      " (scope text NOT NULL, version bigint NOT NULL, name text NOT NULL,"
      " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),"
      " PRIMARY KEY (scope, version))");
  if (!created.ok()) return with_context(created, "cannot create " + options.history_table);
  auto history = read_history(connection, *table, options.scope);
  if (!history.ok()) return with_context(history.status(), "cannot read " + options.history_table);

  MigrationReport report;
  for (const Migration& migration : *sorted) {
    auto applied = history->find(migration.version);
    if (applied == history->end()) continue;
    std::string checksum = migration_checksum(migration.sql);
    if (applied->second.checksum != checksum)
      return Status(StatusCode::kFailedPrecondition,
                    "migration " + migration_label(migration) + " (scope '" + options.scope +
                        "') was changed after it was applied (recorded checksum " +
                        applied->second.checksum + ", now " + checksum +
                        "); add a new migration instead of editing an applied one");
    report.already_applied.push_back(migration.version);
  }
  for (const auto& [version, applied] : *history) {
    bool known = std::any_of(sorted->begin(), sorted->end(),
                             [&](const Migration& m) { return m.version == version; });
    if (!known) report.unknown_applied.push_back(version);
  }
  for (const Migration& migration : *sorted) {
    if (history->contains(migration.version)) continue;
    if (Status applied = apply_one(connection, *table, options.scope, migration); !applied.ok())
      return with_context(applied, "migration " + migration_label(migration) + " (scope '" +
                                       options.scope + "') failed");
    report.applied.push_back(migration.version);
  }
  return report;
}

}  // namespace courier::pg
