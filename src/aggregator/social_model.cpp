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

std::string post_json_text(const Post& post) {
  return json_text(post_json(post));
}

bool is_post_json_of(std::string_view text, std::int64_t id) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  // An unescaped quote cannot occur inside a JSON string, so this is the member "id".
  std::string member = "\"id\":" + std::to_string(id);
  size_t at = text.find(member);
  if (at == std::string_view::npos) return false;
  char after = text[at + member.size()];
  return after == ',' || after == '}';
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string page_json_text(const std::vector<std::string>& post_texts, bool has_more,
                           const PostKey& last) {
  size_t size = 64;
  for (const std::string& text : post_texts) size += text.size() + 1;
  std::string page;
  page.reserve(size);
  page += "{\"posts\":[";
  for (size_t i = 0; i < post_texts.size(); ++i) {
    if (i > 0) page += ',';
    page += post_texts[i];
  }
  page += has_more ? "],\"has_more\":true" : "],\"has_more\":false";
  // A cursor is digits and a dot: nothing to escape.
  if (has_more && !post_texts.empty()) page += ",\"next_cursor\":\"" + encode_cursor(last) + "\"";
  page += '}';
  return page;
}

}  // namespace courier::aggregator
