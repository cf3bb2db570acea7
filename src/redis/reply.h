// Reply: an owning copy of one Redis reply (string, status, integer, nil, array, error).
//
//   Result<Reply> reply = client.command({"GET", "user:1"});
//   if (reply.ok() && reply->is_string()) use(reply->str());
//   log(reply->to_string());  // "\"alice\"", "(integer) 3", "(nil)", "[\"a\", (nil)]"
//
// Accessors never throw: asking for the wrong kind gives an empty value (see each one).
// Thread-safety: a plain value; copy or move freely.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace courier::redis {

class Reply {
 public:
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };

  Reply() = default;  // nil
  static Reply nil() { return Reply(); }
  static Reply from_string(std::string value) { return Reply(Type::kString, std::move(value)); }
  static Reply from_status(std::string value) { return Reply(Type::kStatus, std::move(value)); }
  static Reply from_error(std::string value) { return Reply(Type::kError, std::move(value)); }
  static Reply from_integer(long long value);
  static Reply from_array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_status() const { return type_ == Type::kStatus; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_error() const { return type_ == Type::kError; }

  // Text of a string, status or error reply (binary-safe); empty for other types.
  const std::string& str() const { return text_; }
  std::string take_str() && { return std::move(text_); }
  // The integer of an integer reply; 0 for other types.
  long long integer() const { return integer_; }
  // Elements of an array reply; empty for other types.
  const std::vector<Reply>& elements() const { return elements_; }
  std::vector<Reply> take_elements() && { return std::move(elements_); }
  size_t size() const { return elements_.size(); }
  const Reply& operator[](size_t index) const { return elements_[index]; }

  // One line for logs and test failures: "OK", "\"a\\x00b\"", "(integer) 1", "(nil)",
  // "(error) ERR ...", "[\"a\", (integer) 2]".
  std::string to_string() const;

  friend bool operator==(const Reply&, const Reply&) = default;

 private:
  Reply(Type type, std::string text) : type_(type), text_(std::move(text)) {}

  Type type_ = Type::kNil;
  std::string text_;
  long long integer_ = 0;
  std::vector<Reply> elements_;
};

std::string_view reply_type_name(Reply::Type type);

}  // namespace courier::redis
