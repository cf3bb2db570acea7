// Value conversion for stream ingest: one JSON value (or the text of a stream entry field)
// into the text Postgres reads for a column, checked before anything is sent, so that a
// bad value is refused with a message naming what was expected and what arrived.
//
//   auto text = convert_value(ColumnInput(std::string_view("0x1f")), {.type = ValueType::kNumeric});
//   // *text == "31"; unix seconds 1700000000 as timestamptz → "2023-11-14 22:13:20+00"
//   if (!text.ok()) dead_letter(text.status().message());
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "courier/status.h"
#include "redis_to_pg/stream_config.h"

namespace courier::redis_to_pg {

// What a column reads: a value of the entry's JSON payload (simdjson's DOM: parsed once, no
// tree of allocations), the text of one of the entry's fields (read as a JSON string), or
// nothing at all (absent).
using ColumnInput = std::variant<std::monostate, simdjson::dom::element, std::string_view>;

// The column's text, or std::nullopt for SQL NULL (a null or absent value of an optional
// column). kInvalidArgument, saying what was expected and what arrived, otherwise.
Result<std::optional<std::string>> convert_value(const ColumnInput& value,
                                                 const ColumnMapping& column);

// Hex digits (no prefix) of any length → decimal digits; nullopt when a digit is not hex.
std::optional<std::string> hex_to_decimal(std::string_view hex_digits);

// Unix seconds → "YYYY-MM-DD HH:MM:SS+00".
std::string format_unix_seconds(int64_t seconds);

}  // namespace courier::redis_to_pg
