// One stream-ingest worker wired up, without servers: entries come from an in-memory
// consumer group, rows go to a fake sink. What the wiring must keep: entries read are
// written, acked only after their commit, dead-lettered into the configured stream when
// they cannot be decoded, and left pending when the commit never happened.
#include "redis_to_pg/ingest_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "fake_stream_redis.h"
#include "ingest_test_support.h"
#include "poll_until.h"

namespace courier::redis_to_pg {
namespace {

using namespace std::chrono_literals;
using Ids = std::vector<std::string>;

class IngestWorkerTest : public ::testing::Test {
 protected:
  IngestWorkerTest() {
    shared_.config.streams = {"events"};
    shared_.config.group = "ingest";
    shared_.config.consumer = "test";
    shared_.config.batch_size = 3;
    shared_.config.batch_timeout = 20ms;
    shared_.config.max_retries = 0;  // a failed write is held, not retried, at once
    shared_.config.dead_letter_stream = "dead";
    shared_.config.mappings = rindexer_mappings();
    shared_.decoder = std::make_unique<EntryDecoder>(shared_.config);
    shared_.breaker =
        std::make_shared<CircuitBreaker>(CircuitBreakerOptions{.failure_threshold = 1000});
    auto redis = std::make_unique<FakeStreamRedis>();
    auto rows = std::make_unique<FakeRowSink>();
    redis_ = redis.get();
    rows_ = rows.get();
    rows_->on_write = [this](std::span<const DecodedRow>) {
      acked_while_writing_ += redis_->acked("events").size();
      ++writes_;
    };
    worker_ = std::make_unique<IngestWorker>(
        shared_, 0, IngestConnections{.redis = std::move(redis), .rows = std::move(rows)});
  }
  ~IngestWorkerTest() override {
    shared_.stop.request_stop();
    worker_->stop();
  }

  std::string add(const std::string& payload) {
    return redis_->add("events", {{"event_data", payload}});
  }

  IngestShared shared_;
  FakeStreamRedis* redis_ = nullptr;  // owned by the worker
  FakeRowSink* rows_ = nullptr;       // owned by the worker; read once it stopped
  std::atomic<size_t> acked_while_writing_ = 0;
  std::atomic<int> writes_ = 0;
  std::unique_ptr<IngestWorker> worker_;
};

TEST_F(IngestWorkerTest, EntriesReadAreWrittenAndAckedOnlyAfterTheCommit) {
  Ids ids = {add(generic_event_payload()), add(generic_event_payload()),
             add(generic_event_payload())};
  ASSERT_TRUE(worker_->start().ok());
  ASSERT_TRUE(testing::poll_until(5s, [&] { return redis_->acked("events").size() == 3; }));
  worker_->stop();
  EXPECT_EQ(redis_->acked("events"), ids);
  EXPECT_TRUE(redis_->pending("events").empty());
  EXPECT_EQ(rows_->committed, 3u);
  EXPECT_EQ(acked_while_writing_, 0u) << "an entry was acked before its rows were committed";
}

TEST_F(IngestWorkerTest, AFailedCommitLeavesTheEntriesPendingAndUnacked) {
  rows_->answers.assign(1000, Status(StatusCode::kUnavailable, "connection refused"));
  Ids ids = {add(generic_event_payload()), add(generic_event_payload())};
  ASSERT_TRUE(worker_->start().ok());
  ASSERT_TRUE(testing::poll_until(5s, [&] { return writes_ >= 2; }))
      << "the batch is held and written again";
  shared_.stop.request_stop();
  worker_->stop();
  EXPECT_TRUE(redis_->acked("events").empty());
  EXPECT_EQ(redis_->pending("events"), ids) << "read again by the next run";
  EXPECT_EQ(rows_->committed, 0u);
}

TEST_F(IngestWorkerTest, AnEntryThatCannotBeDecodedGoesToTheConfiguredDeadLetterStream) {
  add(generic_event_payload());
  add("{not json");
  ASSERT_TRUE(worker_->start().ok());
  ASSERT_TRUE(testing::poll_until(5s, [&] { return redis_->acked("events").size() == 2; }));
  worker_->stop();
  EXPECT_EQ(redis_->length("dead"), 1u);
  EXPECT_EQ(rows_->committed, 1u);
}

}  // namespace
}  // namespace courier::redis_to_pg
