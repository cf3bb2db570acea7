#include "redis_to_pg/stream_consumer.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "redis/slot.h"

namespace courier::redis_to_pg {
namespace {

// With streams in several cluster slots, the longest wait on one of them, so that new
// entries of the others are noticed soon.
constexpr std::chrono::milliseconds kLongestMultiSlotBlock{50};

bool is_nogroup(const Status& status) {
  return status.detail() == "NOGROUP";
}

Status unexpected(const redis::Reply& reply, std::string_view what) {
  return Status(StatusCode::kInternal,
                std::string(what) + ": unexpected reply " + reply.to_string().substr(0, 200));
}

// [id, [field, value, …]] → entry of `stream`.
Result<StreamEntry> parse_entry(const std::string& stream, const redis::Reply& item) {
  if (!item.is_array() || item.size() != 2 || !item[0].is_string())
    return unexpected(item, "stream entry");
  StreamEntry entry{stream, item[0].str(), {}, 1};
  const redis::Reply& fields = item[1];
  entry.deleted = fields.is_nil();
  if (fields.is_array()) {
    for (size_t i = 0; i + 1 < fields.size(); i += 2)
      entry.fields.emplace_back(fields[i].str(), fields[i + 1].str());
  }
  return entry;
}

// `unnamed_deleted`: where nil items are counted (XAUTOCLAIM on Redis 6.2); null: an error.
Result<std::vector<StreamEntry>> parse_entries(const std::string& stream, const redis::Reply& list,
                                               size_t* unnamed_deleted = nullptr) {
  std::vector<StreamEntry> entries;
  if (!list.is_array()) return entries;
  for (const redis::Reply& item : list.elements()) {
    if (item.is_nil() && unnamed_deleted) {
      ++*unnamed_deleted;
      continue;
    }
    auto entry = parse_entry(stream, item);
    if (!entry.ok()) return entry.status();
    entries.push_back(std::move(*entry));
  }
  return entries;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "courier";
  return name;
}

}  // namespace

std::string consumer_name_for(const std::string& configured, int worker_index) {
  return (configured.empty() ? host_name() : configured) + "-" + std::to_string(worker_index);
}

Result<std::vector<StreamEntry>> parse_read_reply(const redis::Reply& reply) {
  std::vector<StreamEntry> entries;
  if (reply.is_nil()) return entries;  // BLOCK timed out
  if (!reply.is_array()) return unexpected(reply, "XREADGROUP");
  for (const redis::Reply& stream : reply.elements()) {
    if (!stream.is_array() || stream.size() != 2) return unexpected(stream, "XREADGROUP stream");
    auto parsed = parse_entries(stream[0].str(), stream[1]);
    if (!parsed.ok()) return parsed.status();
    for (StreamEntry& entry : *parsed) entries.push_back(std::move(entry));
  }
  return entries;
}

Result<AutoclaimReply> parse_autoclaim_reply(const std::string& stream, const redis::Reply& reply) {
  if (!reply.is_array() || reply.size() < 2 || reply.size() > 3 || !reply[0].is_string())
    return unexpected(reply, "XAUTOCLAIM");
  AutoclaimReply parsed;
  parsed.next_cursor = reply[0].str();
  auto entries = parse_entries(stream, reply[1], &parsed.deleted_unnamed);
  if (!entries.ok()) return entries.status();
  parsed.entries = std::move(*entries);
  if (reply.size() == 3) {
    if (!reply[2].is_array()) return unexpected(reply, "XAUTOCLAIM deleted ids");
    for (const redis::Reply& id : reply[2].elements()) parsed.deleted_ids.push_back(id.str());
  }
  return parsed;
}

StreamConsumer::StreamConsumer(redis::Client& client, const StreamsConfig& config, std::string name)
    : client_(client),
      config_(config),
      name_(std::move(name)),
      pending_cursor_(config.streams.size(), "0"),
      claim_cursor_(config.streams.size(), "0-0") {
  std::map<int, std::vector<size_t>> by_slot;
  for (size_t i = 0; i < config.streams.size(); ++i)
    by_slot[redis::key_slot(config.streams[i])].push_back(i);
  for (auto& [slot, streams] : by_slot) slot_groups_.push_back(std::move(streams));
}

Status StreamConsumer::ensure_groups() {
  for (const std::string& stream : config_.streams) {
    auto created = client_.command({"XGROUP", "CREATE", stream, config_.group, "0", "MKSTREAM"});
    if (!created.ok() && created.status().detail() != "BUSYGROUP") return created.status();
  }
  return Status::Ok();
}

void StreamConsumer::resume_pending() {
  reading_pending_ = true;
  std::fill(pending_cursor_.begin(), pending_cursor_.end(), "0");
}

Status StreamConsumer::recover(const Status& error) {
  if (!is_nogroup(error)) return error;
  resume_pending();
  std::fill(claim_cursor_.begin(), claim_cursor_.end(), "0-0");
  if (Status created = ensure_groups(); !created.ok()) return created;
  return Status(StatusCode::kUnavailable, "consumer group recreated after: " + error.message());
}

Result<std::vector<StreamEntry>> StreamConsumer::read(size_t count,
                                                      std::chrono::milliseconds block) {
  std::vector<StreamEntry> entries;
  auto now = std::chrono::steady_clock::now();
  if (now >= next_claim_) {
    next_claim_ = now + config_.claim_idle / 2;
    auto claimed = claim_idle(count);
    if (!claimed.ok()) return recover(claimed.status());
    entries = std::move(*claimed);
  }
  if (entries.size() < count && reading_pending_) {
    auto pending = read_pending(count - entries.size());
    if (!pending.ok()) return recover(pending.status());
    if (pending->empty()) reading_pending_ = false;
    for (StreamEntry& entry : *pending) entries.push_back(std::move(entry));
  }
  if (entries.empty()) {
    auto fresh = read_new(count, block);
    if (!fresh.ok()) return recover(fresh.status());
    return fresh;
  }
  return entries;
}

Result<std::vector<StreamEntry>> StreamConsumer::read_group(
    const std::vector<size_t>& streams, size_t count,
    std::optional<std::chrono::milliseconds> block, bool pending) {
  redis::Command command = {"XREADGROUP", "GROUP", config_.group,
                            name_,        "COUNT", std::to_string(count)};
  if (block) {
    command.push_back("BLOCK");
    command.push_back(std::to_string(std::max<int64_t>(1, block->count())));
  }
  command.push_back("STREAMS");
  for (size_t i : streams) command.push_back(config_.streams[i]);
  for (size_t i : streams) command.push_back(pending ? pending_cursor_[i] : ">");
  auto reply = client_.command(command);
  if (!reply.ok()) return reply.status();
  return parse_read_reply(*reply);
}

Result<std::vector<StreamEntry>> StreamConsumer::read_every_slot(size_t count, bool pending) {
  std::vector<StreamEntry> entries;
  for (const std::vector<size_t>& group : slot_groups_) {
    if (entries.size() >= count) break;
    auto read = read_group(group, count - entries.size(), std::nullopt, pending);
    if (!read.ok()) return read.status();
    for (StreamEntry& entry : *read) entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<StreamEntry>> StreamConsumer::read_pending(size_t count) {
  for (;;) {
    auto read = read_every_slot(count, true);
    if (!read.ok() || read->empty()) return read;  // empty: no pending entries are left
    std::vector<StreamEntry>& entries = *read;
    for (const StreamEntry& entry : entries) {
      for (size_t i = 0; i < config_.streams.size(); ++i)
        if (config_.streams[i] == entry.stream) pending_cursor_[i] = entry.id;
    }
    if (Status dropped = drop_deleted(entries); !dropped.ok()) return dropped;
    if (entries.empty()) continue;  // all of them were deleted: read on after them
    if (Status counted = load_delivery_counts(entries); !counted.ok()) return counted;
    return read;
  }
}

Status StreamConsumer::drop_deleted(std::vector<StreamEntry>& entries) {
  auto first_deleted = std::stable_partition(
      entries.begin(), entries.end(), [](const StreamEntry& entry) { return !entry.deleted; });
  if (first_deleted == entries.end()) return Status::Ok();
  std::vector<StreamEntry> deleted(std::make_move_iterator(first_deleted),
                                   std::make_move_iterator(entries.end()));
  entries.erase(first_deleted, entries.end());
  if (Status acked = ack(deleted); !acked.ok()) return acked;
  std::map<std::string, size_t> per_stream;
  for (const StreamEntry& entry : deleted) ++per_stream[entry.stream];
  for (const auto& [stream, vanished] : per_stream) count_vanished(stream, vanished);
  return Status::Ok();
}

void StreamConsumer::count_vanished(const std::string& stream, size_t entries) {
  if (entries == 0) return;
  vanished_ += entries;
  spdlog::warn(
      "stream ingest: {} pending entries of stream '{}' were deleted (XDEL or a trim) before "
      "they were written; dropped from group '{}' unwritten",
      entries, stream, config_.group);
}

Result<std::vector<StreamEntry>> StreamConsumer::read_new(size_t count,
                                                          std::chrono::milliseconds block) {
  if (slot_groups_.size() == 1) return read_group(slot_groups_[0], count, block, false);
  // Streams in several cluster slots cannot share one XREADGROUP: look at each without
  // waiting, then wait briefly on one group, taking turns.
  auto entries = read_every_slot(count, false);
  if (!entries.ok() || !entries->empty()) return entries;
  next_blocking_group_ = (next_blocking_group_ + 1) % slot_groups_.size();
  return read_group(slot_groups_[next_blocking_group_], count,
                    std::min(block, kLongestMultiSlotBlock), false);
}

Result<std::vector<StreamEntry>> StreamConsumer::claim_idle(size_t count) {
  std::vector<StreamEntry> entries;
  for (size_t i = 0; i < config_.streams.size() && entries.size() < count; ++i) {
    auto reply = client_.command({"XAUTOCLAIM", config_.streams[i], config_.group, name_,
                                  std::to_string(config_.claim_idle.count()), claim_cursor_[i],
                                  "COUNT", std::to_string(count - entries.size())});
    if (!reply.ok()) return reply.status();
    auto claimed = parse_autoclaim_reply(config_.streams[i], *reply);
    if (!claimed.ok()) return claimed.status();
    claim_cursor_[i] = claimed->next_cursor;
    claimed_ += claimed->entries.size();
    for (StreamEntry& entry : claimed->entries) entries.push_back(std::move(entry));
    count_vanished(config_.streams[i], claimed->deleted_ids.size());  // Redis 7 dropped them
    // Redis 6.2 moved them to this consumer's pending list: read there, they are acked.
    if (claimed->deleted_unnamed > 0) resume_pending();
  }
  if (Status counted = load_delivery_counts(entries); !counted.ok()) return counted;
  return entries;
}

Status StreamConsumer::load_delivery_counts(std::vector<StreamEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  std::map<std::string, std::pair<std::string, std::string>> range;  // stream → first, last
  for (const StreamEntry& entry : entries) {
    auto [found, inserted] = range.emplace(entry.stream, std::pair{entry.id, entry.id});
    if (!inserted) found->second.second = entry.id;
  }
  std::vector<redis::Command> commands;
  for (const auto& [stream, ids] : range)
    commands.push_back({"XPENDING", stream, config_.group, ids.first, ids.second,
                        std::to_string(entries.size()), name_});
  auto replies = client_.pipeline(commands);
  std::map<std::pair<std::string, std::string>, int64_t> deliveries;
  size_t index = 0;
  for (const auto& [stream, ids] : range) {
    const auto& reply = replies[index++];
    if (!reply.ok()) return reply.status();
    for (const redis::Reply& item : reply->elements()) {
      if (item.is_array() && item.size() == 4)
        deliveries[{stream, item[0].str()}] = item[3].integer();
    }
  }
  for (StreamEntry& entry : entries) {
    auto found = deliveries.find({entry.stream, entry.id});
    if (found != deliveries.end()) entry.deliveries = found->second;
  }
  return Status::Ok();
}

void StreamConsumer::refresh_claim(std::span<const StreamEntry> entries) {
  std::map<std::string, redis::Command> by_stream;
  for (const StreamEntry& entry : entries) {
    redis::Command& command = by_stream[entry.stream];
    if (command.empty()) command = {"XCLAIM", entry.stream, config_.group, name_, "0"};
    command.push_back(entry.id);
  }
  std::vector<redis::Command> commands;
  for (auto& [stream, command] : by_stream) {
    command.push_back("JUSTID");
    commands.push_back(std::move(command));
  }
  (void)client_.pipeline(commands);
}

Status StreamConsumer::ack(std::span<const StreamEntry> entries) {
  std::map<std::string, redis::Command> by_stream;
  for (const StreamEntry& entry : entries) {
    redis::Command& command = by_stream[entry.stream];
    if (command.empty()) command = {"XACK", entry.stream, config_.group};
    command.push_back(entry.id);
  }
  std::vector<redis::Command> commands;
  for (auto& [stream, command] : by_stream) commands.push_back(std::move(command));
  for (const auto& reply : client_.pipeline(commands)) {
    if (!reply.ok()) return reply.status();
  }
  return Status::Ok();
}

}  // namespace courier::redis_to_pg
