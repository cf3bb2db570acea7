// Tasks checked against a real database: `courier validate --check-db` reports each problem
// at the line:column of the task key that names it (missing table or column, a view without
// primary_key, a WAL task on a view, a nullable tracking column as a warning), and says which
// server it could not reach. At run time, a missing column names the task, its table and the
// column, and NULL tracking values are warned about once.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "courier_process.h"
#include "pg/connection.h"

namespace courier::testing {
namespace {

class SchemaCheckCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = pg_.create_database("schema_check");
    auto options = pg::ConnectionOptions::from_url(pg_.url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    dir_ = make_temp_dir("schema_check");
    sql("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL,"
        " amount numeric NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())");
  }
  void TearDown() override { remove_tree(dir_); }

  void sql(const std::string& statement) {
    Status done = conn_->execute_script(statement);
    ASSERT_TRUE(done.ok()) << statement << ": " << done.to_string();
  }

  // Writes courier.yaml for the test's database with `tasks_yaml` after the connections.
  std::string write_config(const std::string& tasks_yaml) {
    text_ = connection_yaml(pg_, db_, redis_.address(), 0) + tasks_yaml;
    std::ofstream(path()) << text_;
    return path();
  }
  std::string path() const { return dir_ + "/courier.yaml"; }

  // "<path>:<line>:<column>: " of the first `needle` in the file at or after the line
  // holding `after` (the value's place, as errors give it).
  std::string at(const std::string& needle, const std::string& after = "") const {
    const std::size_t from = after.empty() ? 0 : text_.find(after);
    const std::size_t offset = text_.find(needle, from);
    EXPECT_NE(offset, std::string::npos) << needle;
    const std::size_t line_start = text_.rfind('\n', offset) + 1;  // npos + 1 == 0
    const auto line = 1 + std::count(text_.begin(), text_.begin() + line_start, '\n');
    return path() + ":" + std::to_string(line) + ":" + std::to_string(offset - line_start + 1) +
           ": ";
  }

  CommandOutput courier(const std::string& command, const std::string& tasks_yaml,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {COURIER_BINARY, command, "-c", write_config(tasks_yaml)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv, "", 60s);
  }
  CommandOutput check_db(const std::string& tasks_yaml) {
    return courier("validate", tasks_yaml, {"--check-db"});
  }

  PostgresServer& pg_ = shared_postgres();
  RedisServer& redis_ = shared_redis();
  std::string db_;
  std::string dir_;
  std::string text_;
  std::unique_ptr<pg::Connection> conn_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `out` ended with `exit_code` and printed `line` (for a finding: its place, path and the
// start of its message).
void expect_output(const CommandOutput& out, int exit_code, const std::string& line) {
  EXPECT_EQ(out.exit_code, exit_code) << out.output;
  EXPECT_TRUE(contains(out.output, line)) << "expected: " << line << "\n" << out.output;
}

TEST_F(SchemaCheckCliTest, MisspeltColumnIsReportedAtItsPlaceWithASuggestion) {
  CommandOutput out = check_db(R"(tasks:
  - name: order_stream
    table: orders
    fields: [id, stauts]
)");
  expect_output(out, 2,
                at("stauts") +
                    "tasks[0].fields[1]: column 'stauts' does not exist in "
                    "public.orders (did you mean 'status'?)");
  EXPECT_TRUE(contains(out.output, "1 error and 0 warnings against the database")) << out.output;
}

TEST_F(SchemaCheckCliTest, MatchingTasksPassAndAreSummarised) {
  CommandOutput out = check_db(R"(tasks:
  - name: order_docs
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [status, total]
    column_map:
      total: amount
    tracking:
      column: updated_at
)");
  expect_output(out, 0, "1 task checked, no problems");
}

TEST_F(SchemaCheckCliTest, ColumnRenamedByColumnMapIsReportedAtTheMapping) {
  CommandOutput out = check_db(R"(tasks:
  - name: order_docs
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [status, total]
    column_map:
      total: amout
)");
  expect_output(out, 2,
                at("amout") +
                    "tasks[0].column_map.total: column 'amout' does not exist in "
                    "public.orders (did you mean 'amount'?)");
}

TEST_F(SchemaCheckCliTest, MissingTableIsReportedAtTable) {
  CommandOutput out = check_db(R"(tasks:
  - name: order_stream
    table: ordres
    fields: [id]
)");
  expect_output(out, 2,
                at("ordres") +
                    "tasks[0].table: table public.ordres does not exist (did you "
                    "mean 'public.orders'?)");
}

TEST_F(SchemaCheckCliTest, ViewWithoutPrimaryKeyIsAnErrorThatSaysToAddIt) {
  sql("CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100");
  const std::string task = R"(tasks:
  - name: top
    table: big_orders
    structure: sorted_set
    value: id
    score: amount
)";
  CommandOutput out = check_db(task);
  expect_output(out, 2,
                at("big_orders") +
                    "tasks[0].table: public.big_orders is a view, which has no "
                    "primary key to page the read by; add 'primary_key:");

  CommandOutput fixed = check_db(task + "    primary_key: [id]\n");
  expect_output(fixed, 0, "1 task checked, no problems");
}

TEST_F(SchemaCheckCliTest, ScoreColumnOfAnotherTypeIsRefused) {
  CommandOutput out = check_db(R"(tasks:
  - name: by_status
    table: orders
    structure: sorted_set
    value: id
    score: status
)");
  expect_output(out, 2,
                at("status", "score:") +
                    "tasks[0].score: a sorted set's score must be a number, "
                    "a date or a timestamp, but column 'status' is text");
}

TEST_F(SchemaCheckCliTest, NullableTrackingColumnIsAWarningAndTheFileStaysValid) {
  sql("CREATE TABLE visits (id bigint PRIMARY KEY, seen_at timestamptz)");
  CommandOutput out = check_db(R"(tasks:
  - name: visits
    table: visits
    fields: [id]
    tracking:
      column: seen_at
)");
  expect_output(out, 0,
                at("seen_at") +
                    "tasks[0].tracking.column: warning: column 'seen_at' of "
                    "public.visits may be NULL, and rows whose tracking value is "
                    "NULL are never synced; add NOT NULL");
  EXPECT_TRUE(contains(out.output, "1 task checked, 1 warning")) << out.output;
}

TEST_F(SchemaCheckCliTest, LookbackOnANonTimeTrackingColumnIsRefused) {
  CommandOutput out = check_db(R"(tasks:
  - name: order_docs
    table: orders
    structure: hash
    key: "order:{id}"
    fields: [status]
    lookback: 5m
    tracking:
      column: id
)");
  expect_output(out, 2,
                at("id", "column:") +
                    "tasks[0].tracking.column: lookback needs a timestamp, "
                    "timestamptz or date tracking column, but 'id' is bigint");
}

TEST_F(SchemaCheckCliTest, WalTaskOnAViewIsRefused) {
  sql("CREATE VIEW open_orders AS SELECT id, status FROM orders WHERE status <> 'closed'");
  CommandOutput out = check_db(R"(tasks:
  - name: open
    table: open_orders
    structure: hash
    key: "order:{id}"
    fields: [status]
    primary_key: [id]
    capture: wal
)");
  expect_output(out, 2,
                at("wal") +
                    "tasks[0].capture: 'capture: wal' follows a table's changes in the "
                    "write-ahead log, and public.open_orders is a view");
}

TEST_F(SchemaCheckCliTest, WalSetWhoseMemberIsNotInTheReplicaIdentityIsWarned) {
  const std::string task = R"(tasks:
  - name: statuses
    table: orders
    structure: set
    value: status
    capture: wal
)";
  CommandOutput out = check_db(task);
  expect_output(out, 0,
                at("status", "value:") +
                    "tasks[0].value: warning: a deleted row of "
                    "public.orders arrives with only the columns of its "
                    "replica identity");

  sql("ALTER TABLE orders REPLICA IDENTITY FULL");
  expect_output(check_db(task), 0, "1 task checked, no problems");
}

TEST_F(SchemaCheckCliTest, UnreachablePostgresIsNamed) {
  const int port = free_loopback_port();  // nothing listens there
  std::ofstream(path()) << "postgres:\n  host: 127.0.0.1\n  port: " << port
                        << "\n  connect_timeout: 5s\ntasks:\n  - name: t\n    table: orders\n"
                           "    fields: [id]\n";
  CommandOutput out =
      run_command({COURIER_BINARY, "validate", "-c", path(), "--check-db"}, "", 60s);
  expect_output(out, 1,
                "cannot check the tasks against the database: cannot connect to "
                "postgresql://127.0.0.1:" +
                    std::to_string(port) + "/");
}

TEST_F(SchemaCheckCliTest, RunWithAMissingColumnNamesTheTaskTableAndColumn) {
  sql("INSERT INTO orders (id, status) VALUES (1, 'new')");
  CommandOutput out = courier("once", R"(tasks:
  - name: order_stream
    table: orders
    fields: [id, stauts]
)");
  EXPECT_NE(out.exit_code, 0) << out.output;
  EXPECT_TRUE(contains(out.output,
                       "task 'order_stream' (public.orders): column 'stauts' does not "
                       "exist in public.orders (did you mean 'status'?) (the task "
                       "names it at tasks[0].fields[1], line "))
      << out.output;
  EXPECT_TRUE(contains(out.output, "`courier validate --check-db`")) << out.output;
}

TEST_F(SchemaCheckCliTest, RunWarnsOnceOfRowsWithANullTrackingValue) {
  sql("CREATE TABLE visits (id bigint PRIMARY KEY, seen_at timestamptz, page text)");
  sql("INSERT INTO visits VALUES (1, now(), 'a'), (2, NULL, 'b'), (3, NULL, 'c')");
  const std::string prefix = unique_name("visits");
  const std::string task = "tasks:\n  - name: visits\n    table: visits\n    key_prefix: \"" +
                           prefix + ":\"\n    fields: [id]\n    tracking:\n      column: seen_at\n";
  const std::string warning = "task visits: some rows of public.visits have a NULL 'seen_at'";
  CommandOutput out = courier("once", task);
  expect_output(out, 0, warning + " (the tracking column); they are never synced");
  EXPECT_EQ(out.output.find(warning), out.output.rfind(warning)) << "warned once:\n" << out.output;

  // A `where` that leaves the NULL rows out: nothing to warn about.
  CommandOutput filtered = courier("once", task + "    where: page = 'a'\n");
  EXPECT_EQ(filtered.exit_code, 0) << filtered.output;
  EXPECT_FALSE(contains(filtered.output, "have a NULL")) << filtered.output;
}

}  // namespace
}  // namespace courier::testing
