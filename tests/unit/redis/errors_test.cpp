#include "redis/errors.h"

#include <gtest/gtest.h>

namespace courier::redis {
namespace {

struct Classification {
  const char* error;
  StatusCode code;
  const char* detail;
};

class ErrorReplyClassification : public ::testing::TestWithParam<Classification> {};

TEST_P(ErrorReplyClassification, GivesTheCodeAndPrefix) {
  const Classification& expected = GetParam();
  Status status = status_from_error_reply(expected.error);
  EXPECT_EQ(status.code(), expected.code) << expected.error;
  EXPECT_EQ(status.detail(), expected.detail);
  EXPECT_EQ(status.message(), expected.error);
}

INSTANTIATE_TEST_SUITE_P(
    RetryableAndPermanent, ErrorReplyClassification,
    ::testing::Values(
        Classification{"LOADING Redis is loading the dataset in memory", StatusCode::kUnavailable,
                       "LOADING"},
        Classification{"TRYAGAIN Multiple keys request during rehashing of slot",
                       StatusCode::kUnavailable, "TRYAGAIN"},
        Classification{"CLUSTERDOWN The cluster is down", StatusCode::kUnavailable, "CLUSTERDOWN"},
        Classification{"MASTERDOWN Link with MASTER is down", StatusCode::kUnavailable,
                       "MASTERDOWN"},
        Classification{"BUSY Redis is busy running a script.", StatusCode::kUnavailable, "BUSY"},
        Classification{"MOVED 3999 127.0.0.1:6381", StatusCode::kUnavailable, "MOVED"},
        Classification{"ASK 3999 127.0.0.1:6381", StatusCode::kUnavailable, "ASK"},
        Classification{"READONLY You can't write against a read only replica.",
                       StatusCode::kUnavailable, "READONLY"},
        Classification{"WRONGTYPE Operation against a key holding the wrong kind of value",
                       StatusCode::kFailedPrecondition, "WRONGTYPE"},
        Classification{"NOSCRIPT No matching script. Please use EVAL.",
                       StatusCode::kFailedPrecondition, "NOSCRIPT"},
        Classification{"NOAUTH Authentication required.", StatusCode::kFailedPrecondition,
                       "NOAUTH"},
        Classification{"WRONGPASS invalid username-password pair or user is disabled.",
                       StatusCode::kFailedPrecondition, "WRONGPASS"},
        Classification{"BUSYGROUP Consumer Group name already exists",
                       StatusCode::kFailedPrecondition, "BUSYGROUP"},
        Classification{"ERR syntax error", StatusCode::kInvalidArgument, "ERR"},
        Classification{"ERR unknown command 'FOO', with args beginning with: ",
                       StatusCode::kInvalidArgument, "ERR"},
        Classification{"EXECABORT Transaction discarded because of previous errors.",
                       StatusCode::kInvalidArgument, "EXECABORT"},
        Classification{"CROSSSLOT Keys in request don't hash to the same slot",
                       StatusCode::kInvalidArgument, "CROSSSLOT"},
        Classification{"SOMETHINGNEW we have not seen", StatusCode::kInternal, "SOMETHINGNEW"}));

TEST(ErrorReply, BusyGroupIsNotBusy) {
  EXPECT_FALSE(status_from_error_reply("BUSYGROUP Consumer Group name already exists").retryable());
  EXPECT_TRUE(status_from_error_reply("BUSY Redis is busy").retryable());
}

TEST(ErrorReply, ContextLeadsTheMessage) {
  Status status = status_from_error_reply("ERR syntax error", "SET on 127.0.0.1:6379");
  EXPECT_EQ(status.message(), "SET on 127.0.0.1:6379: ERR syntax error");
  EXPECT_TRUE(status.permanent());
}

TEST(ErrorReply, ReplyOrErrorPassesValuesThrough) {
  Result<Reply> value = reply_or_error(Reply::from_integer(3), {"INCR", "a"}, "h:1");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->integer(), 3);
  Result<Reply> error =
      reply_or_error(Reply::from_error("WRONGTYPE bad"), {"lpush", "a", "x"}, "h:1");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.status().message(), "LPUSH on h:1: WRONGTYPE bad");
}

TEST(IoFailure, ConnectionProblemsAreRetryable) {
  for (IoFailure failure :
       {IoFailure::kConnect, IoFailure::kTimeout, IoFailure::kEof, IoFailure::kIo}) {
    Status status = status_from_io_failure(failure, "redis h:1: read failed");
    EXPECT_EQ(status.code(), StatusCode::kUnavailable);
    EXPECT_TRUE(status.retryable());
  }
  EXPECT_EQ(status_from_io_failure(IoFailure::kTimeout, "x").detail(), "TIMEOUT");
  EXPECT_EQ(status_from_io_failure(IoFailure::kEof, "x").detail(), "EOF");
  EXPECT_EQ(status_from_io_failure(IoFailure::kConnect, "x").detail(), "CONNECT");
}

TEST(IoFailure, AProtocolErrorIsNotRetryable) {
  EXPECT_EQ(status_from_io_failure(IoFailure::kProtocol, "x").code(), StatusCode::kInternal);
}

TEST(Redirect, ParsesMovedAndAsk) {
  std::optional<Redirect> moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->address, "127.0.0.1:6381");
  std::optional<Redirect> ask = parse_redirect("ASK 0 [::1]:7000");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::kAsk);
  EXPECT_EQ(ask->slot, 0);
  EXPECT_EQ(ask->address, "[::1]:7000");
}

TEST(Redirect, KeepsAnEmptyHostForTheCallerToFill) {
  std::optional<Redirect> moved = parse_redirect("MOVED 12 :7001");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->address, ":7001");
}

TEST(Redirect, RejectsOtherErrorsAndMalformedOnes) {
  EXPECT_FALSE(parse_redirect("ERR syntax error"));
  EXPECT_FALSE(parse_redirect("MOVEDX 1 h:1"));
  EXPECT_FALSE(parse_redirect("MOVED"));
  EXPECT_FALSE(parse_redirect("MOVED abc h:1"));
  EXPECT_FALSE(parse_redirect("MOVED 16384 h:1"));
  EXPECT_FALSE(parse_redirect("ASK 5 nohostport"));
}

}  // namespace
}  // namespace courier::redis
