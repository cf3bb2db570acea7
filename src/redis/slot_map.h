// SlotMap: which node serves each of the 16384 cluster slots, from one CLUSTER SLOTS reply.
//
//   Result<SlotMap> map = SlotMap::from_cluster_slots(reply, "127.0.0.1");
//   const Shard* shard = map->shard_for_slot(key_slot("user:{42}"));
//   if (shard) send_to(shard->master);  // "127.0.0.1:7001"
//
// A map is immutable once built; a cluster client shares it as
// std::shared_ptr<const SlotMap> and swaps in a new one on refresh, so readers never lock.
// Thread-safety: immutable; safe to read from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "redis/reply.h"

namespace courier::redis {

// A master and its replicas, as "host:port".
struct Shard {
  std::string master;
  std::vector<std::string> replicas;
};

class SlotMap {
 public:
  // Parses a CLUSTER SLOTS reply: [[start, end, [ip, port, id...], [replica...]...]...].
  // A node listed with an empty or "?" ip is on `queried_host` (the host that answered).
  static Result<SlotMap> from_cluster_slots(const Reply& reply, std::string_view queried_host);

  // The shard serving `slot`, or nullptr when no node serves it.
  const Shard* shard_for_slot(int slot) const;
  const std::vector<Shard>& shards() const { return shards_; }
  bool covers_all_slots() const;
  bool empty() const { return shards_.empty(); }

  // Makes `master` serve `slot` (a MOVED told us before CLUSTER SLOTS did). Only for a map
  // not yet shared: patch a copy, then publish it.
  void set_slot_owner(int slot, const std::string& master);

 private:
  static constexpr uint16_t kNoShard = 0xffff;
  size_t shard_index_for_master(const std::string& master);

  std::vector<Shard> shards_;
  std::vector<uint16_t> shard_of_slot_ = std::vector<uint16_t>(16384, kNoShard);
};

}  // namespace courier::redis
