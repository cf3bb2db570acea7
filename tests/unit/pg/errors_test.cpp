#include "pg/errors.h"

#include <gtest/gtest.h>

#include <ostream>

namespace courier::pg {
namespace {

struct Classification {
  std::string_view sqlstate;
  StatusCode code;
};

// Printed into the test name (and by ctest's discovery): keep it stable and readable.
void PrintTo(const Classification& row, std::ostream* out) {
  *out << "'" << row.sqlstate << "' to " << status_code_name(row.code);
}

class PgSqlstateClassification : public ::testing::TestWithParam<Classification> {};

TEST_P(PgSqlstateClassification, MapsToStatusCode) {
  const Classification& expected = GetParam();
  EXPECT_EQ(status_code_for_sqlstate(expected.sqlstate), expected.code)
      << expected.sqlstate << " -> " << status_code_name(expected.code);
}

INSTANTIATE_TEST_SUITE_P(Table, PgSqlstateClassification,
                         ::testing::Values(
                             // retryable: connection exceptions, server going away or starting
                             Classification{"08000", StatusCode::kUnavailable},
                             Classification{"08003", StatusCode::kUnavailable},
                             Classification{"08006", StatusCode::kUnavailable},
                             Classification{"08P01", StatusCode::kUnavailable},
                             Classification{"57P01", StatusCode::kUnavailable},
                             Classification{"57P02", StatusCode::kUnavailable},
                             Classification{"57P03", StatusCode::kUnavailable},
                             // retryable: lost a race
                             Classification{"40001", StatusCode::kAborted},
                             Classification{"40P01", StatusCode::kAborted},
                             // retryable: statement_timeout, the server was too slow
                             Classification{"57014", StatusCode::kUnavailable},
                             // permanent: data breaks a rule
                             Classification{"23505", StatusCode::kFailedPrecondition},
                             Classification{"23503", StatusCode::kFailedPrecondition},
                             Classification{"23502", StatusCode::kFailedPrecondition},
                             Classification{"23514", StatusCode::kFailedPrecondition},
                             // permanent: the request is wrong
                             Classification{"42601", StatusCode::kInvalidArgument},
                             Classification{"42P01", StatusCode::kInvalidArgument},
                             Classification{"42501", StatusCode::kInvalidArgument},
                             Classification{"22P02", StatusCode::kInvalidArgument},
                             Classification{"22001", StatusCode::kInvalidArgument},
                             // everything else: permanent
                             Classification{"40002", StatusCode::kInternal},
                             Classification{"57P04", StatusCode::kInternal},
                             Classification{"53100", StatusCode::kInternal},
                             Classification{"XX000", StatusCode::kInternal},
                             Classification{"", StatusCode::kInternal},
                             Classification{"0800", StatusCode::kInternal},
                             Classification{"080000", StatusCode::kInternal}));

TEST(PgStatusFromSqlstate, CarriesSqlstateAsDetailAndTheMessage) {
  Status status = status_from_sqlstate("23505", "duplicate key value");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.detail(), "23505");
  EXPECT_EQ(status.message(), "duplicate key value");
  EXPECT_TRUE(status.permanent());
}

TEST(PgStatusFromSqlstate, SerializationFailureAndDeadlockAreRetryable) {
  EXPECT_TRUE(status_from_sqlstate("40001", "x").retryable());
  EXPECT_TRUE(status_from_sqlstate("40P01", "x").retryable());
  EXPECT_TRUE(status_from_sqlstate("57P01", "x").retryable());
  EXPECT_FALSE(status_from_sqlstate("42601", "x").retryable());
}

TEST(PgStatusFromSqlstate, IgnoresTheMessageText) {
  EXPECT_EQ(status_from_sqlstate("42601", "connection lost, please retry").code(),
            StatusCode::kInvalidArgument);
}

TEST(PgServerStateError, TheServersStateIsRetriedNotBlamedOnRows) {
  for (std::string_view code : {"", "08006", "57P01", "57014", "40001", "40P01", "53100", "53300",
                                "55P03", "58030", "25006", "XX000", "bad"})
    EXPECT_TRUE(is_server_state_error(code)) << "'" << code << "'";
}

TEST(PgServerStateError, TheStatementOrARowIsAtFaultOtherwise) {
  for (std::string_view code : {"22003", "22P02", "23505", "23514", "44000", "54000", "P0001",
                                "P0004", "42501", "42P01", "42883", "0A000", "27000", "HV000"})
    EXPECT_FALSE(is_server_state_error(code)) << code;
}

}  // namespace
}  // namespace courier::pg
