#include "aggregator/post_order.h"

#include "text/integer.h"

namespace courier::aggregator {
namespace {

bool parse_non_negative(std::string_view text, std::int64_t& out) {
  if (text.size() > 19) return false;
  std::optional<std::int64_t> value = text::parse_integer(text, {.min = 0});
  if (value) out = *value;
  return value.has_value();
}

}  // namespace

std::string encode_cursor(const PostKey& last_shown) {
  return std::to_string(last_shown.created_us) + "." + std::to_string(last_shown.id);
}

Result<PostKey> decode_cursor(std::string_view text) {
  size_t dot = text.find('.');
  PostKey key;
  if (dot == std::string_view::npos || !parse_non_negative(text.substr(0, dot), key.created_us) ||
      !parse_non_negative(text.substr(dot + 1), key.id)) {
    return Status(StatusCode::kInvalidArgument,
                  "cursor: not a cursor this API gave out; pass the next_cursor of the previous "
                  "page unchanged");
  }
  return key;
}

}  // namespace courier::aggregator
