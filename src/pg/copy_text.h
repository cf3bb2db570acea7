// COPY text format encoding: turns field values into the lines `COPY ... FROM STDIN`
// reads (tab-separated, \N for NULL, backslash escapes for tab, newline, CR, backslash).
//
//   std::string line;
//   courier::pg::append_copy_row(line, {"42", std::nullopt, "a\tb"});
//   // line == "42\t\\N\ta\\tb\n"
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace courier::pg {

// One field value; std::nullopt is SQL NULL.
using CopyField = std::optional<std::string_view>;

// Appends one field, escaped: NULL as \N; backslash, tab, newline, carriage return,
// backspace, form feed and vertical tab as their backslash escapes; other bytes as-is.
void append_copy_field(std::string& out, CopyField value);

// Appends a whole row: fields separated by tabs, ended by a newline.
void append_copy_row(std::string& out, std::span<const CopyField> fields);
void append_copy_row(std::string& out, std::initializer_list<CopyField> fields);

}  // namespace courier::pg
