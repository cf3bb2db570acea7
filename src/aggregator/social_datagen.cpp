#include "aggregator/social_datagen.h"

#include <fmt/format.h>

#include <ctime>
#include <random>
#include <string>
#include <unordered_set>

#include "aggregator/social_schema.h"
#include "aggregator/zipf_sampler.h"
#include "pg/transaction.h"
#include "text/integer.h"

namespace courier::aggregator {
namespace {

// "2026-11-23 17:15:42.123456+00", what COPY reads into a timestamptz.
std::string timestamp_text(std::int64_t micros_since_epoch) {
  std::time_t seconds = static_cast<std::time_t>(micros_since_epoch / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     micros_since_epoch % 1'000'000);
}

Result<std::int64_t> single_integer(pg::Connection& connection, std::string_view sql) {
  Result<pg::QueryResult> result = connection.execute(sql);
  if (!result.ok()) return result.status();
  return text::parse_integer(result->get(0, 0).value_or("0")).value_or(0);
}

// Runs a COPY, feeding it rows from `write_rows(writer)`.
template <typename WriteRows>
Status copy_rows(pg::Connection& connection, std::string_view copy_sql, WriteRows write_rows) {
  Result<pg::CopyWriter> writer = connection.begin_copy_in(copy_sql);
  if (!writer.ok()) return writer.status();
  if (Status written = write_rows(*writer); !written.ok()) return written;
  return writer->finish().status();
}

// Identity columns were given explicit values: move their sequences past them.
Status advance_identity(pg::Connection& connection, std::string_view table) {
  return connection
      .execute(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), "
                           "(SELECT COALESCE(max(id), 1) FROM {0}))",
                           table))
      .status();
}

}  // namespace

Result<DatagenReport> generate_social_data(pg::Connection& connection,
                                           const DatagenOptions& options) {
  if (options.users < 1 || options.posts < 0 || options.follows < 0)
    return Status(StatusCode::kInvalidArgument,
                  "datagen: users must be at least 1, posts and follows at least 0");
  if (Status schema = apply_social_schema(connection); !schema.ok()) return schema;
  Result<pg::Transaction> transaction = pg::Transaction::begin(connection);
  if (!transaction.ok()) return transaction.status();
  // Ids are chosen here: keep concurrent writers out until they are in.
  if (Status locked = connection.execute("LOCK TABLE users, posts IN EXCLUSIVE MODE").status();
      !locked.ok())
    return locked;
  Result<std::int64_t> last_user =
      single_integer(connection, "SELECT COALESCE(max(id), 0) FROM users");
  Result<std::int64_t> last_post =
      single_integer(connection, "SELECT COALESCE(max(id), 0) FROM posts");
  if (!last_user.ok()) return last_user.status();
  if (!last_post.ok()) return last_post.status();

  DatagenReport report{.first_user_id = *last_user + 1, .last_user_id = *last_user + options.users};
  std::mt19937_64 random(options.seed);
  ZipfSampler zipf(static_cast<size_t>(options.users), options.zipf_exponent);
  auto zipf_user = [&] {
    return report.first_user_id + static_cast<std::int64_t>(zipf.sample(random)) - 1;
  };

  Status users =
      copy_rows(connection, "COPY users (id, username) FROM STDIN", [&](pg::CopyWriter& writer) {
        for (std::int64_t id = report.first_user_id; id <= report.last_user_id; ++id) {
          std::string id_text = std::to_string(id);
          std::string name = "user_" + id_text;
          if (Status row = writer.write_row({id_text, name}); !row.ok()) return row;
        }
        return Status::Ok();
      });
  if (!users.ok()) return users;

  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::int64_t window_us =
      std::chrono::duration_cast<std::chrono::microseconds>(options.window).count();
  // Gaps of at most window / posts: the newest post is never in the future.
  std::int64_t max_gap =
      std::max<std::int64_t>(1, window_us / std::max<std::int64_t>(1, options.posts));
  std::int64_t created = now_us - window_us;
  Status posts =
      copy_rows(connection, "COPY posts (id, user_id, content, created_at) FROM STDIN",
                [&](pg::CopyWriter& writer) {
                  for (std::int64_t i = 0; i < options.posts; ++i) {
                    bool tie = options.tie_every > 0 && i > 0 && i % options.tie_every == 0;
                    if (!tie) created += 1 + static_cast<std::int64_t>(random() % max_gap);
                    std::string id = std::to_string(*last_post + 1 + i);
                    std::string author = std::to_string(zipf_user());
                    std::string content = "post " + id + " by user " + author + ": " +
                                          std::string(40 + random() % 80, 'x');
                    std::string when = timestamp_text(created);
                    if (Status row = writer.write_row({id, author, content, when}); !row.ok())
                      return row;
                  }
                  return Status::Ok();
                });
  if (!posts.ok()) return posts;
  report.posts = options.posts;

  // Followers uniform, followees Zipf: hot authors are also the most followed.
  std::int64_t possible_pairs = options.users * (options.users - 1);
  std::int64_t wanted = std::min(options.follows, possible_pairs);
  std::unordered_set<std::uint64_t> pairs;
  Status follows =
      copy_rows(connection, "COPY follows (follower_id, followee_id) FROM STDIN",
                [&](pg::CopyWriter& writer) {
                  std::uniform_int_distribution<std::int64_t> any_user(report.first_user_id,
                                                                       report.last_user_id);
                  for (std::int64_t attempts = 0;
                       report.follows < wanted && attempts < 20 * wanted + 1000; ++attempts) {
                    std::int64_t follower = any_user(random);
                    // Past the Zipf head most pairs are taken: fall back to uniform followees.
                    std::int64_t followee = attempts < 4 * wanted ? zipf_user() : any_user(random);
                    if (follower == followee) continue;
                    auto pair_code = static_cast<std::uint64_t>(follower - report.first_user_id) *
                                         static_cast<std::uint64_t>(options.users) +
                                     static_cast<std::uint64_t>(followee - report.first_user_id);
                    if (!pairs.insert(pair_code).second) continue;
                    std::string follower_text = std::to_string(follower);
                    std::string followee_text = std::to_string(followee);
                    if (Status row = writer.write_row({follower_text, followee_text}); !row.ok())
                      return row;
                    ++report.follows;
                  }
                  return Status::Ok();
                });
  if (!follows.ok()) return follows;
  if (Status advanced = advance_identity(connection, "users"); !advanced.ok()) return advanced;
  if (Status advanced = advance_identity(connection, "posts"); !advanced.ok()) return advanced;
  if (Status committed = transaction->commit(); !committed.ok()) return committed;
  // As autovacuum would leave them: hint bits set and pages all-visible, so that the first
  // reader of each page (a benchmark's cold run) does not pay for the bulk load.
  (void)connection.execute("VACUUM ANALYZE users, posts, follows");
  return report;
}

}  // namespace courier::aggregator
