// Hex digits: one digit's value, and hex text ("48690a") to the bytes it spells.
//
//   int v = text::hex_digit_value('b');                            // 11; -1 for 'g'
//   std::optional<std::string> bytes = text::decode_hex("4869");   // "Hi"
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace courier::text {

// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other character.
int hex_digit_value(char c);

// Two digits per byte, either case; nullopt for an odd count or a non-hex character.
std::optional<std::string> decode_hex(std::string_view hex);

}  // namespace courier::text
