// How `courier dlq list` shows a dead letter: escaped lines for a terminal, or one JSON
// object per letter with a binary payload in base64.
//
//   fmt::print("{}", dead_letter_as_text(letter));        // "1714000060123-0  last failure …"
//   fmt::print("{}\n", dead_letter_as_json(letter));     // {"id":"1714000060123-0",…}
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "courier/dead_letter.h"

namespace courier::app {

// Bytes as printable ASCII for a terminal: \\, \n, \r, \t and \xHH for every other byte
// outside 0x20..0x7e, so no payload can move the cursor or change colours. At most
// `max_bytes` of the input are shown; a cut is marked "… (N more bytes)".
std::string printable_bytes(std::string_view bytes, size_t max_bytes);

// A few lines per letter, each ending in '\n': id, last failure, attempts and error code on
// the first; then the error, the metadata (when there is any) and the payload (cut at
// kPayloadPreviewBytes), all through printable_bytes.
inline constexpr size_t kPayloadPreviewBytes = 200;
std::string dead_letter_as_text(const DeadLetter& letter);

// One JSON object on one line, without the newline: id, error, error_code, error_detail,
// attempts, first_failure, last_failure, metadata, and the whole payload as "payload"
// when it is valid UTF-8, else as "payload_base64".
std::string dead_letter_as_json(const DeadLetter& letter);

}  // namespace courier::app
