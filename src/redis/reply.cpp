#include "redis/reply.h"

#include <cstdio>

namespace courier::redis {
namespace {

void append_quoted(std::string_view text, std::string& out) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  out += '"';
}

void append_reply(const Reply& reply, std::string& out) {
  switch (reply.type()) {
    case Reply::Type::kNil:
      out += "(nil)";
      break;
    case Reply::Type::kString:
      append_quoted(reply.str(), out);
      break;
    case Reply::Type::kStatus:
      out += reply.str();
      break;
    case Reply::Type::kError:
      out += "(error) " + reply.str();
      break;
    case Reply::Type::kInteger:
      out += "(integer) " + std::to_string(reply.integer());
      break;
    case Reply::Type::kArray:
      out += '[';
      for (size_t i = 0; i < reply.size(); ++i) {
        if (i > 0) out += ", ";
        append_reply(reply[i], out);
      }
      out += ']';
      break;
  }
}

}  // namespace

Reply Reply::from_integer(long long value) {
  Reply reply;
  reply.type_ = Type::kInteger;
  reply.integer_ = value;
  return reply;
}

Reply Reply::from_array(std::vector<Reply> elements) {
  Reply reply;
  reply.type_ = Type::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

std::string Reply::to_string() const {
  std::string out;
  append_reply(*this, out);
  return out;
}

std::string_view reply_type_name(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kArray:
      return "array";
    case Reply::Type::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace courier::redis
