// deploy/: the Grafana dashboard and the Prometheus alerting rules use only metrics a
// running courier exports, and promtool accepts the rules and runs their unit tests where
// Debian's prometheus package provides it. Every pipeline runs, and the events behind the labelled
// families (which appear with their first series) happen: a stream entry, a dead letter, API
// requests, a feed over max_fanout, a refused request body.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "courier_process.h"
#include "pg/connection.h"
#include "redis/client.h"

namespace courier::testing {
namespace {

const std::string kDeployDir = std::string(COURIER_SOURCE_DIR) + "/deploy";
const std::vector<std::string> kDeployFiles = {kDeployDir + "/grafana-dashboard.json",
                                               kDeployDir + "/prometheus-alerts.yml"};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The metric names in a file: every courier_* and (stream ingest's reference names)
// redis_postgres_sync_* word.
std::set<std::string> metric_names_in(const std::string& text) {
  static const std::regex name(R"(\b(courier|redis_postgres_sync)_[a-z0-9_]+)");
  std::set<std::string> names;
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it)
    names.insert(it->str());
  return names;
}

// The families of a /metrics page, from its `# TYPE <name> <type>` lines (a family whose
// labelled series do not exist yet still has one).
std::set<std::string> exported_families(const std::string& page) {
  static const std::regex type_line(R"(^# TYPE ([a-zA-Z0-9_:]+) )", std::regex::multiline);
  std::set<std::string> families;
  for (std::sregex_iterator it(page.begin(), page.end(), type_line), end; it != end; ++it)
    families.insert((*it)[1].str());
  return families;
}

// Makes courier count what only some events create a series for.
void cause_every_labelled_metric(CourierProcess& courier, const std::string& stream) {
  auto redis = redis::make_client({.nodes = {shared_redis().address()}});
  ASSERT_TRUE(redis.ok());
  // Not a rindexer event: a dead letter, and the stream's pending and lag gauges.
  ASSERT_TRUE((*redis)->command({"XADD", stream, "*", "not", "an event"}).ok());

  CommandOutput datagen =
      run_command({COURIER_BINARY, "datagen", "-c", courier.config_path(), "--users", "5",
                   "--posts", "20", "--follows", "15", "--seed", "7"});
  ASSERT_EQ(datagen.exit_code, 0) << datagen.output;
  httplib::Client client("127.0.0.1", courier.http_port());
  client.set_read_timeout(10, 0);
  // Someone follows more than max_fanout (1); that shows once the followees, filled after
  // the first read, come from the cache.
  EXPECT_TRUE(poll_until(30s, [&] {
    for (int user = 1; user <= 5; ++user)
      client.Get(("/api/v1/users/" + std::to_string(user) + "/feed?limit=5").c_str());
    auto metrics = client.Get("/metrics");
    return metrics && metrics->body.find("courier_api_degraded_total{") != std::string::npos;
  })) << "no feed went over api.max_fanout";
  // Over http.max_body_bytes (1 MiB by default): refused with 413 and counted.
  client.Post("/metrics", std::string(1100 * 1024, 'x'), "text/plain");
}

// A query names a histogram's series (_bucket, _sum, _count) or the family itself.
bool is_exported(const std::string& name, const std::set<std::string>& families) {
  if (families.contains(name)) return true;
  for (std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix) && families.contains(name.substr(0, name.size() - suffix.size())))
      return true;
  }
  return false;
}

TEST(DeployMonitoring, EveryMetricOfTheDashboardAndTheAlertsIsExportedByARunningCourier) {
  PostgresServer& pg = shared_postgres();
  const std::string db = pg.create_database("deploy");
  {
    auto options = pg::ConnectionOptions::from_url(pg.url(db));
    ASSERT_TRUE(options.ok());
    auto conn = pg::Connection::open(*options);
    ASSERT_TRUE(conn.ok()) << conn.status().to_string();
    Status created = (*conn)->execute_script(
        "CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());"
        "INSERT INTO orders VALUES (1)");
    ASSERT_TRUE(created.ok()) << created.to_string();
  }
  std::string slot = unique_name("deploy");
  for (char& c : slot) c = (c == '-') ? '_' : static_cast<char>(std::tolower(c));
  // Table sync polled and through the WAL, stream ingest and the query API: every family.
  const std::string pipelines =
      "tasks:\n"
      "  - name: polled\n    table: orders\n    alias: deploy:orders\n    fields: [id]\n"
      "    schedule: \"@every 1s\"\n    tracking:\n      column: updated_at\n"
      "  - name: captured\n    table: orders\n    structure: hash\n    key: \"deploy:{id}\"\n"
      "    fields: [updated_at]\n    capture: wal\n"
      "changes:\n  slot: " +
      slot + "\n  publication: " + slot +
      "\n"
      "streams:\n  streams: [" +
      slot + "_events]\n  dead_letter_stream: " + slot +
      "_dead\n  batch_timeout: 50ms\n"
      "api:\n  max_fanout: 1\n";
  CourierProcess courier(pg, db, shared_redis(), pipelines);
  ASSERT_TRUE(courier.wait_for_health(200, 60s)) << courier.log();
  ASSERT_NO_FATAL_FAILURE(cause_every_labelled_metric(courier, slot + "_events"));

  std::set<std::string> used;
  for (const std::string& file : kDeployFiles) {
    std::set<std::string> in_file = metric_names_in(read_file(file));
    EXPECT_GE(in_file.size(), 10u) << file << " should use courier's metrics";
    used.insert(in_file.begin(), in_file.end());
  }
  // The stream gauges follow XINFO GROUPS every few seconds: poll, then name what is missing.
  std::set<std::string> missing;
  poll_until(30s, [&] {
    std::string page;
    if (courier.get_status("/metrics", &page) != 200) return false;
    const std::set<std::string> families = exported_families(page);
    missing.clear();
    for (const std::string& name : used)
      if (!is_exported(name, families)) missing.insert(name);
    return missing.empty();
  });
  for (const std::string& name : missing)
    ADD_FAILURE() << "deploy/ uses " << name << ", which courier does not export";

  EXPECT_EQ(exit_code_after(courier.process(), SIGTERM), 0) << courier.log();
  CommandOutput dropped =
      run_command({COURIER_BINARY, "changes", "drop-slot", "-c", courier.config_path()});
  EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
}

TEST(DeployMonitoring, TheDashboardIsJsonGrafanaCanImport) {
  nlohmann::json dashboard =
      nlohmann::json::parse(read_file(kDeployDir + "/grafana-dashboard.json"));
  EXPECT_EQ(dashboard["uid"], "courier-overview");
  ASSERT_TRUE(dashboard["panels"].is_array());
  for (const nlohmann::json& panel : dashboard["panels"]) {
    if (panel["type"] == "row") continue;
    EXPECT_FALSE(panel["targets"].empty()) << panel["title"] << " has no query";
  }
}

// promtool checks the rules, then runs their unit tests (deploy/prometheus-alerts.test.yml:
// series in, alerts out, the first dead letter included).
TEST(DeployMonitoring, PromtoolAcceptsTheAlertingRulesAndTheyFireAsTheirTestsSay) {
  if (access("/usr/bin/promtool", X_OK) != 0)
    GTEST_SKIP() << "promtool not installed (Debian package prometheus): rules not checked";
  CommandOutput checked =
      run_command({"/usr/bin/promtool", "check", "rules", kDeployDir + "/prometheus-alerts.yml"});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  CommandOutput tested = run_command(
      {"/usr/bin/promtool", "test", "rules", kDeployDir + "/prometheus-alerts.test.yml"});
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
}

}  // namespace
}  // namespace courier::testing
