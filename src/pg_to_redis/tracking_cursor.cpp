#include "pg_to_redis/tracking_cursor.h"

#include <cstdint>
#include <optional>

#include "text/json_string.h"

namespace courier::pg_to_redis {
namespace {

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

// A recursive-descent reader for exactly one JSON array of strings.
class ArrayOfStringsParser {
 public:
  explicit ArrayOfStringsParser(std::string_view text) : text_(text) {}

  // The strings, or the reason the text is not an array of strings.
  std::optional<std::vector<std::string>> parse(std::string& error) {
    std::vector<std::string> values;
    skip_space();
    if (!consume('[')) return fail(error, "it does not start with '['");
    skip_space();
    if (!consume(']')) {
      while (true) {
        skip_space();
        std::string value;
        if (!read_string(value, error)) return std::nullopt;
        values.push_back(std::move(value));
        skip_space();
        if (consume(']')) break;
        if (!consume(',')) return fail(error, "expected ',' or ']' after a value");
      }
    }
    skip_space();
    if (pos_ != text_.size()) return fail(error, "unexpected text after the array");
    return values;
  }

 private:
  std::nullopt_t fail(std::string& error, std::string reason) {
    error = std::move(reason) + " (at byte " + std::to_string(pos_) + ")";
    return std::nullopt;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<uint32_t> read_hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return std::nullopt;
    }
    return value;
  }
  bool read_escape(std::string& out, std::string& error) {
    if (pos_ >= text_.size()) {
      fail(error, "unterminated escape");
      return false;
    }
    const char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        fail(error, std::string("unknown escape \\") + c);
        return false;
    }
    auto unit = read_hex4();
    if (!unit) {
      fail(error, "bad \\u escape");
      return false;
    }
    uint32_t code_point = *unit;
    if (code_point >= 0xd800 && code_point < 0xdc00) {  // high surrogate: a pair follows
      if (!consume('\\') || !consume('u')) {
        fail(error, "lone surrogate");
        return false;
      }
      auto low = read_hex4();
      if (!low || *low < 0xdc00 || *low >= 0xe000) {
        fail(error, "bad surrogate pair");
        return false;
      }
      code_point = 0x10000 + ((code_point - 0xd800) << 10) + (*low - 0xdc00);
    } else if (code_point >= 0xdc00 && code_point < 0xe000) {
      fail(error, "lone surrogate");
      return false;
    }
    append_utf8(out, code_point);
    return true;
  }
  bool read_string(std::string& out, std::string& error) {
    if (!consume('"')) {
      fail(error, "expected a string");
      return false;
    }
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (!read_escape(out, error)) return false;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        fail(error, "control character inside a string");
        return false;
      } else {
        out += c;
      }
    }
    fail(error, "unterminated string");
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

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
  auto values = ArrayOfStringsParser(stored).parse(error);
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
