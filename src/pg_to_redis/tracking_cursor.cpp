#include "pg_to_redis/tracking_cursor.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "text/json_string.h"

namespace courier::pg_to_redis {
namespace {

// What nlohmann says is wrong, without its "[json.exception…] parse error at line…: "
// prefix, and where: "syntax error while parsing value - invalid literal; … (at byte 1)".
std::string reason_of(const nlohmann::json::parse_error& error) {
  std::string_view what = error.what();
  if (size_t colon = what.find(": "); colon != std::string_view::npos)
    what.remove_prefix(colon + 2);
  return std::string(what) + " (at byte " + std::to_string(error.byte) + ")";
}

// The strings of one JSON array of strings, or (in `error`) why `stored` is not one.
std::optional<std::vector<std::string>> strings_of(std::string_view stored, std::string& error) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(stored);
  } catch (const nlohmann::json::parse_error& e) {
    error = reason_of(e);
    return std::nullopt;
  }
  if (!parsed.is_array()) {
    error = "it is a JSON " + std::string(parsed.type_name()) + ", not an array";
    return std::nullopt;
  }
  std::vector<std::string> values;
  values.reserve(parsed.size());
  for (const nlohmann::json& element : parsed) {
    if (!element.is_string()) {
      error = "value " + std::to_string(values.size() + 1) + " is a " + element.type_name() +
              ", not a string";
      return std::nullopt;
    }
    values.push_back(element.get<std::string>());
  }
  return values;
}

}  // namespace

// Not nlohmann's dump(): it writes "\n" where the stored format has "\u000a", and it
// refuses bytes that are not UTF-8 instead of keeping them.
std::string TrackingCursor::encode() const {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    text::append_json_string(out, values[i], text::ControlEscapes::kUnicode);
  }
  out += ']';
  return out;
}

Result<TrackingCursor> TrackingCursor::decode(std::string_view stored, std::string_view key) {
  std::string error;
  auto values = strings_of(stored, error);
  if (!values) {
    return Status(StatusCode::kInvalidArgument,
                  "checkpoint under Redis key '" + std::string(key) +
                      "' is not a Courier checkpoint (a JSON array of strings): " + error +
                      "; delete the key to re-read the table from the start, or store a valid "
                      "checkpoint such as [\"2024-05-01 10:00:00+00\",\"42\"]");
  }
  if (values->empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "checkpoint under Redis key '" + std::string(key) +
                      "' is an empty array; delete the key to re-read the table from the start");
  }
  return TrackingCursor{std::move(*values)};
}

}  // namespace courier::pg_to_redis
