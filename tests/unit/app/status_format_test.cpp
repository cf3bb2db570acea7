// What `courier status` prints, from a StatusReport made by hand: the verdict, the problems
// and warnings, colours only when asked for, and the JSON's fields.
#include "app/status_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace courier::app {
namespace {

StatusReport healthy_report() {
  StatusReport report;
  report.now = 1000;
  report.postgres.name = "Postgres 127.0.0.1:5432/app";
  report.redis.name = "Redis 127.0.0.1:6379";
  report.tasks.push_back({.name = "orders",
                          .capture = "poll",
                          .checkpoint_key = "checkpoint:orders",
                          .read = true,
                          .checkpoint = R"(["2024-05-01 10:00:00+00","42"])",
                          .dead_letter_key = "orders:dead-letters",
                          .dead_letters = 0,
                          .last_run = 970});
  report.tasks.push_back({.name = "items",
                          .capture = "wal",
                          .checkpoint_key = "checkpoint:items",
                          .read = true,
                          .dead_letter_key = "items:dead-letters",
                          .dead_letters = 0});
  report.slot = SlotStatus{.name = "courier",
                           .read = true,
                           .exists = true,
                           .active = true,
                           .lag_bytes = 56,
                           .max_lag_bytes = 1000,
                           .wal_status = "reserved"};
  report.streams.push_back(
      {.stream = "events", .group = "postgres-sync", .length = 10, .pending = 2, .lag = 3});
  report.stream_dead_letter_key = "courier:streams:dead-letters";
  report.stream_dead_letters = 0;
  return report;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(StatusFormat, HealthyReportShowsEachTaskSlotAndStream) {
  const StatusReport report = healthy_report();
  EXPECT_TRUE(report.healthy());
  const std::string text = status_as_text(report, false);
  // A polled task lags by the time since its last complete run; a wal task by its slot.
  EXPECT_TRUE(
      contains(text, R"(orders  poll     ["2024-05-01 10:00:00+00","42"]  30 s ago   30 s)"))
      << text;
  EXPECT_TRUE(contains(text, "items   wal      (none)")) << text;
  EXPECT_TRUE(contains(text, "streaming  56 B")) << text;
  EXPECT_TRUE(contains(text, "56 B")) << text;
  EXPECT_TRUE(contains(text, "replication slot 'courier': active, lag 56 bytes (max_lag 1000)"))
      << text;
  EXPECT_TRUE(contains(text, "events  postgres-sync  10      2        3")) << text;
  EXPECT_TRUE(text.ends_with("\nhealthy\n")) << text;
  EXPECT_FALSE(contains(text, "\033[")) << "no colours unless asked for";
}

TEST(StatusFormat, ColoursOnlyWhenAskedFor) {
  EXPECT_TRUE(contains(status_as_text(healthy_report(), true), "\033[32mhealthy\033[0m"));
}

TEST(StatusFormat, SlotBeyondMaxLagIsAProblem) {
  StatusReport report = healthy_report();
  report.slot->lag_bytes = 1001;
  ASSERT_EQ(report.problems().size(), 1u);
  EXPECT_EQ(report.problems()[0],
            "replication slot 'courier' holds back 1001 bytes of WAL, more than "
            "changes.max_lag (1000)");
  EXPECT_TRUE(status_as_text(report, false).ends_with("\nunhealthy: 1 problem\n"));
}

TEST(StatusFormat, UnreachableServerAndMissingGroupAreProblemsNamingWhere) {
  StatusReport report = healthy_report();
  report.redis.problem = "connection refused";
  report.streams[0].problem = "no such consumer group";
  const std::vector<std::string> problems = report.problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "Redis 127.0.0.1:6379: connection refused");
  EXPECT_EQ(problems[1], "stream 'events', group 'postgres-sync': no such consumer group");
  const std::string text = status_as_text(report, false);
  EXPECT_TRUE(contains(text, "Redis 127.0.0.1:6379: unreachable")) << text;
  EXPECT_TRUE(contains(text, "problem: Redis 127.0.0.1:6379: connection refused")) << text;
}

TEST(StatusFormat, CheckpointNotReadIsUnknownNotNone) {
  StatusReport report = healthy_report();
  report.tasks[1].read = false;
  EXPECT_TRUE(contains(status_as_text(report, false), "items   wal      ?"))
      << status_as_text(report, false);
  EXPECT_TRUE(contains(status_as_text(healthy_report(), false), "items   wal      (none)"));
}

TEST(StatusFormat, DeadLettersAreWarningsNotProblems) {
  StatusReport report = healthy_report();
  report.tasks[0].dead_letters = 2;
  report.stream_dead_letters = 1;
  EXPECT_TRUE(report.healthy());
  const std::vector<std::string> warnings = report.warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_TRUE(
      contains(warnings[0], "task 'orders': 2 dead letters in stream 'orders:dead-letters'"))
      << warnings[0];
  EXPECT_TRUE(contains(warnings[1],
                       "stream ingest: 1 dead letter in stream "
                       "'courier:streams:dead-letters'"))
      << warnings[1];
}

TEST(StatusFormat, APolledTaskThatNeverRanSaysSo) {
  StatusReport report = healthy_report();
  report.tasks[0].last_run.reset();
  EXPECT_TRUE(contains(status_as_text(report, false), R"("42"]  never      n/a)"))
      << status_as_text(report, false);
}

TEST(StatusFormat, JsonHasEveryField) {
  StatusReport report = healthy_report();
  report.streams[0].lag.reset();  // Redis before 7 does not say
  const nlohmann::json json = nlohmann::json::parse(status_as_json(report));
  EXPECT_EQ(json["healthy"], true);
  EXPECT_EQ(json["postgres"]["ok"], true);
  EXPECT_EQ(json["tasks"][0]["name"], "orders");
  EXPECT_EQ(json["tasks"][0]["checkpoint"], R"(["2024-05-01 10:00:00+00","42"])");
  EXPECT_TRUE(json["tasks"][0]["lag_bytes"].is_null());
  EXPECT_EQ(json["tasks"][0]["last_run_unix"], 970);
  EXPECT_EQ(json["tasks"][0]["lag_seconds"], 30);
  EXPECT_TRUE(json["tasks"][1]["last_run_unix"].is_null());
  EXPECT_TRUE(json["tasks"][1]["lag_seconds"].is_null());
  EXPECT_TRUE(json["tasks"][1]["checkpoint"].is_null());
  EXPECT_EQ(json["tasks"][1]["lag_bytes"], 56);
  EXPECT_EQ(json["slot"]["lag_bytes"], 56);
  EXPECT_EQ(json["streams"][0]["pending"], 2);
  EXPECT_TRUE(json["streams"][0]["lag"].is_null());
  EXPECT_EQ(json["stream_dead_letters"]["count"], 0);
  EXPECT_TRUE(json["problems"].empty());
}

}  // namespace
}  // namespace courier::app
