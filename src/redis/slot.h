// Redis Cluster key hashing: CRC16 (XMODEM) of the key, or of its {hash tag}, mod 16384.
//
//   key_slot("foo");                    // 12182
//   key_slot("{user1000}.following");   // == key_slot("user1000")
//   hash_tag("foo{}{bar}");             // "foo{}{bar}": an empty tag hashes the whole key
//   key_in_slot_of("orders", "tmp");    // "{orders}tmp": hashes like "orders"
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace courier::redis {

inline constexpr int kSlotCount = 16384;

// CRC16-CCITT, XMODEM variant (polynomial 0x1021, initial value 0), as the cluster spec uses.
uint16_t crc16(std::string_view data);

// The part of the key that is hashed: the text between the first '{' and the first '}'
// after it when that is non-empty, otherwise the whole key.
std::string_view hash_tag(std::string_view key);

// The cluster slot of a key, 0..16383.
int key_slot(std::string_view key);

// A key named after `name` in the same slot as `key`, so that multi-key commands (RENAME,
// a transaction) may take both on a cluster: `name` itself when it already hashes there;
// else "{<hash tag of key>}<name>" — the key's own tag, or the whole key when it has none;
// else (a key with '}' but no tag cannot be wrapped) "{<fallback>N}<name>" with the first
// N whose tag hashes to the key's slot.
std::string key_in_slot_of(std::string_view key, std::string_view name,
                           std::string_view fallback = "slot-");

}  // namespace courier::redis
