// The social schema the query API serves: users, posts and follows, as versioned
// migrations (pg/migrations.h, scope "aggregator"), with the index every timeline query
// walks: posts(user_id, created_at DESC, id DESC).
//
//   Status ready = apply_social_schema(connection);   // at API start-up and in datagen
//   for (const pg::Migration& m : social_schema_migrations()) log(m.name);
//
// Thread-safety: pure data; apply_social_schema uses the connection from the calling
// thread and is safe against other processes applying it at the same time (advisory lock).
#pragma once

#include <vector>

#include "courier/status.h"
#include "pg/connection.h"
#include "pg/migrations.h"

namespace courier::aggregator {

inline constexpr const char* kSchemaScope = "aggregator";

std::vector<pg::Migration> social_schema_migrations();

// Applies whatever is pending; an error names the migration that failed.
Status apply_social_schema(pg::Connection& connection);

}  // namespace courier::aggregator
