#include "pg/identifier.h"

namespace courier::pg {
namespace {

constexpr int kMaxQualifiedParts = 3;

// The name as it can appear in a message: NUL bytes shown as \0.
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

Status invalid_identifier(std::string_view name, std::string_view reason) {
  return Status(StatusCode::kInvalidArgument,
                "identifier '" + printable(name) + "' " + std::string(reason));
}

}  // namespace

Result<std::string> quote_identifier(std::string_view name) {
  if (name.empty()) return invalid_identifier(name, "is empty; give a table or column name");
  if (name.find('\0') != std::string_view::npos) {
    return invalid_identifier(name, "contains a NUL byte, which PostgreSQL forbids");
  }
  if (name.size() > kMaxIdentifierBytes) {
    return invalid_identifier(name, "is longer than 63 bytes; PostgreSQL would truncate it");
  }
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted += '"';
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Result<std::string> quote_qualified_name(std::string_view dotted_name) {
  std::string quoted;
  int parts = 0;
  std::string_view rest = dotted_name;
  while (true) {
    size_t dot = rest.find('.');
    auto part = quote_identifier(rest.substr(0, dot));
    if (!part.ok()) {
      return Status(StatusCode::kInvalidArgument, "in qualified name '" + printable(dotted_name) +
                                                      "': " + part.status().message());
    }
    if (++parts > kMaxQualifiedParts) {
      return invalid_identifier(dotted_name,
                                "has more than three dot-separated parts "
                                "(expected table, schema.table or database.schema.table)");
    }
    if (!quoted.empty()) quoted += '.';
    quoted += *part;
    if (dot == std::string_view::npos) return quoted;
    rest = rest.substr(dot + 1);
  }
}

}  // namespace courier::pg
