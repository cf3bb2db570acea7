// JSON string literals: text quoted, with '"', '\' and control characters escaped; every
// other byte (UTF-8 included) is kept as it is, so the result is as valid as the input.
//
//   text::json_string("a\"b\n")                                  // "\"a\\\"b\\n\""
//   text::json_string("a\n", text::ControlEscapes::kUnicode)     // "\"a\\u000a\""
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace courier::text {

// How control characters (bytes below 0x20) are written.
enum class ControlEscapes {
  kShortForms,  // \b \f \n \r \t where JSON has them, \u00xx for the rest
  kUnicode,     // \u00xx for all of them (the tracking checkpoint's stored format)
};

// Appends `text` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text,
                        ControlEscapes escapes = ControlEscapes::kShortForms);

std::string json_string(std::string_view text,
                        ControlEscapes escapes = ControlEscapes::kShortForms);

}  // namespace courier::text
