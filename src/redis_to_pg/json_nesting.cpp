#include "redis_to_pg/json_nesting.h"

#include <string>

namespace courier::redis_to_pg {

Status check_json_nesting(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return Status(StatusCode::kInvalidArgument, "JSON nests deeper than max_json_depth (" +
                                                        std::to_string(max_depth) + ") at byte " +
                                                        std::to_string(i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace courier::redis_to_pg
