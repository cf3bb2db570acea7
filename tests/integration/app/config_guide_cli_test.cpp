// docs/CONFIG_GUIDE.md against the `courier` binary and real servers: every YAML example
// passes `courier validate`, and every task in it runs — `courier once` for polled tasks,
// `courier run` for `capture: wal` ones, which then get the change the guide shows — on the
// shop of examples/ecommerce plus the guide's own SQL blocks, and leaves in Redis what the
// guide says it does. A task the guide adds without an expectation here fails the test.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/courier_config.h"
#include "config/env_substitution.h"
#include "courier_process.h"
#include "markdown_yaml_blocks.h"
#include "pg/connection.h"
#include "pg_to_redis/task_config.h"
#include "redis/client.h"

namespace courier::testing {
namespace {

using pg_to_redis::Capture;
using pg_to_redis::TaskConfig;

const std::string& guide() {
  static const std::string text = read_checkout_file("docs/CONFIG_GUIDE.md");
  return text;
}

// What one task of the guide leaves in Redis: `read`'s reply, flattened to words, must
// equal `shows` (or start with it, when `prefix`). A wal task then gets `change` and must
// show `shows_after` (`read_after`, or else `read`, ending with it). In the commands,
// "{key}" stands for the task's Redis key and "{row:N}" for the key of the row whose key
// column is N, so an example may change its alias or prefix.
struct Expectation {
  redis::Command read;
  std::string shows;
  bool prefix = false;
  std::string change = {};
  redis::Command read_after = {};
  std::string shows_after = {};
};

// Keyed by "<task name>/<structure>": a name the guide uses for two structures (Red
// Courier's map `recent_orders` and the list) gets one entry each. The values are the
// ones the guide shows for the shop's data.
const std::map<std::string, Expectation>& expectations() {
  static const std::map<std::string, Expectation> all = {
      {"order_events/stream", {{"XLEN", "{key}"}, "60"}},
      {"recent_orders/list", {{"LRANGE", "{key}", "0", "2"}, "1060 1059 1058"}},
      {"recent_orders/map", {{"HGET", "{key}", "1001"}, "paid"}},
      {"order_documents/string",
       {{"GET", "{row:1001}"},
        R"({"id":1001,"customer_id":2,"status":"paid","total":102.20,"updated_at":")",
        true}},
      {"product_prices/map", {{"HGET", "{key}", "1"}, "24.90"}},
      {"product_cards/hash",
       {{"HGETALL", "{row:1}"},
        "sku BEAN-1KG name espresso beans 1kg price 24.90 stock 120"}},
      {"top_products/sorted_set",
       {{"ZREVRANGE", "{key}", "0", "2", "WITHSCORES"}, "4 48 3 48 1 48"}},
      {"vip_customers/set", {{"SORT", "{key}", "ALPHA"}, "1 3"}},
      {"customers_by_signup/sorted_set", {{"ZCARD", "{key}"}, "5"}},
      {"customer_profiles/hash",
       {{"HGETALL", "{row:3}"}, "email grace@example.com name Grace Hopper tier vip"}},
      {"out_of_stock_skus/set", {{"SORT", "{key}", "ALPHA"}, "GRIND-HND"}},
      {"in_stock_skus/set",
       {{"SORT", "{key}", "ALPHA"}, "BEAN-1KG DRIP-CER FILTER-100 KETTLE-PO"}},
      {"top_spenders/sorted_set",
       {{"ZREVRANGE", "{key}", "0", "1", "WITHSCORES"}, "3 2604 2 1276.8"}},
      // Scores as Redis 7.0 (the harness' server) prints them: 17 significant digits, which
      // the guide and docs/types.md describe. Redis 7.2 and later print "4.2".
      {"products_by_price/sorted_set",
       {{"ZRANGE", "{key}", "0", "1", "WITHSCORES"}, "4 4.2000000000000002 3 19.5"}},
      {"product_documents/string",
       {{"GET", "{row:1}"},
        R"({"id":1,"sku":"BEAN-1KG","name":"espresso beans 1kg","price":24.90,"stock":120})"}},
      {"product_stock_live/hash",
       {{"HGETALL", "{row:5}"}, "sku GRIND-HND stock 0", false,
        "UPDATE products SET stock = 7 WHERE id = 5", {}, "sku GRIND-HND stock 7"}},
      {"vip_customers_live/set",
       {{"SORT", "{key}", "ALPHA"}, "1 3", false,
        "UPDATE customers SET tier = 'standard' WHERE id = 3", {}, "1"}},
      {"order_changes/stream",
       {{"XLEN", "{key}"}, "60", false,
        "UPDATE orders SET status = 'shipped' WHERE id = 1001",
        {"XREVRANGE", "{key}", "+", "-", "COUNT", "1"},
        "op update id 1001 status shipped total_amount 102.20"}},
  };
  return all;
}

// The words of a reply, nested arrays flattened, joined by spaces.
std::string words(const redis::Reply& reply) {
  if (reply.is_nil()) return "(nil)";
  if (reply.is_integer()) return std::to_string(reply.integer());
  if (!reply.is_array()) return reply.str();
  std::string out;
  for (const redis::Reply& element : reply.elements()) {
    const std::string word = words(element);
    if (word.empty()) continue;
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

// The `tasks:` and `changes:` sections of an example (its connection sections are for
// the reader's servers; the test writes its own).
std::string task_sections(const std::string& yaml) {
  std::string kept;
  bool keep = false;
  size_t start = 0;
  while (start < yaml.size()) {
    size_t end = yaml.find('\n', start);
    if (end == std::string::npos) end = yaml.size();
    const std::string line = yaml.substr(start, end - start);
    const bool top_level = !line.empty() && line[0] != ' ' && line[0] != '#';
    if (top_level) keep = line.starts_with("tasks:") || line.starts_with("changes:");
    if (keep) kept += line + "\n";
    start = end + 1;
  }
  return kept;
}

std::vector<TaskConfig> tasks_of(const YamlBlock& block) {
  config::LoadResult loaded =
      config::load_config_string(block.text, "guide.yaml", config::environment_from_map({}));
  std::vector<TaskConfig> tasks;
  (void)pg_to_redis::read_tasks(loaded.config, tasks);  // errors: the validate step reports
  return tasks;
}

std::string expectation_key(const TaskConfig& task) {
  return task.name + "/" + std::string(pg_to_redis::to_string(task.structure));
}

// `command` with "{key}" and "{row:N}" replaced for `task` (see Expectation).
redis::Command for_task(redis::Command command, const TaskConfig& task) {
  for (std::string& word : command) {
    if (word == "{key}") {
      word = task.redis_key();
    } else if (word.starts_with("{row:") && word.ends_with("}")) {
      const std::string value = word.substr(5, word.size() - 6);
      word = task.key_prefix;
      for (const pg_to_redis::KeyTemplate::Part& part : task.key_template.parts)
        word += part.is_column ? value : part.text;
    }
  }
  return command;
}

Expectation for_task(Expectation expectation, const TaskConfig& task) {
  expectation.read = for_task(expectation.read, task);
  expectation.read_after = for_task(expectation.read_after, task);
  return expectation;
}

class ConfigGuideCliTest : public ::testing::Test {
 protected:
  // An own Redis: the examples write fixed keys (and checkpoints), so each block starts
  // from an empty one.
  static void SetUpTestSuite() { redis_server_ = RedisServer::start(); }
  static void TearDownTestSuite() { redis_server_.reset(); }

  void SetUp() override {
    db_ = pg_.create_database("guide");
    auto options = pg::ConnectionOptions::from_url(pg_.url(db_));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    conn_ = std::move(*conn);
    auto client = redis::make_client({.nodes = {redis_server_->address()}});
    ASSERT_TRUE(client.ok()) << client.status().to_string();
    redis_ = std::move(*client);
    sql(read_checkout_file("examples/ecommerce/schema.sql"));
    for (const YamlBlock& block : fenced_blocks(guide(), "sql")) sql(block.text);
  }
  void TearDown() override { drop_slot(); }

  void sql(const std::string& statements) {
    Status done = conn_->execute_script(statements);
    ASSERT_TRUE(done.ok()) << statements << ": " << done.to_string();
  }
  std::string show(const redis::Command& command) {
    auto reply = redis_->command(command);
    return reply.ok() ? words(*reply) : "(error) " + reply.status().to_string();
  }
  void flush() { ASSERT_EQ(show({"FLUSHALL"}), "OK"); }

  // The guide's wal examples share one slot; each run starts without it.
  void drop_slot() {
    if (!conn_) return;
    poll_until(20s, [&] {
      auto dropped = conn_->execute(
          "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots "
          "WHERE slot_name = 'shop_courier' AND NOT active");
      auto left = conn_->execute(
          "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'shop_courier'");
      return dropped.ok() && left.ok() && left->get(0, 0) == "0";
    }, 100ms);
  }

  // Each block whose tasks are (`wal`) or are not followed through the WAL, with the
  // expectation of each of its tasks.
  std::vector<std::pair<YamlBlock, std::vector<Expectation>>> blocks(bool wal) {
    std::vector<std::pair<YamlBlock, std::vector<Expectation>>> out;
    for (const YamlBlock& block : yaml_blocks(guide())) {
      std::vector<Expectation> expected;
      int followed = 0;
      std::vector<TaskConfig> tasks = tasks_of(block);
      for (const TaskConfig& task : tasks) {
        followed += task.capture == Capture::kWal ? 1 : 0;
        auto found = expectations().find(expectation_key(task));
        if (found == expectations().end()) {
          ADD_FAILURE() << "docs/CONFIG_GUIDE.md line " << block.line << ": task '"
                        << expectation_key(task)
                        << "' has no expectation in config_guide_cli_test.cpp; add what the "
                           "guide says it writes";
          continue;
        }
        expected.push_back(for_task(found->second, task));
      }
      EXPECT_TRUE(followed == 0 || followed == static_cast<int>(tasks.size()))
          << "line " << block.line << ": an example mixes wal and polled tasks";
      if ((followed > 0) == wal && !expected.empty()) out.emplace_back(block, expected);
    }
    return out;
  }

  std::string config_with(const std::string& yaml) {
    const std::string dir = make_temp_dir("guide");
    dirs_.push_back(dir);
    std::ofstream(dir + "/courier.yaml")
        << connection_yaml(pg_, db_, redis_server_->address(), 0) << yaml;
    return dir + "/courier.yaml";
  }

  PostgresServer& pg_ = shared_postgres();
  static inline std::unique_ptr<RedisServer> redis_server_;
  std::string db_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<redis::Client> redis_;
  std::vector<std::string> dirs_;

 public:
  ~ConfigGuideCliTest() override {
    for (const std::string& dir : dirs_) remove_tree(dir);
  }
};

// The guide and the reference, whose examples the unit tests read with the loader, through
// the binary users run: every check `courier validate` makes, every section's reader.
TEST_F(ConfigGuideCliTest, EveryExampleOfTheGuideAndTheReferencePassesCourierValidate) {
  // The reference's examples use these without defaults; the children inherit them (the
  // harness' servers take no passwords, so nothing else is affected while they are set).
  ASSERT_EQ(setenv("PGPASSWORD", "pg-secret", 1), 0);
  ASSERT_EQ(setenv("REDIS_PASSWORD", "r-secret", 1), 0);
  for (const std::string page : {"docs/CONFIG_GUIDE.md", "docs/configuration.md"}) {
    const std::vector<YamlBlock> all = yaml_blocks(read_checkout_file(page));
    ASSERT_GE(all.size(), 8U) << page << " not found or lost its examples";
    for (const YamlBlock& block : all) {
      const std::string dir = make_temp_dir("guide-validate");
      dirs_.push_back(dir);
      std::ofstream(dir + "/courier.yaml") << block.text;
      CommandOutput output =
          run_command({COURIER_BINARY, "validate", "-c", dir + "/courier.yaml"});
      EXPECT_EQ(output.exit_code, 0) << page << ", block at line " << block.line << ":\n"
                                     << block.text << output.output;
      EXPECT_NE(output.output.find(": valid"), std::string::npos) << output.output;
    }
  }
  unsetenv("PGPASSWORD");
  unsetenv("REDIS_PASSWORD");
}

TEST_F(ConfigGuideCliTest, EveryPolledExampleWritesWhatTheGuideShows) {
  const auto polled = blocks(/*wal=*/false);
  ASSERT_GE(polled.size(), 15U) << "docs/CONFIG_GUIDE.md lost its examples";
  for (const auto& [block, expected] : polled) {
    flush();
    CommandOutput output =
        run_command({COURIER_BINARY, "once", "-c", config_with(task_sections(block.text))});
    EXPECT_EQ(output.exit_code, 0) << "block at line " << block.line << ":\n"
                                   << block.text << output.output;
    if (output.exit_code != 0) continue;
    for (const Expectation& expectation : expected) {
      const std::string shown = show(expectation.read);
      if (expectation.prefix) {
        EXPECT_TRUE(shown.starts_with(expectation.shows))
            << "block at line " << block.line << ": " << expectation.read[0] << " "
            << expectation.read[1] << " shows " << shown;
      } else {
        EXPECT_EQ(shown, expectation.shows)
            << "block at line " << block.line << ": " << expectation.read[0] << " "
            << expectation.read[1];
      }
    }
  }
}

TEST_F(ConfigGuideCliTest, EveryWalExampleCopiesTheTableThenFollowsTheChangeTheGuideShows) {
  const auto followed = blocks(/*wal=*/true);
  ASSERT_GE(followed.size(), 3U) << "docs/CONFIG_GUIDE.md lost its capture: wal examples";
  for (const auto& [block, expected] : followed) {
    flush();
    drop_slot();
    auto courier = std::make_unique<CourierProcess>(pg_, db_, *redis_server_,
                                                    task_sections(block.text));
    for (const Expectation& expectation : expected) {
      EXPECT_TRUE(poll_until(60s, [&] { return show(expectation.read) == expectation.shows; }))
          << "block at line " << block.line << ": " << show(expectation.read) << "\n"
          << courier->log();
      sql(expectation.change);
      const redis::Command& read =
          expectation.read_after.empty() ? expectation.read : expectation.read_after;
      EXPECT_TRUE(poll_until(60s, [&] { return show(read).ends_with(expectation.shows_after); }))
          << "block at line " << block.line << " after '" << expectation.change
          << "': " << show(read) << "\n"
          << courier->log();
    }
    EXPECT_EQ(exit_code_after(courier->process(), SIGTERM), 0) << courier->log();
  }
}

}  // namespace
}  // namespace courier::testing
