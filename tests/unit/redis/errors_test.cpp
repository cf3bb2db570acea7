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

constexpr StatusCode kServer = StatusCode::kUnavailable;         // retry; nothing skipped
constexpr StatusCode kRecord = StatusCode::kFailedPrecondition;  // park this record
constexpr StatusCode kRequest = StatusCode::kInvalidArgument;    // stop: our request or setup

// Who is at fault, by the error Redis replied with.
INSTANTIATE_TEST_SUITE_P(
    ByWhoIsAtFault, ErrorReplyClassification,
    ::testing::Values(
        // The server's state: the same command may succeed later.
        Classification{"LOADING Redis is loading the dataset in memory", kServer, "LOADING"},
        Classification{"TRYAGAIN Multiple keys request during rehashing of slot", kServer,
                       "TRYAGAIN"},
        Classification{"CLUSTERDOWN The cluster is down", kServer, "CLUSTERDOWN"},
        Classification{"MASTERDOWN Link with MASTER is down", kServer, "MASTERDOWN"},
        Classification{"BUSY Redis is busy running a script.", kServer, "BUSY"},
        Classification{"MOVED 3999 127.0.0.1:6381", kServer, "MOVED"},
        Classification{"ASK 3999 127.0.0.1:6381", kServer, "ASK"},
        Classification{"READONLY You can't write against a read only replica.", kServer,
                       "READONLY"},
        Classification{"NOREPLICAS Not enough good replicas to write.", kServer, "NOREPLICAS"},
        Classification{"OOM command not allowed when used memory > 'maxmemory'.", kServer, "OOM"},
        Classification{"MISCONF Redis is configured to save RDB snapshots, but it's currently "
                       "unable to persist to disk.",
                       kServer, "MISCONF"},
        Classification{"ERR max number of clients reached", kServer, "ERR"},
        Classification{"ERR Error running script (call to f_1234): @user_script:1: boom", kServer,
                       "ERR"},
        Classification{"SOMETHINGNEW we have not seen", kServer, "SOMETHINGNEW"},
        Classification{"EXECABORT Transaction discarded because of: MISCONF Redis is configured "
                       "to save RDB snapshots",
                       kServer, "EXECABORT"},
        Classification{"EXECABORT Transaction discarded because of: OOM command not allowed",
                       kServer, "EXECABORT"},
        // The record: its key holds another type, or a value the command cannot take.
        Classification{"WRONGTYPE Operation against a key holding the wrong kind of value", kRecord,
                       "WRONGTYPE"},
        Classification{"BUSYKEY Target key name already exists.", kRecord, "BUSYKEY"},
        Classification{"ERR value is not a valid float", kRecord, "ERR"},
        Classification{"ERR value is not an integer or out of range", kRecord, "ERR"},
        Classification{"ERR increment or decrement would overflow", kRecord, "ERR"},
        Classification{"ERR hash value is not an integer", kRecord, "ERR"},
        Classification{"ERR bit offset is not an integer or out of range", kRecord, "ERR"},
        Classification{"ERR string exceeds maximum allowed size (proto-max-bulk-len)", kRecord,
                       "ERR"},
        Classification{"ERR The ID specified in XADD is equal or smaller than the target stream "
                       "top item",
                       kRecord, "ERR"},
        Classification{"ERR Invalid stream ID specified as stream command argument", kRecord,
                       "ERR"},
        // The request or the setup: no record's fault, and retrying does not help.
        Classification{"NOSCRIPT No matching script. Please use EVAL.", kRequest, "NOSCRIPT"},
        Classification{"NOAUTH Authentication required.", kRequest, "NOAUTH"},
        Classification{"WRONGPASS invalid username-password pair or user is disabled.", kRequest,
                       "WRONGPASS"},
        Classification{"NOPERM this user has no permissions to access one of the keys", kRequest,
                       "NOPERM"},
        Classification{"BUSYGROUP Consumer Group name already exists", kRequest, "BUSYGROUP"},
        Classification{"NOGROUP No such key 'k' or consumer group 'g'", kRequest, "NOGROUP"},
        Classification{"CROSSSLOT Keys in request don't hash to the same slot", kRequest,
                       "CROSSSLOT"},
        Classification{"ERR syntax error", kRequest, "ERR"},
        Classification{"ERR unknown command 'FOO', with args beginning with: ", kRequest, "ERR"},
        Classification{"ERR unknown subcommand 'X'. Try CONFIG HELP.", kRequest, "ERR"},
        Classification{"ERR wrong number of arguments for 'hset' command", kRequest, "ERR"},
        Classification{"ERR DB index is out of range", kRequest, "ERR"},
        Classification{"ERR AUTH <password> called without any password configured for the "
                       "default user. Are you sure your configuration is correct?",
                       kRequest, "ERR"},
        Classification{"ERR This instance has cluster support disabled", kRequest, "ERR"},
        Classification{"EXECABORT Transaction discarded because of previous errors.", kRequest,
                       "EXECABORT"}));

TEST(ErrorReply, BusyGroupIsNotBusy) {
  EXPECT_FALSE(status_from_error_reply("BUSYGROUP Consumer Group name already exists").retryable());
  EXPECT_TRUE(status_from_error_reply("BUSY Redis is busy").retryable());
}

TEST(ErrorReply, OnlyTheRecordsOwnErrorsSetItAside) {
  EXPECT_TRUE(record_at_fault(status_from_error_reply("WRONGTYPE Operation against a key")));
  EXPECT_TRUE(record_at_fault(status_from_error_reply("ERR value is not a valid float")));
  EXPECT_FALSE(record_at_fault(status_from_error_reply("MISCONF Redis is configured to save")));
  EXPECT_FALSE(record_at_fault(status_from_error_reply("SOMETHINGNEW we have not seen")));
  EXPECT_FALSE(record_at_fault(status_from_error_reply("NOPERM no permissions")));
  EXPECT_FALSE(record_at_fault(status_from_error_reply("ERR max number of clients reached")));
  EXPECT_FALSE(record_at_fault(status_from_io_failure(IoFailure::kEof, "closed")));
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
