// Dead letters as text and JSON for `courier dlq list`.
#include "app/dlq_format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/dead_letter/letter_fields.h"
#include "text/base64.h"
#include "text/utf8.h"

namespace courier::app {

std::string printable_bytes(std::string_view bytes, size_t max_bytes) {
  const std::string_view shown = bytes.substr(0, max_bytes);
  std::string text;
  text.reserve(shown.size());
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    switch (byte) {
      case '\\':
        text += "\\\\";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\r':
        text += "\\r";
        break;
      case '\t':
        text += "\\t";
        break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          text.push_back(c);
        } else {
          text += fmt::format("\\x{:02x}", byte);
        }
    }
  }
  if (shown.size() < bytes.size())
    text += fmt::format("… ({} more bytes)", bytes.size() - shown.size());
  return text;
}

std::string dead_letter_as_text(const DeadLetter& letter) {
  std::string text = fmt::format("{}  last failure {}  attempts {}  {}", letter.id,
                                 format_timestamp(letter.last_failure), letter.attempts,
                                 letter.error_code.empty() ? "-" : letter.error_code);
  if (!letter.error_detail.empty())
    text += fmt::format(" ({})", printable_bytes(letter.error_detail, letter.error_detail.size()));
  text += fmt::format("\n  error: {}\n", printable_bytes(letter.error, letter.error.size()));
  if (!letter.metadata.empty()) {
    std::string pairs;
    for (const auto& [key, value] : letter.metadata) {
      if (!pairs.empty()) pairs += ", ";
      pairs += printable_bytes(key, key.size()) + "=" + printable_bytes(value, value.size());
    }
    text += "  metadata: " + pairs + "\n";
  }
  text += fmt::format("  payload ({} bytes): {}\n", letter.payload.size(),
                      printable_bytes(letter.payload, kPayloadPreviewBytes));
  return text;
}

std::string dead_letter_as_json(const DeadLetter& letter) {
  nlohmann::ordered_json object;
  object["id"] = letter.id;
  object["error"] = letter.error;
  object["error_code"] = letter.error_code;
  object["error_detail"] = letter.error_detail;
  object["attempts"] = letter.attempts;
  object["first_failure"] = format_timestamp(letter.first_failure);
  object["last_failure"] = format_timestamp(letter.last_failure);
  object["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : letter.metadata) object["metadata"][key] = value;
  if (text::is_valid_utf8(letter.payload)) {
    object["payload"] = letter.payload;
  } else {
    object["payload_base64"] = text::base64_encode(letter.payload);
  }
  // Error texts and metadata from a hand-written stream entry may be invalid UTF-8 too:
  // replaced (U+FFFD) rather than failing the listing.
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace courier::app
