// The command line as a user meets it: exit codes and what is printed.
#include "app/cli.h"
#include "cli_test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

namespace courier::app {
namespace {

CliOutcome run(std::vector<std::string> args) { return run_captured(std::move(args)); }

std::string example(const std::string& name) { return std::string(COURIER_SOURCE_DIR) + "/examples/" + name; }

TEST(Cli, VersionPrintsTheVersion) {
  CliOutcome outcome = run({"version"});
  EXPECT_EQ(outcome.exit_code, kExitOk);
  EXPECT_TRUE(std::regex_search(outcome.out, std::regex(R"(^courier \d+\.\d+\.\d+)"))) << outcome.out;
}

TEST(Cli, ValidateAcceptsTheDemoConfiguration) {
  CliOutcome outcome = run({"validate", "-c", example("demo.yaml")});
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_NE(outcome.out.find("valid"), std::string::npos);
}

TEST(Cli, ValidateListsEveryMistakeWithLineAndColumnAndExitsTwo) {
  std::string path = example("demo/mistakes.yaml");
  CliOutcome outcome = run({"validate", "-c", path});
  EXPECT_EQ(outcome.exit_code, kExitInvalid);
  // The five mistakes of the demo file, each at its own line.
  for (const char* expected : {":5:", ":6:", ":9:", ":11:", ":13:"})
    EXPECT_NE(outcome.err.find(path + expected), std::string::npos)
        << "missing " << expected << " in:\n" << outcome.err;
  EXPECT_NE(outcome.err.find("did you mean 'password'"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("5 errors"), std::string::npos) << outcome.err;
  EXPECT_EQ(outcome.err.find("secret"), std::string::npos) << "a password value leaked";
}

TEST(Cli, AMissingFileIsAClearErrorAndExitsTwo) {
  CliOutcome outcome = run({"validate", "-c", "/nonexistent/courier.yaml"});
  EXPECT_EQ(outcome.exit_code, kExitInvalid);
  EXPECT_NE(outcome.err.find("/nonexistent/courier.yaml"), std::string::npos) << outcome.err;
}

TEST(Cli, AnUnknownSubcommandIsAUsageError) {
  EXPECT_EQ(run({"frobnicate"}).exit_code, kExitInvalid);
  EXPECT_EQ(run({}).exit_code, kExitInvalid);
}

TEST(Cli, RunRefusesAnInvalidConfigurationBeforeStartingAnything) {
  CliOutcome outcome = run({"run", "-c", example("demo/mistakes.yaml")});
  EXPECT_EQ(outcome.exit_code, kExitInvalid);
  EXPECT_NE(outcome.err.find("nothing was started"), std::string::npos) << outcome.err;
}

}  // namespace
}  // namespace courier::app
