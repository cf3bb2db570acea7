// Identifier quoting: turns table, schema and column names from configuration into SQL
// identifiers that cannot change the meaning of a statement. Values never go through
// here; they travel as query parameters.
//
//   auto table = courier::pg::quote_qualified_name("sales.orders");  // "sales"."orders"
//   if (!table.ok()) return table.status();
//   conn.execute("SELECT count(*) FROM " + *table);
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "courier/status.h"

namespace courier::pg {

// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1); longer ones would be silently
// truncated by the server and could collide, so they are rejected.
inline constexpr size_t kMaxIdentifierBytes = 63;

// `order` -> "order", `say "hi"` -> "say ""hi""". Rejects an empty name, a NUL byte and
// names longer than kMaxIdentifierBytes with kInvalidArgument. Case is kept as written.
Result<std::string> quote_identifier(std::string_view name);

// `sales.orders` -> "sales"."orders"; each dot-separated part (one to three: table,
// schema.table or database.schema.table) is quoted as by quote_identifier. A part that
// itself contains a dot must be quoted separately with quote_identifier.
Result<std::string> quote_qualified_name(std::string_view dotted_name);

}  // namespace courier::pg
