// Base64 encoding, for bytes that must travel in text (a binary payload in JSON).
//
//   text::base64_encode("foob");  // "Zm9vYg=="
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace courier::text {

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

}  // namespace courier::text
