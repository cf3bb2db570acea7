// A bound on how deeply a JSON text nests, checked on the text itself before anything
// parses it: serialising or copying a parsed document recurses once per level, so an
// entry nesting 200 000 arrays would overflow a worker's stack. The scan is iterative,
// keeps no stack and understands strings (brackets inside them do not count).
//
//   Status nesting = check_json_nesting(R"({"a": [[1]]})", 2);
//   // kInvalidArgument: "JSON nests deeper than max_json_depth (2) at byte 7"
//   if (!nesting.ok()) dead_letter(nesting.message());
//
// Thread-safety: a pure function; safe from any thread.
#pragma once

#include <string_view>

#include "courier/status.h"

namespace courier::redis_to_pg {

// Ok when no array or object of `text` lies more than `max_depth` levels deep (a scalar
// is level 0, `[1]` is 1); kInvalidArgument naming the limit and the byte offset of the
// first bracket past it otherwise. Says nothing about whether the text is valid JSON.
Status check_json_nesting(std::string_view text, int max_depth);

}  // namespace courier::redis_to_pg
