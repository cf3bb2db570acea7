#include "aggregator/request_parsing.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "text/integer.h"

namespace courier::aggregator {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// A decimal in [min, max]; nullopt for anything else (signs, spaces, overflow, "1e3").
std::optional<std::int64_t> parse_decimal(std::string_view text, std::int64_t min,
                                          std::int64_t max) {
  return text::parse_integer(text, {.min = min, .max = max, .signs = text::Signs::kNone});
}

// The body as a JSON object, or why it is not one.
Result<nlohmann::json> parse_object(std::string_view body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid("body: not valid JSON (expected a JSON object)");
  if (!parsed.is_object()) return invalid("body: expected a JSON object");
  return parsed;
}

Status refuse_unknown_fields(const nlohmann::json& object,
                             std::initializer_list<std::string_view> known) {
  for (const auto& [field, value] : object.items()) {
    if (std::find(known.begin(), known.end(), field) == known.end())
      return invalid("body: unknown field '" + field + "'");
  }
  return Status::Ok();
}

Result<std::string> text_field(const nlohmann::json& object, const std::string& field,
                               size_t max_bytes) {
  auto found = object.find(field);
  if (found == object.end()) return invalid("body: '" + field + "' is required");
  if (!found->is_string()) return invalid("body: '" + field + "' must be a string");
  std::string text = found->get<std::string>();
  if (text.empty()) return invalid("body: '" + field + "' must not be empty");
  if (text.size() > max_bytes)
    return invalid("body: '" + field + "' is longer than " + std::to_string(max_bytes) + " bytes");
  return text;
}

Result<std::int64_t> id_field(const nlohmann::json& object, const std::string& field) {
  auto found = object.find(field);
  if (found == object.end()) return invalid("body: '" + field + "' is required");
  if (!found->is_number_integer() || found->get<std::int64_t>() <= 0)
    return invalid("body: '" + field + "' must be a positive integer id");
  return found->get<std::int64_t>();
}

}  // namespace

std::string PageRequest::canonical() const {
  std::string text = "limit=" + std::to_string(limit);
  if (after) text += "&cursor=" + encode_cursor(*after);
  if (offset > 0) text += "&offset=" + std::to_string(offset);
  return text;
}

Result<std::int64_t> parse_id(std::string_view text, std::string_view what) {
  std::optional<std::int64_t> id = parse_decimal(text, 1, std::numeric_limits<std::int64_t>::max());
  if (!id) return invalid(std::string(what) + ": expected a positive integer");
  return *id;
}

Result<PageRequest> parse_page_request(const std::multimap<std::string, std::string>& query) {
  PageRequest page;
  for (const auto& [name, value] : query) {
    if (query.count(name) > 1) return invalid("query: '" + name + "' is given more than once");
    if (name == "limit") {
      std::optional<std::int64_t> limit = parse_decimal(value, 1, kMaxPageLimit);
      if (!limit)
        return invalid("limit: expected an integer from 1 to " + std::to_string(kMaxPageLimit));
      page.limit = static_cast<size_t>(*limit);
    } else if (name == "offset") {
      std::optional<std::int64_t> offset = parse_decimal(value, 0, kMaxPageOffset);
      if (!offset)
        return invalid("offset: expected an integer from 0 to " + std::to_string(kMaxPageOffset) +
                       "; for deeper pages follow next_cursor");
      page.offset = static_cast<size_t>(*offset);
    } else if (name == "cursor") {
      Result<PostKey> after = decode_cursor(value);
      if (!after.ok()) return after.status();
      page.after = *after;
    } else {
      return invalid("query: unknown parameter '" + name + "' (expected limit, cursor, offset)");
    }
  }
  if (page.after && page.offset > 0)
    return invalid("query: give either cursor or offset, not both");
  return page;
}

Result<NewUser> parse_new_user(std::string_view body) {
  Result<nlohmann::json> object = parse_object(body);
  if (!object.ok()) return object.status();
  if (Status known = refuse_unknown_fields(*object, {"username"}); !known.ok()) return known;
  Result<std::string> username = text_field(*object, "username", kMaxUsernameBytes);
  if (!username.ok()) return username.status();
  return NewUser{std::move(*username)};
}

Result<NewPost> parse_new_post(std::string_view body) {
  Result<nlohmann::json> object = parse_object(body);
  if (!object.ok()) return object.status();
  if (Status known = refuse_unknown_fields(*object, {"user_id", "content"}); !known.ok())
    return known;
  Result<std::int64_t> user_id = id_field(*object, "user_id");
  if (!user_id.ok()) return user_id.status();
  Result<std::string> content = text_field(*object, "content", kMaxPostBytes);
  if (!content.ok()) return content.status();
  return NewPost{*user_id, std::move(*content)};
}

Result<NewFollow> parse_new_follow(std::string_view body) {
  Result<nlohmann::json> object = parse_object(body);
  if (!object.ok()) return object.status();
  if (Status known = refuse_unknown_fields(*object, {"followee_id"}); !known.ok()) return known;
  Result<std::int64_t> followee = id_field(*object, "followee_id");
  if (!followee.ok()) return followee.status();
  return NewFollow{*followee};
}

}  // namespace courier::aggregator
