#include "aggregator/near_cache.h"

namespace courier::aggregator {
namespace {

// What an entry costs beyond its key and value: hash and list nodes, the key's second
// copy in the age list, its user tags. An estimate; it keeps the byte bound honest for
// small entries.
size_t entry_bytes(const std::string& key, const std::string& value, size_t users) {
  return 2 * key.size() + value.size() + users * (key.size() + 48) + 160;
}

}  // namespace

NearCache::NearCache(NearCacheOptions options, ClockPtr clock)
    : options_(options), clock_(std::move(clock)) {
  if (options_.max_entries == 0) options_.max_entries = 1;
}

std::optional<std::string> NearCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  if (clock_->now() >= found->second.expires) {
    erase(found);
    return std::nullopt;
  }
  return found->second.value;
}

void NearCache::put(const std::string& key, std::string value,
                    const std::vector<std::int64_t>& users,
                    std::optional<std::uint64_t> generation_seen) {
  std::lock_guard lock(mutex_);
  if (generation_seen && *generation_seen != generation_) return;
  if (auto found = entries_.find(key); found != entries_.end()) erase(found);
  size_t bytes = entry_bytes(key, value, users.size());
  if (bytes > options_.max_bytes) return;  // would push out everything else
  while (!entries_.empty() &&
         (entries_.size() >= options_.max_entries || bytes_ + bytes > options_.max_bytes))
    erase(entries_.find(oldest_first_.front()));
  oldest_first_.push_back(key);
  entries_.emplace(key, Entry{std::move(value), clock_->now() + options_.ttl, users,
                              std::prev(oldest_first_.end()), bytes});
  bytes_ += bytes;
  for (std::int64_t user : users) keys_of_user_[user].insert(key);
}

void NearCache::invalidate_user(std::int64_t user_id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  auto tagged = keys_of_user_.find(user_id);
  if (tagged == keys_of_user_.end()) return;
  std::unordered_set<std::string> keys = std::move(tagged->second);
  for (const std::string& key : keys)
    if (auto found = entries_.find(key); found != entries_.end()) erase(found);
  keys_of_user_.erase(user_id);
}

std::uint64_t NearCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

size_t NearCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

size_t NearCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void NearCache::erase(std::unordered_map<std::string, Entry>::iterator entry) {
  bytes_ -= entry->second.bytes;
  for (std::int64_t user : entry->second.users) {
    auto tagged = keys_of_user_.find(user);
    if (tagged == keys_of_user_.end()) continue;
    tagged->second.erase(entry->first);
    if (tagged->second.empty()) keys_of_user_.erase(tagged);
  }
  oldest_first_.erase(entry->second.age);
  entries_.erase(entry);
}

}  // namespace courier::aggregator
