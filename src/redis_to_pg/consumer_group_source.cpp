#include "redis_to_pg/consumer_group_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace courier::redis_to_pg {
namespace {

// Longest single XREADGROUP wait: short enough to notice a stop quickly, and below the
// Redis client's socket timeout.
constexpr std::chrono::milliseconds kLongestBlock{500};
// While the breaker is open, how often to look whether it let go.
constexpr std::chrono::milliseconds kBreakerPoll{100};

// `key` set to the entry's "stream\nid"; reusing one string spares an allocation per entry.
const std::string& key_of(const StreamEntry& entry, std::string& key) {
  key.assign(entry.stream);
  key += '\n';
  key += entry.id;
  return key;
}

}  // namespace

ConsumerGroupSource::ConsumerGroupSource(redis::Client& client, const StreamsConfig& config,
                                         std::string consumer, ConsumerGroupSourceOptions options)
    : client_(client),
      config_(config),
      consumer_(client, config, std::move(consumer)),
      options_(std::move(options)) {}

Status ConsumerGroupSource::redis_failed(Status error) {
  if (options_.metrics) options_.metrics->set_redis_healthy(false);
  spdlog::warn("stream ingest worker {}: redis: {}", options_.worker, error.to_string());
  return error;
}

Result<std::vector<StreamEntry>> ConsumerGroupSource::receive(size_t max_records, Duration max_wait,
                                                              std::stop_token stop) {
  if (options_.breaker && options_.breaker->state() == CircuitState::kOpen) {
    (void)options_.clock->wait_for(std::min<Duration>(max_wait, kBreakerPoll), stop);
    return std::vector<StreamEntry>();
  }
  if (!groups_ready_) {
    if (Status created = consumer_.ensure_groups(); !created.ok()) return redis_failed(created);
    groups_ready_ = true;
  }
  const auto block = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(max_wait),
                                std::chrono::milliseconds(1), kLongestBlock);
  auto read = consumer_.read(max_records, block);
  if (!read.ok()) return redis_failed(read.status());
  if (options_.metrics) options_.metrics->set_redis_healthy(true);
  std::vector<StreamEntry> fresh;
  fresh.reserve(read->size());
  std::string key;
  for (StreamEntry& entry : *read) {
    if (!in_hand_.insert(key_of(entry, key)).second) continue;  // claimed and pending: once
    in_hand_ids_.push_back(StreamEntry{.stream = entry.stream, .id = entry.id});
    fresh.push_back(std::move(entry));
  }
  return fresh;
}

void ConsumerGroupSource::release(std::span<const StreamEntry> entries) {
  std::string key;
  for (const StreamEntry& entry : entries) in_hand_.erase(key_of(entry, key));
  std::erase_if(in_hand_ids_,
                [&](const StreamEntry& held) { return !in_hand_.contains(key_of(held, key)); });
}

Status ConsumerGroupSource::ack(std::span<const StreamEntry> handled) {
  release(handled);
  Status acked = consumer_.ack(handled);
  if (acked.ok()) return acked;
  // Committed rows are written again harmlessly when the entries are delivered again.
  consumer_.resume_pending();
  return redis_failed(acked);
}

Status ConsumerGroupSource::nack(std::span<const StreamEntry> failed, const Status&) {
  release(failed);
  consumer_.resume_pending();  // not acked: read again from this consumer's pending list
  return Status::Ok();
}

void ConsumerGroupSource::keep_claimed() {
  const TimePoint now = options_.clock->now();
  if (now < next_keep_claimed_) return;
  next_keep_claimed_ = now + config_.claim_idle / 3;
  consumer_.refresh_claim(in_hand_ids_);
}

}  // namespace courier::redis_to_pg
