#include "aggregator/social_model.h"

#include <fmt/format.h>

#include <ctime>

namespace courier::aggregator {

std::string rfc3339_utc(std::int64_t micros_since_epoch) {
  std::int64_t seconds = micros_since_epoch / 1'000'000;
  std::int64_t micros = micros_since_epoch % 1'000'000;
  if (micros < 0) {  // before 1970: borrow a second
    micros += 1'000'000;
    --seconds;
  }
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
}

nlohmann::json user_json(const User& user) {
  return {
      {"id", user.id}, {"username", user.username}, {"created_at", rfc3339_utc(user.created_us)}};
}

nlohmann::json post_json(const Post& post) {
  return {{"id", post.id},
          {"user_id", post.user_id},
          {"content", post.content},
          {"created_at", rfc3339_utc(post.created_us)},
          {"created_us", post.created_us}};
}

Result<Post> post_from_json(std::string_view text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto integer = [&](const char* field) {
    auto found = parsed.find(field);
    return found != parsed.end() && found->is_number_integer();
  };
  if (!parsed.is_object() || !integer("id") || !integer("user_id") || !integer("created_us") ||
      !parsed.contains("content") || !parsed["content"].is_string())
    return Status(StatusCode::kInternal,
                  "cached post body is not a post: " + std::string(text.substr(0, 80)));
  return Post{parsed["id"].get<std::int64_t>(), parsed["user_id"].get<std::int64_t>(),
              parsed["content"].get<std::string>(), parsed["created_us"].get<std::int64_t>()};
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json page_json(const std::vector<Post>& posts, bool has_more) {
  nlohmann::json list = nlohmann::json::array();
  for (const Post& post : posts) list.push_back(post_json(post));
  nlohmann::json page = {{"posts", std::move(list)}, {"has_more", has_more}};
  if (has_more && !posts.empty()) page["next_cursor"] = encode_cursor(posts.back().key());
  return page;
}

}  // namespace courier::aggregator
