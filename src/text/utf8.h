// UTF-8 validation: whether bytes can be a JSON string (or any UTF-8 text) as they are.
//
//   if (!text::is_valid_utf8(payload)) object["payload_base64"] = text::base64_encode(payload);
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace courier::text {

// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points past
// U+10FFFF). NUL bytes are valid.
bool is_valid_utf8(std::string_view bytes);

}  // namespace courier::text
