#include <algorithm>
#include <unordered_set>

#include "courier/dead_letter.h"

namespace courier {

InMemoryDeadLetterStore::InMemoryDeadLetterStore(size_t capacity, DropHook on_drop)
    : capacity_(capacity), on_drop_(std::move(on_drop)) {
  if (capacity_ == 0)
    throw std::invalid_argument("InMemoryDeadLetterStore needs a capacity of at least 1");
}

Result<std::vector<std::string>> InMemoryDeadLetterStore::send(
    std::span<const DeadLetter> letters) {
  std::vector<std::string> ids;
  ids.reserve(letters.size());
  std::lock_guard lock(mutex_);
  for (const DeadLetter& letter : letters) {
    if (letters_.size() == capacity_) evict_oldest_locked();
    DeadLetter& stored = letters_.emplace_back(letter);
    stored.id = std::to_string(next_id_++);
    ids.push_back(stored.id);
  }
  return ids;
}

void InMemoryDeadLetterStore::evict_oldest_locked() {
  letters_.pop_front();
  ++dropped_;
  if (on_drop_) on_drop_(dropped_, capacity_);
}

Result<std::vector<DeadLetter>> InMemoryDeadLetterStore::receive(size_t max) {
  std::lock_guard lock(mutex_);
  const size_t taken = std::min(max, letters_.size());
  return std::vector<DeadLetter>(letters_.begin(), letters_.begin() + taken);
}

Status InMemoryDeadLetterStore::remove(std::span<const std::string> ids) {
  const std::unordered_set<std::string> doomed(ids.begin(), ids.end());
  std::lock_guard lock(mutex_);
  std::erase_if(letters_, [&](const DeadLetter& letter) { return doomed.contains(letter.id); });
  return Status::Ok();
}

Result<size_t> InMemoryDeadLetterStore::count() {
  std::lock_guard lock(mutex_);
  return letters_.size();
}

uint64_t InMemoryDeadLetterStore::dropped_count() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace courier
