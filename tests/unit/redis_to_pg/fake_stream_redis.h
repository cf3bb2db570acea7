// FakeStreamRedis: an in-memory stand-in for redis::Client with streams and one consumer
// group per stream, enough for stream ingest's ConsumerGroupSource and its dead-letter
// store (XGROUP CREATE, XREADGROUP, XAUTOCLAIM, XPENDING, XACK, XCLAIM, XADD, XLEN).
// Ids are "<n>-0"; XAUTOCLAIM finds nothing (one consumer).
//
//   FakeStreamRedis redis;
//   redis.add("events", {{"event_data", "{}"}});   // "1-0"
//   ... a worker reads it, writes, acks ...
//   EXPECT_EQ(redis.acked("events"), (std::vector<std::string>{"1-0"}));
//
// Thread-safety: every member locks; the test thread may look while a worker reads.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "redis/client.h"

namespace courier::redis_to_pg {

class FakeStreamRedis final : public redis::Client {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // Appends an entry to `stream`; returns its id.
  std::string add(const std::string& stream, Fields fields) {
    std::lock_guard lock(mutex_);
    std::string id = append(stream, std::move(fields));
    added_.notify_all();
    return id;
  }
  // Ids acked so far, in order.
  std::vector<std::string> acked(const std::string& stream) {
    std::lock_guard lock(mutex_);
    return groups_[stream].acked;
  }
  // Ids delivered and not acked.
  std::vector<std::string> pending(const std::string& stream) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [number, deliveries] : groups_[stream].pending) ids.push_back(id_of(number));
    return ids;
  }
  size_t length(const std::string& stream) {
    std::lock_guard lock(mutex_);
    return streams_[stream].size();
  }

  Result<redis::Reply> command(const redis::Command& command) override {
    std::unique_lock lock(mutex_);
    return apply(command, lock);
  }
  std::vector<Result<redis::Reply>> pipeline(const std::vector<redis::Command>& commands) override {
    std::unique_lock lock(mutex_);
    std::vector<Result<redis::Reply>> replies;
    for (const redis::Command& c : commands) replies.push_back(apply(c, lock));
    return replies;
  }
  Result<std::vector<redis::Reply>> transaction(
      const std::vector<redis::Command>& commands) override {
    std::unique_lock lock(mutex_);
    std::vector<redis::Reply> replies;
    for (const redis::Command& c : commands) {
      Result<redis::Reply> reply = apply(c, lock);
      if (!reply.ok()) return reply.status();
      replies.push_back(std::move(*reply));
    }
    return replies;
  }
  Result<std::vector<redis::Reply>> guarded_transaction(
      const redis::TransactionGuard&, const std::vector<redis::Command>&) override {
    return Status(StatusCode::kInternal, "not faked");
  }
  Status ping() override { return Status::Ok(); }

 private:
  struct Group {
    long long last_delivered = 0;
    std::map<long long, long long> pending;  // id number → deliveries
    std::vector<std::string> acked;
  };

  static std::string id_of(long long number) { return std::to_string(number) + "-0"; }
  // "0", "5-0", "-", "+": the number before '-'.
  static long long number_of(const std::string& id) {
    if (id == "-") return 0;
    if (id == "+") return std::numeric_limits<long long>::max();
    return std::stoll(id.substr(0, id.find('-')));
  }
  static redis::Reply text(const std::string& value) { return redis::Reply::from_string(value); }

  std::string append(const std::string& stream, Fields fields) {
    std::map<long long, Fields>& entries = streams_[stream];
    long long number = entries.empty() ? 1 : entries.rbegin()->first + 1;
    entries[number] = std::move(fields);
    return id_of(number);
  }

  redis::Reply entry_reply(const std::string& stream, long long number) {
    std::vector<redis::Reply> fields;
    for (const auto& [name, value] : streams_[stream][number]) {
      fields.push_back(text(name));
      fields.push_back(text(value));
    }
    return redis::Reply::from_array({text(id_of(number)), redis::Reply::from_array(fields)});
  }

  // XREADGROUP GROUP g consumer COUNT n [BLOCK ms] STREAMS s… id…  (one stream or several)
  redis::Reply read_group(const redis::Command& c, std::unique_lock<std::mutex>& lock) {
    const size_t count = std::stoul(c[5]);
    size_t streams_at = 6;
    std::chrono::milliseconds block{0};
    if (c[6] == "BLOCK") {
      block = std::chrono::milliseconds(std::stoll(c[7]));
      streams_at = 8;
    }
    const size_t streams = (c.size() - streams_at - 1) / 2;
    auto has_new = [&] {
      for (size_t i = 0; i < streams; ++i) {
        const std::string& stream = c[streams_at + 1 + i];
        if (c[streams_at + 1 + streams + i] == ">" && !streams_[stream].empty() &&
            streams_[stream].rbegin()->first > groups_[stream].last_delivered)
          return true;
      }
      return false;
    };
    // BLOCK, bounded so that a stop is noticed soon.
    if (block.count() > 0 && !has_new())
      added_.wait_for(lock, std::min(block, std::chrono::milliseconds(50)), has_new);
    std::vector<redis::Reply> per_stream;
    bool any = false;
    for (size_t i = 0; i < streams; ++i) {
      const std::string& stream = c[streams_at + 1 + i];
      const std::string& after = c[streams_at + 1 + streams + i];
      Group& group = groups_[stream];
      std::vector<redis::Reply> entries;
      if (after == ">") {
        for (auto it = streams_[stream].upper_bound(group.last_delivered);
             it != streams_[stream].end() && entries.size() < count; ++it) {
          group.last_delivered = it->first;
          group.pending[it->first] = 1;
          entries.push_back(entry_reply(stream, it->first));
        }
      } else {  // this consumer's pending entries after the id (one consumer: all of them)
        for (auto it = group.pending.upper_bound(number_of(after));
             it != group.pending.end() && entries.size() < count; ++it) {
          ++it->second;
          entries.push_back(entry_reply(stream, it->first));
        }
      }
      any = any || !entries.empty() || after != ">";
      per_stream.push_back(
          redis::Reply::from_array({text(stream), redis::Reply::from_array(entries)}));
    }
    return any ? redis::Reply::from_array(per_stream) : redis::Reply::nil();
  }

  // XPENDING stream group start end count consumer
  redis::Reply pending_range(const redis::Command& c) {
    std::vector<redis::Reply> items;
    Group& group = groups_[c[1]];
    for (auto it = group.pending.lower_bound(number_of(c[3]));
         it != group.pending.end() && it->first <= number_of(c[4]); ++it) {
      items.push_back(redis::Reply::from_array({text(id_of(it->first)), text(c[6]),
                                                redis::Reply::from_integer(0),
                                                redis::Reply::from_integer(it->second)}));
    }
    return redis::Reply::from_array(items);
  }

  Result<redis::Reply> apply(const redis::Command& c, std::unique_lock<std::mutex>& lock) {
    const std::string& name = c[0];
    if (name == "XGROUP") return redis::Reply::from_status("OK");
    if (name == "XREADGROUP") return read_group(c, lock);
    if (name == "XAUTOCLAIM")
      return redis::Reply::from_array(
          {text("0-0"), redis::Reply::from_array({}), redis::Reply::from_array({})});
    if (name == "XPENDING") return pending_range(c);
    if (name == "XCLAIM") return redis::Reply::from_array({});
    if (name == "XLEN")
      return redis::Reply::from_integer(static_cast<long long>(streams_[c[1]].size()));
    if (name == "XACK") {
      Group& group = groups_[c[1]];
      long long acked = 0;
      for (size_t i = 3; i < c.size(); ++i) {
        if (group.pending.erase(number_of(c[i])) == 0) continue;
        group.acked.push_back(c[i]);
        ++acked;
      }
      return redis::Reply::from_integer(acked);
    }
    if (name == "XADD") {
      size_t fields_at = 2;
      while (c[fields_at] != "*") ++fields_at;
      Fields fields;
      for (size_t i = fields_at + 1; i + 1 < c.size(); i += 2) fields.emplace_back(c[i], c[i + 1]);
      return text(append(c[1], std::move(fields)));
    }
    return Status(StatusCode::kInternal, "not faked: " + name);
  }

  std::mutex mutex_;
  std::condition_variable added_;
  std::map<std::string, std::map<long long, Fields>> streams_;
  std::map<std::string, Group> groups_;
};

}  // namespace courier::redis_to_pg
