// Session: what code that only runs statements needs of a PostgreSQL session — execute,
// execute a script, and start over on a new session. Connection (libpq) is the one real
// implementation; code written against Session (table sync's reader and lease) can be
// unit-tested with a fake that answers from QueryResult::from_values.
//
//   Result<bool> locked(pg::Session& db, const std::string& key) {
//     auto row = db.execute("SELECT pg_try_advisory_lock(hashtext($1))", {key});
//     if (!row.ok()) return row.status();
//     return row->get(0, 0) == "t";
//   }
//
// Thread-safety: none; as for Connection, one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "pg/result.h"

namespace courier::pg {

// Statement parameters for $1, $2, ... in text form; std::nullopt is SQL NULL.
using Params = std::vector<std::optional<std::string>>;

class Session {
 public:
  virtual ~Session() = default;

  // One statement; values travel separately from the SQL text.
  virtual Result<QueryResult> execute(std::string_view sql, const Params& params) = 0;
  Result<QueryResult> execute(std::string_view sql) { return execute(sql, Params{}); }
  // Several ';'-separated statements without parameters.
  virtual Status execute_script(std::string_view sql) = 0;
  // False once the session was lost; reconnect() starts a new one (session state, locks
  // and prepared statements of the old one are gone).
  virtual bool is_open() const = 0;
  virtual Status reconnect() = 0;
};

}  // namespace courier::pg
