#include "config/env_substitution.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

const EnvLookup kEnv =
    environment_from_map({{"PGPASSWORD", "s3cret"}, {"EMPTY", ""}, {"PORT", "5433"}});

std::string substituted(std::string_view text) {
  SubstitutionResult result = substitute_env(text, kEnv);
  EXPECT_TRUE(result.ok()) << result.error;
  return result.value;
}

std::string substitution_error(std::string_view text) {
  SubstitutionResult result = substitute_env(text, kEnv);
  EXPECT_FALSE(result.ok()) << "expected an error for " << text;
  return result.error;
}

TEST(EnvSubstitution, ReplacesASetVariable) {
  EXPECT_EQ(substituted("${PGPASSWORD}"), "s3cret");
  EXPECT_EQ(substituted("db:${PORT}/x"), "db:5433/x");
  EXPECT_EQ(substituted("${PORT}${PORT}"), "54335433");
}

TEST(EnvSubstitution, DefaultIsUsedWhenTheVariableIsUnsetOrEmpty) {
  EXPECT_EQ(substituted("${MISSING:-localhost}"), "localhost");
  EXPECT_EQ(substituted("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(substituted("${PORT:-1}"), "5433");
  EXPECT_EQ(substituted("${MISSING:-}"), "");
}

TEST(EnvSubstitution, SetButEmptyVariableWithoutDefaultIsEmpty) {
  EXPECT_EQ(substituted("[${EMPTY}]"), "[]");
}

TEST(EnvSubstitution, DoubleDollarIsALiteralDollar) {
  EXPECT_EQ(substituted("pa$$word"), "pa$word");
  EXPECT_EQ(substituted("$${PGPASSWORD}"), "${PGPASSWORD}");
  EXPECT_EQ(substituted("$$$${PORT}"), "$${PORT}");
  EXPECT_EQ(substituted("$$${PORT}"), "$5433");
}

TEST(EnvSubstitution, ALoneDollarIsKeptAsWritten) {
  EXPECT_EQ(substituted("price > $1"), "price > $1");
  EXPECT_EQ(substituted("cost$"), "cost$");
}

TEST(EnvSubstitution, UnsetVariableWithoutDefaultIsAnErrorNamingIt) {
  std::string error = substitution_error("${NOT_SET}");
  EXPECT_NE(error.find("'NOT_SET' is not set"), std::string::npos) << error;
  EXPECT_NE(error.find("${NOT_SET:-default}"), std::string::npos) << error;
}

TEST(EnvSubstitution, UnterminatedReferenceIsAnError) {
  EXPECT_NE(substitution_error("${PORT").find("closing '}'"), std::string::npos);
}

TEST(EnvSubstitution, InvalidNameIsAnError) {
  EXPECT_NE(substitution_error("${}").find("invalid"), std::string::npos);
  EXPECT_NE(substitution_error("${1ABC}").find("invalid"), std::string::npos);
  EXPECT_NE(substitution_error("${A-B}").find("invalid"), std::string::npos);
}

TEST(EnvSubstitution, ErrorsNeverContainAnyVariableValue) {
  for (std::string_view text :
       {"${PGPASSWORD}${NOT_SET}", "${PGPASSWORD} ${PORT", "${PGPASSWORD}${x.y}"}) {
    EXPECT_EQ(substitution_error(text).find("s3cret"), std::string::npos) << text;
  }
}

TEST(EnvSubstitution, TextWithoutReferencesIsUnchanged) {
  EXPECT_EQ(substituted("plain text: {braces} $"), "plain text: {braces} $");
  EXPECT_FALSE(contains_env_reference("plain $1"));
  EXPECT_TRUE(contains_env_reference("${X}"));
  EXPECT_TRUE(contains_env_reference("$$"));
}

TEST(EnvSubstitution, ProcessEnvironmentReadsRealVariables) {
  ::setenv("COURIER_CONFIG_TEST_VARIABLE", "from-process", 1);
  EnvLookup env = process_environment();
  EXPECT_EQ(env("COURIER_CONFIG_TEST_VARIABLE"), "from-process");
  EXPECT_EQ(env("COURIER_CONFIG_TEST_UNSET_VARIABLE"), std::nullopt);
  ::unsetenv("COURIER_CONFIG_TEST_VARIABLE");
}

}  // namespace
}  // namespace courier::config
