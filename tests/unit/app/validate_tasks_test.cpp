// `courier validate` reads the tasks section: its mistakes are listed with the others, sorted
// by line, and a valid file prints one line per task.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "cli_test_support.h"

namespace courier::app {
namespace {

CliOutcome run(std::vector<std::string> args) { return run_captured(std::move(args)); }

// Writes `yaml` to a file of the test's own in the temporary directory; returns its path.
std::string write_config(const std::string& yaml) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = ::testing::TempDir() + "validate_tasks_" + test->name() + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

TEST(ValidateTasks, PrintsOneLinePerTask) {
  std::string path = write_config(R"(tasks:
  - name: recent_orders
    table: orders
    structure: map
    key: id
    value: status
    schedule: "@every 30s"
    tracking:
      column: updated_at
      operator: ">"
      last_value_key: checkpoint:recent_orders
  - name: order_stream
    table: orders
    alias: order:stream
    fields: [id, status]
)");
  CliOutcome outcome = run({"validate", "-c", path});
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_NE(outcome.out.find("task recent_orders: public.orders -> map 'orders' (field id, value "
                             "status); schedule '@every 30s'; tracking updated_at > (checkpoint "
                             "'checkpoint:recent_orders')"),
            std::string::npos)
      << outcome.out;
  EXPECT_NE(outcome.out.find("task order_stream: public.orders -> stream 'order:stream'"),
            std::string::npos)
      << outcome.out;
}

TEST(ValidateTasks, TaskErrorsAreListedWithTheOthersSortedByLineAndExitTwo) {
  std::string path = write_config(R"(redis:
  port: 6379
tasks:
  - name: t
    table: orders
    structure: queue
log:
  level: loud
)");
  CliOutcome outcome = run({"validate", "-c", path});
  EXPECT_EQ(outcome.exit_code, kExitInvalid);
  std::size_t redis_error = outcome.err.find(path + ":2:");
  std::size_t task_error = outcome.err.find(path + ":6:16: tasks[0].structure:");
  std::size_t log_error = outcome.err.find(path + ":8:");
  ASSERT_NE(redis_error, std::string::npos) << outcome.err;
  ASSERT_NE(task_error, std::string::npos) << outcome.err;
  ASSERT_NE(log_error, std::string::npos) << outcome.err;
  EXPECT_LT(redis_error, task_error);
  EXPECT_LT(task_error, log_error);
  EXPECT_NE(outcome.err.find("3 errors"), std::string::npos) << outcome.err;
}

TEST(ValidateTasks, RunRefusesBrokenTasksBeforeStartingAnything) {
  std::string path = write_config(R"(tasks:
  - name: t
    table: orders
    structure: map
    key: id
)");
  CliOutcome outcome = run({"run", "-c", path});
  EXPECT_EQ(outcome.exit_code, kExitInvalid);
  EXPECT_NE(outcome.err.find(path + ":2:5: tasks[0]: a map task needs 'value'"), std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("nothing was started"), std::string::npos) << outcome.err;
}

}  // namespace
}  // namespace courier::app
