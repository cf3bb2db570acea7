// Redis Cluster key hashing: CRC16 (XMODEM) of the key, or of its {hash tag}, mod 16384.
//
//   key_slot("foo");                    // 12182
//   key_slot("{user1000}.following");   // == key_slot("user1000")
//   hash_tag("foo{}{bar}");             // "foo{}{bar}": an empty tag hashes the whole key
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
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

}  // namespace courier::redis
