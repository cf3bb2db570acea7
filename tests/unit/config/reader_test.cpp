// The reader framework on its own: what a later section (tasks:, streams:, api:) relies on.
#include "config/reader.h"

#include <gtest/gtest.h>

#include <map>

namespace courier::config {
namespace {

using std::chrono::milliseconds;

// One parsed document with its error collector, read the way the loader reads it.
class Document {
 public:
  explicit Document(const std::string& yaml, std::map<std::string, std::string> env = {})
      : node_(YAML::Load(yaml)),
        env_(environment_from_map(std::move(env))),
        context_(errors_, &env_) {}

  MappingReader root() { return ValueReader(node_, "", {1, 1}, context_).as_mapping().value(); }
  ReadContext& context() { return context_; }

  // Every error as "line:column: path: message".
  std::vector<std::string> errors() const {
    std::vector<std::string> printed;
    for (const ConfigError& error : errors_.sorted()) {
      std::string text = error.to_string("");
      printed.push_back(text.substr(1));  // drop the ':' after the empty source name
    }
    return printed;
  }

 private:
  YAML::Node node_;
  ConfigErrors errors_;
  EnvLookup env_;
  ReadContext context_;
};

TEST(MappingReader, FinishReportsUnknownKeysWithTheNearestValidName) {
  Document doc("redis:\n  addr: localhost:6379\n  pasword: x\n");
  MappingReader redis = doc.root().mapping("redis").value();
  redis.string("addr");
  redis.string("password");
  redis.finish();
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{
                "3:3: redis.pasword: unknown key 'pasword'; did you mean 'password'?"});
}

TEST(MappingReader, UnknownKeyWithoutACloseNameListsTheValidKeys) {
  Document doc("log:\n  colour: red\n");
  MappingReader log = doc.root().mapping("log").value();
  log.string("level");
  log.string("format");
  log.finish();
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{
                "2:3: log.colour: unknown key 'colour'; valid keys here: 'level' or 'format'"});
}

TEST(MappingReader, KeysAskedForButAbsentStillCountAsValid) {
  Document doc("a: 1\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.integer("a"), 1);
  EXPECT_EQ(root.integer("b"), std::nullopt);
  root.allow("c");
  root.finish();
  EXPECT_TRUE(doc.errors().empty());
}

TEST(MappingReader, EmptyValueIsTheSameAsAnAbsentKey) {
  Document doc("port:\nname: ~\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.integer<int>("port", kPortRange).value_or(5432), 5432);
  EXPECT_FALSE(root.has("name"));
  root.finish();
  EXPECT_TRUE(doc.errors().empty());
}

TEST(MappingReader, DuplicateKeyIsAnError) {
  Document doc("host: a\nport: 1\nhost: b\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.string("host"), "a");
  root.integer("port");
  root.finish();
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{
                "3:1: host: duplicate key 'host' (first given on line 1); remove one"});
}

TEST(MappingReader, RequireReportsAMissingKeyAtTheMapping) {
  Document doc("server_port:\n  prot: 8080\n");
  MappingReader section = doc.root().mapping("server_port").value();
  section.require("port");
  section.finish();
  EXPECT_EQ(doc.errors(), (std::vector<std::string>{
                              "2:3: server_port: missing required key 'port'",
                              "2:3: server_port.prot: unknown key 'prot'; did you mean 'port'?"}));
}

TEST(MappingReader, ConflictsNamesEveryClashingKey) {
  Document doc("url: redis://x\naddr: y:1\ndb: 2\n");
  MappingReader root = doc.root();
  EXPECT_TRUE(root.conflicts("url", {"addr", "username", "db"}, "pick one form"));
  EXPECT_FALSE(root.conflicts("addr", {"username"}, "unused"));
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{
                "1:6: url: 'url' cannot be combined with 'addr' or 'db'; pick one form"});
}

TEST(ValueReader, WrongTypesNameWhatWasExpectedAndWhatWasFound) {
  Document doc("n: abc\nb: maybe\nd: 1.5s\ns: [1]\nm: text\nl: {a: 1}\n");
  MappingReader root = doc.root();
  root.integer("n");
  root.boolean("b");
  root.duration("d");
  root.string("s");
  root.mapping("m");
  root.sequence("l");
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{
                "1:4: n: expected an integer, got 'abc'",
                "2:4: b: expected a boolean (true or false), got 'maybe'",
                "3:4: d: expected a duration such as '100ms', '5s', '1m30s' or '2h' (or whole "
                "milliseconds), got '1.5s'",
                "4:4: s: expected a string, got a list",
                "5:4: m: expected a mapping ('key: value' lines), got a single value",
                "6:4: l: expected a list ('- item' lines or [a, b]), got a mapping"}));
}

TEST(ValueReader, RangesAreChecked) {
  Document doc("port: 70000\nworkers: 0\ntimeout: 0s\nsmall: 300\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.integer<int>("port", kPortRange), std::nullopt);
  EXPECT_EQ(root.integer("workers", {1, std::numeric_limits<std::int64_t>::max()}), std::nullopt);
  EXPECT_EQ(root.duration("timeout", kPositiveDuration), std::nullopt);
  EXPECT_EQ(root.integer<std::uint8_t>("small"), std::nullopt);
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{"1:7: port: '70000' is out of range; expected 1..65535",
                                      "2:10: workers: '0' is out of range; expected at least 1",
                                      "3:10: timeout: '0s' is out of range; expected at least 1ms",
                                      "4:8: small: '300' is out of range; expected 0..255"}));
}

TEST(ValueReader, DurationsAcceptUnitsAndPlainMilliseconds) {
  Document doc("a: 100ms\nb: 5s\nc: 1m30s\nd: 250\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.duration("a"), milliseconds(100));
  EXPECT_EQ(root.duration("b"), milliseconds(5'000));
  EXPECT_EQ(root.duration("c"), milliseconds(90'000));
  EXPECT_EQ(root.duration("d"), milliseconds(250));
  EXPECT_TRUE(doc.errors().empty());
}

TEST(ValueReader, EnumerationIgnoresCaseAndListsTheChoicesWithASuggestion) {
  Document doc("a: DEBUG\nb: wrn\n");
  MappingReader root = doc.root();
  EXPECT_EQ(root.enumeration("a", kLogLevelNames), LogLevel::kDebug);
  EXPECT_EQ(root.enumeration("b", kLogLevelNames), std::nullopt);
  EXPECT_EQ(doc.errors(),
            std::vector<std::string>{"2:4: b: expected one of 'trace', 'debug', 'info', 'warn' or "
                                     "'error', got 'wrn'; did you mean 'warn'?"});
}

TEST(ValueReader, EnvironmentVariablesAreReplacedInScalars) {
  Document doc("host: ${HOST}\nport: \"${PORT:-5432}\"\nname: a$$b\n", {{"HOST", "db"}});
  MappingReader root = doc.root();
  EXPECT_EQ(root.string("host"), "db");
  EXPECT_EQ(root.integer("port"), 5432);
  EXPECT_EQ(root.string("name"), "a$b");
  EXPECT_TRUE(doc.errors().empty());
}

TEST(ValueReader, AWrongValueFromTheEnvironmentIsShownAsWrittenNotAsItsValue) {
  Document doc("port: ${PORT}\n", {{"PORT", "not-a-port"}});
  doc.root().integer("port");
  ASSERT_EQ(doc.errors().size(), 1u);
  EXPECT_NE(doc.errors()[0].find("got '${PORT}'"), std::string::npos) << doc.errors()[0];
  EXPECT_EQ(doc.errors()[0].find("not-a-port"), std::string::npos) << doc.errors()[0];
}

TEST(ValueReader, UnsetVariableIsReportedAtTheValue) {
  Document doc("a:\n  password: ${NOPE}\n");
  doc.root().mapping("a")->string("password");
  EXPECT_EQ(doc.errors(), std::vector<std::string>{
                              "2:13: a.password: environment variable 'NOPE' is not set; set it, "
                              "or give a default with '${NOPE:-default}'"});
}

TEST(ValueReader, LongValuesAreShortenedInMessages) {
  Document doc("n: " + std::string(100, 'x') + "\n");
  doc.root().integer("n");
  ASSERT_EQ(doc.errors().size(), 1u);
  EXPECT_NE(doc.errors()[0].find(std::string(40, 'x') + "...'"), std::string::npos);
  EXPECT_EQ(doc.errors()[0].find(std::string(41, 'x')), std::string::npos);
}

TEST(SequenceReader, ItemsHaveIndexedPathsThroughNestedSections) {
  Document doc(
      "tasks:\n"
      "  - name: a\n"
      "  - name: b\n"
      "  - name: c\n"
      "    tracking:\n"
      "      column: [x]\n");
  SequenceReader tasks = doc.root().sequence("tasks").value();
  ASSERT_EQ(tasks.size(), 3u);
  for (const ValueReader& task : tasks.items()) {
    MappingReader fields = task.as_mapping().value();
    fields.string("name");
    if (auto tracking = fields.mapping("tracking")) tracking->string("column");
  }
  EXPECT_EQ(doc.errors(), std::vector<std::string>{
                              "6:15: tasks[2].tracking.column: expected a string, got a list"});
}

TEST(SequenceReader, StringListReportsEachBadItem) {
  Document doc("fields: [id, {a: 1}, status, [x]]\n");
  EXPECT_EQ(doc.root().string_list("fields"), std::nullopt);
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{"1:14: fields[1]: expected a string, got a mapping",
                                      "1:30: fields[3]: expected a string, got a list"}));
}

TEST(SequenceReader, StringListReadsEveryItem) {
  Document doc("fields: [id, status, total_amount]\n");
  EXPECT_EQ(doc.root().string_list("fields"),
            (std::vector<std::string>{"id", "status", "total_amount"}));
}

TEST(ResolveSubtree, ReplacesVariablesOnceAndKeepsTheTreeForALaterReader) {
  Document doc(
      "tasks:\n"
      "  - name: ${TASK}\n"
      "    where: &filter \"note = '$${NOT_A_VARIABLE}'\"\n"
      "    again: *filter\n"
      "    table: orders\n",
      {{"TASK", "recent_orders"}});
  std::shared_ptr<const YamlSubtree> tasks = doc.root().value("tasks")->resolve_subtree();
  ASSERT_TRUE(doc.errors().empty()) << doc.errors()[0];

  ConfigErrors later_errors;
  ReadContext later(later_errors);  // no environment: values are already resolved
  MappingReader task = tasks->reader(later).as_sequence()->item(0).as_mapping().value();
  EXPECT_EQ(task.path(), "tasks[0]");
  EXPECT_EQ(task.string("name"), "recent_orders");
  // An aliased scalar is shared: replaced once, so '$$' stays one literal '$'.
  EXPECT_EQ(task.string("where"), "note = '${NOT_A_VARIABLE}'");
  EXPECT_EQ(task.string("again"), "note = '${NOT_A_VARIABLE}'");
  task.finish();
  ASSERT_EQ(later_errors.size(), 1u);
  EXPECT_EQ(later_errors.sorted()[0].to_string("courier.yaml"),
            "courier.yaml:5:5: tasks[0].table: unknown key 'table'; valid keys here: 'name', "
            "'where' or 'again'");
}

TEST(ResolveSubtree, ReportsUnsetVariablesWithTheirPaths) {
  Document doc("streams:\n  - key: ${STREAM_KEY}\n    group: [\"${GROUP}\"]\n");
  doc.root().value("streams")->resolve_subtree();
  EXPECT_EQ(doc.errors(),
            (std::vector<std::string>{
                "2:10: streams[0].key: environment variable 'STREAM_KEY' is not set; set it, or "
                "give a default with '${STREAM_KEY:-default}'",
                "3:13: streams[0].group[0]: environment variable 'GROUP' is not set; set it, or "
                "give a default with '${GROUP:-default}'"}));
}

TEST(ResolveSubtree, AnAliasInsideTheValueItNamesIsResolvedOnce) {
  // The list holds itself: a walk that followed every alias would never end.
  Document doc("tasks: &self\n  - ${TASK}\n  - *self\n", {{"TASK", "recent_orders"}});
  std::shared_ptr<const YamlSubtree> tasks = doc.root().value("tasks")->resolve_subtree();
  ASSERT_TRUE(doc.errors().empty()) << doc.errors()[0];

  ConfigErrors later_errors;
  ReadContext later(later_errors);
  SequenceReader list = tasks->reader(later).as_sequence().value();
  EXPECT_EQ(list.item(0).as_string(), "recent_orders");
  EXPECT_EQ(list.item(1).as_sequence()->item(0).as_string(), "recent_orders");
}

}  // namespace
}  // namespace courier::config
