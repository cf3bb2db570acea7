// PostgresTableDeadLetterStore: dead letters as rows of one table, one column per letter
// field. The payload is bytea, so any bytes round-trip; error texts and metadata values are
// text (a NUL byte becomes U+FFFD, invalid UTF-8 is replaced likewise). Metadata is a jsonb
// object of strings, so letters can be queried by source: metadata->>'stream' = 'orders'.
// The letter's id is the row's bigserial id, as decimal text.
//
//   courier::PostgresTableDeadLetterStore store(connection, "ops.dead_letters");
//   if (Status made = store.ensure_table(); !made.ok()) return made;
//   auto sent = store.send(letters);  // one INSERT for all of them
//
// Thread-safety: one thread at a time, like the pg::Connection it uses (which must outlive
// the store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "courier/dead_letter.h"
#include "pg/connection.h"

namespace courier {

class PostgresTableDeadLetterStore final : public DeadLetterStore {
 public:
  // `qualified_table` is "table" or "schema.table", as written (case and spaces kept; it
  // is quoted, never pasted). Throws std::invalid_argument when it is not a valid name.
  PostgresTableDeadLetterStore(pg::Connection& connection, std::string_view qualified_table);

  // CREATE TABLE IF NOT EXISTS with the columns below (the schema must exist). Safe to
  // call at every start, from several processes at once.
  //   id bigserial primary key, payload bytea, error text, error_code text,
  //   error_detail text, attempts integer, first_failure timestamptz,
  //   last_failure timestamptz, metadata jsonb, created_at timestamptz default now()
  Status ensure_table();

  // One INSERT statement for all the letters: stored all or none.
  Result<std::vector<std::string>> send(std::span<const DeadLetter> letters) override;
  // Ordered by id. NULLs (rows written by hand) come back as empty values.
  Result<std::vector<DeadLetter>> receive(size_t max) override;
  // An id that is not a decimal number is kInvalidArgument.
  Status remove(std::span<const std::string> ids) override;
  Result<size_t> count() override;
  // The table is unbounded: nothing is ever dropped.
  uint64_t dropped_count() const override { return 0; }

  // The table's name as it appears in SQL: "ops"."dead_letters".
  const std::string& quoted_table() const { return table_; }

 private:
  // `error` with the table's name leading its message.
  Status in_table(const Status& error) const;

  pg::Connection& connection_;
  std::string table_;
};

}  // namespace courier
