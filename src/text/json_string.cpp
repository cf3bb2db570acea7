#include "text/json_string.h"

namespace courier::text {
namespace {

// The letter of a control character's short escape ("\n"), or 0 if JSON has none.
char short_escape(char c) {
  switch (c) {
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text, ControlEscapes escapes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20) {
      out += c;
    } else if (const char letter = short_escape(c);
               letter != 0 && escapes == ControlEscapes::kShortForms) {
      out += '\\';
      out += letter;
    } else {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  out += '"';
}

std::string json_string(std::string_view text, ControlEscapes escapes) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text, escapes);
  return out;
}

}  // namespace courier::text
