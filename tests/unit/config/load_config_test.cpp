// load_config_string / load_config_file: the whole file, as `courier validate` sees it.
#include <gtest/gtest.h>

#include <fstream>

#include "config/courier_config.h"
#include "config/reader.h"
#include "config_test_support.h"

namespace courier::config {
namespace {

using std::chrono::milliseconds;
using testing::load;
using testing::printed_errors;

TEST(LoadConfig, ReportsEveryMistakeAtOnceWithPathAndPosition) {
  LoadResult result = load(
      "postgres:\n"                   // 1
      "  host: db.internal\n"         // 2
      "  port: 70000\n"               // 3  out of range
      "  pasword: ${PGPASSWORD}\n"    // 4  typo
      "redis:\n"                      // 5
      "  addr: localhost:6379\n"      // 6
      "  db: abc\n"                   // 7  wrong type
      "log:\n"                        // 8
      "  level: verbose\n"            // 9  bad enum
      "http:\n"                       // 10
      "  listen: ${HTTP_LISTEN}\n");  // 11 unset variable
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(printed_errors(result),
            (std::vector<std::string>{
                "courier.yaml:3:9: postgres.port: '70000' is out of range; expected 1..65535",
                "courier.yaml:4:3: postgres.pasword: unknown key 'pasword'; did you mean "
                "'password'?",
                "courier.yaml:7:7: redis.db: expected an integer, got 'abc'",
                "courier.yaml:9:10: log.level: expected one of 'trace', 'debug', 'info', 'warn' "
                "or 'error', got 'verbose'",
                "courier.yaml:11:11: http.listen: environment variable 'HTTP_LISTEN' is not set; "
                "set it, or give a default with '${HTTP_LISTEN:-default}'"}));
}

TEST(LoadConfig, ErrorsAreSortedByLineEvenWhenFoundOutOfOrder) {
  // server_port is read after http, but comes first in the file.
  LoadResult result = load("server_port:\n  port: x\nhttp:\n  listen: nowhere\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].line, 2);
  EXPECT_EQ(result.errors[1].line, 4);
}

TEST(LoadConfig, YamlSyntaxErrorHasLineAndColumn) {
  LoadResult result = load("postgres:\n  host: localhost\n  port: 5432: x\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{"courier.yaml:3:13: YAML syntax error: illegal map value"});
}

TEST(LoadConfig, UnclosedListIsASyntaxErrorWhereTheParserNoticesIt) {
  LoadResult result = load("postgres:\n  host: localhost\n  port: [5432\nredis:\n  db: 0\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:4:6: YAML syntax error: end of sequence flow not found"});
}

TEST(LoadConfig, BadIndentationIsASyntaxErrorWithPosition) {
  LoadResult result = load("redis:\n  addr: localhost:6379\n db: 0\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 3);
  EXPECT_EQ(result.errors[0].column, 2);
  EXPECT_NE(result.errors[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(LoadConfig, MoreThanOneDocumentIsAnError) {
  LoadResult result = load("log:\n  level: info\n---\nlog:\n  level: debug\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 3);  // the '---' that starts the second
  EXPECT_NE(result.errors[0].message.find("2 YAML documents"), std::string::npos);
}

TEST(LoadConfig, StrayCommaIsASyntaxErrorWhereItStands) {
  // yaml-cpp 0.7 alone would hand out empty documents at the comma forever.
  EXPECT_EQ(printed_errors(load(",")),
            std::vector<std::string>{"courier.yaml:1:1: YAML syntax error: unexpected ','"});
  EXPECT_EQ(printed_errors(load("- postgres\n, redis\n")),
            std::vector<std::string>{"courier.yaml:2:1: YAML syntax error: unexpected ','"});
}

TEST(LoadConfig, NestingDeeperThanTheParserTakesIsSaidSo) {
  std::string deep = "postgres: " + std::string(600, '[') + std::string(600, ']') + "\n";
  LoadResult result = load(deep);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("YAML nested too deeply"), std::string::npos)
      << result.errors[0].message;
}

TEST(LoadConfig, TopLevelMustBeAMapping) {
  LoadResult result = load("- postgres\n- redis\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:1:1: expected a mapping ('key: value' lines), got a list"});
}

TEST(LoadConfig, UnknownTopLevelSectionSuggestsTheNearestOne) {
  LoadResult result = load("postgress:\n  host: x\ntaks: []\n");
  EXPECT_EQ(printed_errors(result),
            (std::vector<std::string>{
                "courier.yaml:1:1: postgress: unknown key 'postgress'; did you mean 'postgres'?",
                "courier.yaml:3:1: taks: unknown key 'taks'; did you mean 'tasks'?"}));
}

TEST(LoadConfig, EmptyFileGivesEveryDefault) {
  for (std::string_view yaml : {"", "{}", "# only a comment\n", "postgres:\nredis:\n"}) {
    LoadResult result = load(yaml);
    ASSERT_TRUE(result.ok()) << yaml << "\n" << result.error_report();
    const CourierConfig& config = result.config;
    EXPECT_EQ(config.postgres.host, "localhost");
    EXPECT_EQ(config.postgres.port, 5432);
    EXPECT_EQ(config.postgres.user, "");
    EXPECT_EQ(config.postgres.password, "");
    EXPECT_EQ(config.postgres.dbname, "");
    EXPECT_EQ(config.postgres.sslmode, PostgresSslMode::kDisable);
    EXPECT_EQ(config.postgres.connect_timeout, milliseconds(10'000));
    EXPECT_EQ(config.postgres.application_name, "courier");
    EXPECT_EQ(config.redis.addr, (HostPort{"localhost", 6379}));
    EXPECT_EQ(config.redis.username, "");
    EXPECT_EQ(config.redis.password, "");
    EXPECT_EQ(config.redis.db, 0);
    EXPECT_FALSE(config.redis.cluster());
    EXPECT_FALSE(config.redis.read_from_replicas);
    EXPECT_EQ(config.redis.connect_timeout, milliseconds(2'000));
    EXPECT_EQ(config.redis.socket_timeout, milliseconds(5'000));
    EXPECT_EQ(config.http.listen, (HostPort{"127.0.0.1", 8080}));
    EXPECT_EQ(config.log.level, LogLevel::kInfo);
    EXPECT_EQ(config.log.format, LogFormat::kText);
    EXPECT_FALSE(config.log.log_sql);
    EXPECT_TRUE(config.reserved_sections.empty());
  }
}

TEST(LoadConfig, PostgresLivenessKeysHaveDefaultsAndAreRead) {
  LoadResult defaults = load("");
  EXPECT_EQ(defaults.config.postgres.statement_timeout, milliseconds(60'000));
  EXPECT_EQ(defaults.config.postgres.tcp_user_timeout, milliseconds(20'000));
  LoadResult result = load(
      "postgres:\n  statement_timeout: 0\n  keepalives_idle: 30s\n  keepalives_interval: 2s\n"
      "  keepalives_count: 9\n  tcp_user_timeout: 1500ms\n");
  ASSERT_TRUE(result.errors.empty()) << printed_errors(result).front();
  EXPECT_EQ(result.config.postgres.statement_timeout, milliseconds(0));
  EXPECT_EQ(result.config.postgres.keepalives_idle, milliseconds(30'000));
  EXPECT_EQ(result.config.postgres.keepalives_interval, milliseconds(2'000));
  EXPECT_EQ(result.config.postgres.keepalives_count, 9);
  EXPECT_EQ(result.config.postgres.tcp_user_timeout, milliseconds(1500));
  std::vector<std::string> errors = printed_errors(load("postgres:\n  keepalives_count: 0\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("keepalives_count"), std::string::npos) << errors[0];
}

TEST(LoadConfig, ReadsEveryKeyOfEverySection) {
  LoadResult result = load(R"(postgres:
  host: pg.internal
  port: 5433
  user: app
  password: ${PGPASSWORD}
  dbname: shop
  sslmode: verify-full
  connect_timeout: 3s
  application_name: courier-eu
redis:
  nodes: [10.0.0.1:7000, "10.0.0.2:7001", "[fd00::3]"]
  username: sync
  password: ${REDIS_PASSWORD:-}
  read_from_replicas: yes
  connect_timeout: 500ms
  socket_timeout: 1m
http:
  listen: 0.0.0.0:9090
log:
  level: debug
  format: json
log_sql: true
)",
                           {{"PGPASSWORD", "pg-secret"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  const PostgresConfig& pg = result.config.postgres;
  EXPECT_EQ(pg.host, "pg.internal");
  EXPECT_EQ(pg.port, 5433);
  EXPECT_EQ(pg.user, "app");
  EXPECT_EQ(pg.password, "pg-secret");
  EXPECT_EQ(pg.dbname, "shop");
  EXPECT_EQ(pg.sslmode, PostgresSslMode::kVerifyFull);
  EXPECT_EQ(pg.connect_timeout, milliseconds(3'000));
  EXPECT_EQ(pg.application_name, "courier-eu");
  const RedisConfig& redis = result.config.redis;
  EXPECT_TRUE(redis.cluster());
  EXPECT_EQ(redis.nodes,
            (std::vector<HostPort>{{"10.0.0.1", 7000}, {"10.0.0.2", 7001}, {"fd00::3", 6379}}));
  EXPECT_EQ(redis.username, "sync");
  EXPECT_EQ(redis.password, "");
  EXPECT_TRUE(redis.read_from_replicas);
  EXPECT_EQ(redis.connect_timeout, milliseconds(500));
  EXPECT_EQ(redis.socket_timeout, milliseconds(60'000));
  EXPECT_EQ(result.config.http.listen, (HostPort{"0.0.0.0", 9090}));
  EXPECT_EQ(result.config.log.level, LogLevel::kDebug);
  EXPECT_EQ(result.config.log.format, LogFormat::kJson);
  EXPECT_TRUE(result.config.log.log_sql);
}

TEST(LoadConfig, PostgresUrlSetsTheConnection) {
  LoadResult result = load(
      "postgres:\n"
      "  url: postgresql://app:${PGPASSWORD}@db:5433/shop?sslmode=require\n"
      "  application_name: worker\n",
      {{"PGPASSWORD", "pg-secret"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.postgres.host, "db");
  EXPECT_EQ(result.config.postgres.password, "pg-secret");
  EXPECT_EQ(result.config.postgres.sslmode, PostgresSslMode::kRequire);
  EXPECT_EQ(result.config.postgres.application_name, "worker");
}

TEST(LoadConfig, PostgresUrlTogetherWithSeparateKeysIsAnError) {
  LoadResult result = load("postgres:\n  url: postgresql://db/shop\n  host: db\n  dbname: shop\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:2:8: postgres.url: 'url' cannot be combined with 'host' or "
                "'dbname'; give either the url or the separate keys, not both"});
}

TEST(LoadConfig, RedisUrlSetsTheConnection) {
  LoadResult result = load("redis:\n  url: redis://sync:${REDIS_PASSWORD}@cache:6380/3\n",
                           {{"REDIS_PASSWORD", "r-secret"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.redis.addr, (HostPort{"cache", 6380}));
  EXPECT_EQ(result.config.redis.username, "sync");
  EXPECT_EQ(result.config.redis.password, "r-secret");
  EXPECT_EQ(result.config.redis.db, 3);
}

TEST(LoadConfig, RedisUrlTogetherWithSeparateKeysIsAnError) {
  LoadResult result = load("redis:\n  url: redis://cache\n  password: x\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:2:8: redis.url: 'url' cannot be combined with 'password'; give "
                "either the url or the separate keys, not both"});
}

TEST(LoadConfig, BadUrlIsReportedAtTheUrl) {
  LoadResult result = load("redis:\n  url: rediss://cache/x\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:2:8: redis.url: redis URL: the path must be a database number like "
                "/0, got '/x'"});
}

TEST(LoadConfig, RedisTlsBlockReadsEveryKey) {
  LoadResult result = load(
      "redis:\n  addr: cache:6380\n  tls:\n    ca_file: /etc/ssl/redis-ca.pem\n"
      "    cert_file: /etc/courier/client.crt\n    key_file: /etc/courier/client.key\n"
      "    server_name: cache.internal\n    verify: false\n");
  ASSERT_TRUE(printed_errors(result).empty()) << printed_errors(result).front();
  const RedisTlsConfig& tls = result.config.redis.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.ca_file, "/etc/ssl/redis-ca.pem");
  EXPECT_EQ(tls.cert_file, "/etc/courier/client.crt");
  EXPECT_EQ(tls.key_file, "/etc/courier/client.key");
  EXPECT_EQ(tls.server_name, "cache.internal");
  EXPECT_FALSE(tls.verify);
  EXPECT_NE(result.config.redis.describe().find(
                " tls=no-verify ca_file=/etc/ssl/redis-ca.pem cert_file=/etc/courier/client.crt "
                "server_name=cache.internal"),
            std::string::npos)
      << result.config.redis.describe();
}

TEST(LoadConfig, RedissUrlTurnsTlsOnAndTheBlockAddsFiles) {
  LoadResult plain = load("redis:\n  url: redis://cache\n");
  EXPECT_FALSE(plain.config.redis.tls.enabled);
  LoadResult url_only = load("redis:\n  url: rediss://cache:6380\n");
  ASSERT_TRUE(printed_errors(url_only).empty());
  EXPECT_TRUE(url_only.config.redis.tls.enabled);
  EXPECT_TRUE(url_only.config.redis.tls.verify);
  LoadResult with_block =
      load("redis:\n  url: rediss://cache:6380\n  tls:\n    ca_file: /ca.pem\n");
  ASSERT_TRUE(printed_errors(with_block).empty());
  EXPECT_EQ(with_block.config.redis.tls.ca_file, "/ca.pem");
}

TEST(LoadConfig, RedisTlsMistakesAreReportedWhereTheyAre) {
  LoadResult result = load(
      "redis:\n  url: redis://cache\n  tls:\n    ca_fille: /ca.pem\n"
      "    cert_file: /c.crt\n    verify: sometimes\n");
  EXPECT_EQ(printed_errors(result),
            (std::vector<std::string>{
                "courier.yaml:4:5: redis.tls: the url is redis:// (no TLS); write rediss:// to use "
                "TLS, or remove 'tls'",
                "courier.yaml:4:5: redis.tls.ca_fille: unknown key 'ca_fille'; did you mean "
                "'ca_file'?",
                "courier.yaml:5:16: redis.tls.cert_file: a client certificate needs its key; add "
                "'key_file'",
                "courier.yaml:6:13: redis.tls.verify: expected a boolean (true or false), got "
                "'sometimes'"}));
}

TEST(LoadConfig, ClusterNodesWithANonZeroDatabaseIsAnError) {
  LoadResult result =
      load("redis:\n  nodes:\n    - 127.0.0.1:7000\n    - 127.0.0.1:7001\n  db: 1\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:5:7: redis.db: a Redis Cluster has only database 0; remove 'db' or "
                "use one server"});
}

TEST(LoadConfig, ClusterNodesWithASingleServerAddressIsAnError) {
  LoadResult result = load("redis:\n  addr: localhost:6379\n  nodes: [a:1]\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:3:10: redis.nodes: 'nodes' cannot be combined with 'addr'; 'nodes' "
                "lists a cluster's seed nodes; remove the single server"});
}

TEST(LoadConfig, BadClusterNodesAreReportedOneByOne) {
  LoadResult result = load("redis:\n  nodes: [a:1, b:x, c:70000]\n");
  EXPECT_EQ(printed_errors(result),
            (std::vector<std::string>{
                "courier.yaml:2:16: redis.nodes[1]: invalid port in 'b:x'; expected an integer "
                "in 1..65535",
                "courier.yaml:2:21: redis.nodes[2]: invalid port in 'c:70000'; expected an "
                "integer in 1..65535"}));
  EXPECT_EQ(load("redis:\n  nodes: []\n").errors.size(), 1u);
}

TEST(LoadConfig, ServerPortSetsTheHttpPortOnLoopback) {
  LoadResult result = load("server_port:\n  port: 9000\n");
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.http.listen, (HostPort{"127.0.0.1", 9000}));
}

TEST(LoadConfig, ServerPortAgreeingWithHttpListenIsFine) {
  LoadResult result = load("http:\n  listen: 0.0.0.0:9000\nserver_port:\n  port: 9000\n");
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.http.listen, (HostPort{"0.0.0.0", 9000}));
}

TEST(LoadConfig, ServerPortDisagreeingWithHttpListenIsAnError) {
  LoadResult result = load("http:\n  listen: 0.0.0.0:9000\nserver_port:\n  port: 9001\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:4:9: server_port.port: port 9001 disagrees with http.listen "
                "(0.0.0.0:9000); give the port in one place"});
}

TEST(LoadConfig, HttpListenNeedsAPortButMayUseZero) {
  EXPECT_EQ(load("http:\n  listen: 127.0.0.1:0\n").config.http.listen.port, 0);
  EXPECT_EQ(printed_errors(load("http:\n  listen: 127.0.0.1\n")),
            std::vector<std::string>{
                "courier.yaml:2:11: http.listen: missing port in '127.0.0.1'; expected "
                "'host:port'"});
}

TEST(LoadConfig, ReservedSectionsAreKeptForTheirModules) {
  LoadResult result = load(
      "tasks:\n  - name: ${TASK_NAME:-orders}\n    anything: goes\n"
      "streams: {events: {}}\n"
      "api:\n  whatever: 1\n");
  ASSERT_TRUE(result.ok()) << result.error_report();
  ASSERT_EQ(result.config.reserved_sections.size(), 3u);
  EXPECT_EQ(result.config.reserved_section("streams")->source_name, "courier.yaml");
  EXPECT_EQ(result.config.reserved_section("nope"), nullptr);

  ConfigErrors errors;
  ReadContext context(errors);
  ValueReader tasks = open_reserved_section(*result.config.reserved_section("tasks"), context);
  MappingReader first = tasks.as_sequence()->item(0).as_mapping().value();
  EXPECT_EQ(first.string("name"), "orders");
  EXPECT_EQ(first.position().line, 2);
  EXPECT_TRUE(errors.empty());
}

TEST(LoadConfig, UnsetVariableInAReservedSectionIsReportedAtLoad) {
  LoadResult result = load("tasks:\n  - name: ${TASK_NAME}\n");
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{
                "courier.yaml:2:11: tasks[0].name: environment variable 'TASK_NAME' is not set; "
                "set it, or give a default with '${TASK_NAME:-default}'"});
}

TEST(LoadConfig, EnvironmentSubstitutionInEveryKindOfValue) {
  LoadResult result = load(
      "postgres:\n  port: ${PGPORT}\n  host: ${PGHOST:-localhost}\n  dbname: shop$$1\n"
      "redis:\n  read_from_replicas: ${REPLICAS:-false}\n  connect_timeout: ${TIMEOUT}\n",
      {{"PGPORT", "6543"}, {"TIMEOUT", "750ms"}});
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.postgres.port, 6543);
  EXPECT_EQ(result.config.postgres.host, "localhost");
  EXPECT_EQ(result.config.postgres.dbname, "shop$1");
  EXPECT_FALSE(result.config.redis.read_from_replicas);
  EXPECT_EQ(result.config.redis.connect_timeout, milliseconds(750));
}

TEST(LoadConfig, MissingFileGivesOneClearError) {
  LoadResult result = load_config_file("/nonexistent/courier.yaml", environment_from_map({}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.error_report(),
            "/nonexistent/courier.yaml: cannot open the configuration file: No such file or "
            "directory\n");
}

TEST(LoadConfig, DirectoryInsteadOfAFileGivesOneClearError) {
  LoadResult result = load_config_file(::testing::TempDir(), environment_from_map({}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].message.find("is a directory"), std::string::npos);
}

TEST(LoadConfig, ReadsAFileAndNamesItInErrors) {
  std::string path = ::testing::TempDir() + "/courier_config_test.yaml";
  std::ofstream(path) << "log:\n  level: info\n  fromat: json\n";
  LoadResult result = load_config_file(path, environment_from_map({}));
  EXPECT_EQ(result.error_report(),
            path + ":3:3: log.fromat: unknown key 'fromat'; did you mean 'format'?\n");
  std::remove(path.c_str());
}

TEST(CourierConfig, DescribeShowsTheSettings) {
  LoadResult result = load("redis:\n  nodes: [a:7000, b:7001]\ntasks: []\n");
  ASSERT_TRUE(result.ok()) << result.error_report();
  EXPECT_EQ(result.config.describe(),
            "postgres: host=localhost port=5432 user=(default) password=(none) dbname=(default) "
            "sslmode=disable connect_timeout=10s application_name=courier\n"
            "redis: cluster nodes=a:7000,b:7001 read_from_replicas=false username=(default) "
            "password=(none) connect_timeout=2s socket_timeout=5s tls=off\n"
            "http: listen=127.0.0.1:8080 workers=32\n"
            "log: level=info format=text log_sql=false\n");
}

TEST(PostgresConfig, ConninfoQuotesEveryValueForLibpq) {
  PostgresConfig pg;
  pg.user = "app";
  pg.password = "it's\\secret";
  pg.dbname = "shop";
  pg.connect_timeout = milliseconds(1'500);
  EXPECT_EQ(pg.conninfo(),
            "host='localhost' port='5432' user='app' password='it\\'s\\\\secret' dbname='shop' "
            "sslmode='disable' connect_timeout='2' application_name='courier'");
}

TEST(PostgresConfig, ConninfoLeavesOutEmptySettings) {
  PostgresConfig pg;
  pg.host.clear();
  EXPECT_EQ(pg.conninfo(),
            "port='5432' sslmode='disable' connect_timeout='10' application_name='courier'");
}

TEST(LoadConfig, HttpLimitsHaveDefaultsAndCanBeSet) {
  LoadResult defaults = load("http:\n  workers: 300\n");
  ASSERT_TRUE(defaults.ok()) << defaults.error_report();
  EXPECT_EQ(defaults.config.http.max_connections, 300);  // never below workers
  EXPECT_EQ(defaults.config.http.max_body_bytes, 1 << 20);
  EXPECT_EQ(defaults.config.http.max_header_bytes, 64 << 10);
  EXPECT_EQ(defaults.config.http.read_timeout, milliseconds(10'000));
  LoadResult set = load(
      "http:\n  max_connections: 50\n  max_body_bytes: 4096\n  max_header_bytes: 2048\n"
      "  read_timeout: 2s\n  workers: 8\n");
  ASSERT_TRUE(set.ok()) << set.error_report();
  EXPECT_EQ(set.config.http.max_connections, 50);
  EXPECT_EQ(set.config.http.max_body_bytes, 4096);
  EXPECT_EQ(set.config.http.max_header_bytes, 2048);
  EXPECT_EQ(set.config.http.read_timeout, milliseconds(2'000));
}

TEST(LoadConfig, HttpMaxConnectionsBelowWorkersIsAnError) {
  LoadResult result = load("http:\n  workers: 16\n  max_connections: 8\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(printed_errors(result),
            std::vector<std::string>{"courier.yaml:3:20: http.max_connections: max_connections (8) "
                                     "is below workers (16): workers beyond it would never serve; "
                                     "raise it"});
}

}  // namespace
}  // namespace courier::config
