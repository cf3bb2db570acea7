#include "redis_to_pg/stream_consumer.h"

#include <unistd.h>

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
  if (fields.is_array()) {
    for (size_t i = 0; i + 1 < fields.size(); i += 2)
      entry.fields.emplace_back(fields[i].str(), fields[i + 1].str());
  }
  return entry;
}

Result<std::vector<StreamEntry>> parse_entries(const std::string& stream,
                                               const redis::Reply& list) {
  std::vector<StreamEntry> entries;
  if (!list.is_array()) return entries;
  for (const redis::Reply& item : list.elements()) {
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
  auto read = read_every_slot(count, true);
  if (!read.ok()) return read.status();
  std::vector<StreamEntry>& entries = *read;
  for (const StreamEntry& entry : entries) {
    for (size_t i = 0; i < config_.streams.size(); ++i)
      if (config_.streams[i] == entry.stream) pending_cursor_[i] = entry.id;
  }
  if (Status counted = load_delivery_counts(entries); !counted.ok()) return counted;
  return read;
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
    if (!reply->is_array() || reply->size() < 2) return unexpected(*reply, "XAUTOCLAIM");
    claim_cursor_[i] = (*reply)[0].str();
    auto claimed = parse_entries(config_.streams[i], (*reply)[1]);
    if (!claimed.ok()) return claimed.status();
    claimed_ += claimed->size();
    for (StreamEntry& entry : *claimed) entries.push_back(std::move(entry));
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
