// Base64 encoding, three bytes to four characters.
#include "text/base64.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace courier::text {

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t chunk = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = group << 8 | (k < chunk ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    // A chunk of n bytes gives n + 1 characters; '=' pads the group to four.
    for (std::size_t k = 0; k < 4; ++k)
      encoded.push_back(k <= chunk ? kAlphabet[group >> (18 - 6 * k) & 0x3f] : '=');
  }
  return encoded;
}

}  // namespace courier::text
