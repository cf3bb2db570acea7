#include "redis/slot.h"

#include <array>

namespace courier::redis {
namespace {

constexpr uint16_t kPolynomial = 0x1021;

// Byte-at-a-time table: entry b is the CRC of b shifted through eight polynomial steps.
constexpr std::array<uint16_t, 256> make_crc16_table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ kPolynomial : crc << 1);
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = make_crc16_table();

}  // namespace

uint16_t crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data)
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ byte) & 0xff]);
  return crc;
}

std::string_view hash_tag(std::string_view key) {
  size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int key_slot(std::string_view key) {
  return crc16(hash_tag(key)) & (kSlotCount - 1);
}

std::string key_in_slot_of(std::string_view key, std::string_view name,
                           std::string_view fallback) {
  const int slot = key_slot(key);
  if (key_slot(name) == slot) return std::string(name);
  // Our '{' comes first in the new name, so its tag runs to the first '}' after it: the
  // whole of `tag` as long as `tag` holds no '}' (a non-empty tag never does).
  const std::string_view tag = hash_tag(key);
  if (tag.find('}') == std::string_view::npos) {
    return "{" + std::string(tag) + "}" + std::string(name);
  }
  for (int n = 0;; ++n) {  // one slot in 16384 per try: found within a few ten thousand
    std::string candidate = std::string(fallback) + std::to_string(n);
    if (key_slot(candidate) == slot) return "{" + candidate + "}" + std::string(name);
  }
}

}  // namespace courier::redis
