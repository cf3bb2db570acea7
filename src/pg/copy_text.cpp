#include "pg/copy_text.h"

namespace courier::pg {
namespace {

// The letter that follows the backslash for a byte COPY must escape, or 0 if none.
char escape_letter(char c) {
  switch (c) {
    case '\\':
      return '\\';
    case '\t':
      return 't';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\v':
      return 'v';
    default:
      return 0;
  }
}

}  // namespace

void append_copy_field(std::string& out, CopyField value) {
  if (!value) {
    out += "\\N";
    return;
  }
  size_t plain_start = 0;
  for (size_t i = 0; i < value->size(); ++i) {
    char letter = escape_letter((*value)[i]);
    if (letter == 0) continue;
    out.append(value->substr(plain_start, i - plain_start));
    out += '\\';
    out += letter;
    plain_start = i + 1;
  }
  out.append(value->substr(plain_start));
}

void append_copy_row(std::string& out, std::span<const CopyField> fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += '\t';
    append_copy_field(out, fields[i]);
  }
  out += '\n';
}

void append_copy_row(std::string& out, std::initializer_list<CopyField> fields) {
  append_copy_row(out, std::span<const CopyField>(fields.begin(), fields.size()));
}

}  // namespace courier::pg
