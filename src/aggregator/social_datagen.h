// Synthetic social data for the query API: users, posts whose authorship is Zipf-skewed
// (rank 1, the first user created, writes the most: a hot partition), and follows whose
// followees are Zipf-skewed the same way. Rows go in by COPY, in one transaction.
//
//   DatagenOptions options{.users = 1000, .posts = 100'000, .follows = 20'000};
//   Result<DatagenReport> made = generate_social_data(connection, options);
//   log("users {}..{}", made->first_user_id, made->last_user_id);
//
// Timestamps: posts lie within `window` before now (never later), at random microsecond gaps, so
// ordering by created_at is meaningful; `tie_every` > 0 repeats a timestamp every so many
// posts, to exercise the (created_at, id) tie-break.
// Thread-safety: uses the given connection from the calling thread only.
#pragma once

#include <chrono>
#include <cstdint>

#include "courier/status.h"
#include "pg/connection.h"

namespace courier::aggregator {

struct DatagenOptions {
  std::int64_t users = 1000;
  std::int64_t posts = 10'000;
  std::int64_t follows = 10'000;  // fewer when users are too few for that many pairs
  double zipf_exponent = 1.1;     // 0: uniform; larger: hotter hot users
  std::uint64_t seed = 1;
  std::chrono::hours window{24 * 30};  // posts spread over the last 30 days
  std::int64_t tie_every = 0;          // > 0: every n-th post repeats the previous time
};

struct DatagenReport {
  std::int64_t first_user_id = 0;  // the hottest user (Zipf rank 1)
  std::int64_t last_user_id = 0;
  std::int64_t posts = 0;
  std::int64_t follows = 0;
};

// Adds new users (named "user_<id>"), posts and follows among the new users; rows that
// existed before are left alone. Applies the schema first if it is missing.
Result<DatagenReport> generate_social_data(pg::Connection& connection,
                                           const DatagenOptions& options);

}  // namespace courier::aggregator
