#include "redis/slot_map.h"

#include <algorithm>

#include "redis/options.h"
#include "redis/slot.h"

namespace courier::redis {
namespace {

Status malformed(std::string_view what) {
  return Status(StatusCode::kInternal, "CLUSTER SLOTS reply is malformed: " + std::string(what));
}

Result<std::string> node_address(const Reply& node, std::string_view queried_host) {
  if (!node.is_array() || node.size() < 2 || !node[0].is_string() || !node[1].is_integer())
    return malformed("a node is not [ip, port, ...]");
  std::string host = node[0].str();
  if (host.empty() || host == "?") host = std::string(queried_host);
  return NodeAddress{std::move(host), static_cast<int>(node[1].integer())}.to_string();
}

bool valid_range(const Reply& start, const Reply& end) {
  return start.is_integer() && end.is_integer() && start.integer() >= 0 &&
         start.integer() <= end.integer() && end.integer() < kSlotCount;
}

}  // namespace

Result<SlotMap> SlotMap::from_cluster_slots(const Reply& reply, std::string_view queried_host) {
  if (!reply.is_array()) return malformed("not an array: " + reply.to_string());
  SlotMap map;
  for (const Reply& range : reply.elements()) {
    if (!range.is_array() || range.size() < 3 || !valid_range(range[0], range[1]))
      return malformed("a range is not [start, end, master, ...]: " + range.to_string());
    Result<std::string> master = node_address(range[2], queried_host);
    if (!master.ok()) return master.status();
    size_t shard = map.shard_index_for_master(*master);
    for (size_t i = 3; i < range.size(); ++i) {
      Result<std::string> replica = node_address(range[i], queried_host);
      if (!replica.ok()) return replica.status();
      std::vector<std::string>& replicas = map.shards_[shard].replicas;
      if (std::find(replicas.begin(), replicas.end(), *replica) == replicas.end())
        replicas.push_back(std::move(*replica));
    }
    std::fill(map.shard_of_slot_.begin() + range[0].integer(),
              map.shard_of_slot_.begin() + range[1].integer() + 1, static_cast<uint16_t>(shard));
  }
  return map;
}

size_t SlotMap::shard_index_for_master(const std::string& master) {
  auto found = std::find_if(shards_.begin(), shards_.end(),
                            [&](const Shard& shard) { return shard.master == master; });
  if (found != shards_.end()) return found - shards_.begin();
  shards_.push_back(Shard{master, {}});
  return shards_.size() - 1;
}

const Shard* SlotMap::shard_for_slot(int slot) const {
  if (slot < 0 || slot >= kSlotCount) return nullptr;
  uint16_t index = shard_of_slot_[slot];
  return index == kNoShard ? nullptr : &shards_[index];
}

bool SlotMap::covers_all_slots() const {
  return std::find(shard_of_slot_.begin(), shard_of_slot_.end(), kNoShard) == shard_of_slot_.end();
}

void SlotMap::set_slot_owner(int slot, const std::string& master) {
  if (slot < 0 || slot >= kSlotCount) return;
  shard_of_slot_[slot] = static_cast<uint16_t>(shard_index_for_master(master));
}

}  // namespace courier::redis
