// Strict parsers for the scalar types a config file holds: integers, booleans, durations,
// sizes.
//
// They only recognise text; the readers in config/reader.h turn a nullopt into an
// error message with the value's path and position.
//
//   std::optional<std::chrono::milliseconds> d = parse_duration("1m30s");  // 90000ms
//   std::optional<std::int64_t> n = parse_integer("5432");
//   std::string text = format_duration(std::chrono::milliseconds(90000));  // "1m30s"
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace courier::config {

// Decimal, with an optional sign: "42", "-7", "+3". Nothing else (no "0x", no spaces).
std::optional<std::int64_t> parse_integer(std::string_view text);

// true/false, yes/no, on/off, in any case.
std::optional<bool> parse_boolean(std::string_view text);

// "250ms", "5s", "2m", "1h", combinations such as "1m30s" or "1h5m", or a plain number of
// milliseconds ("1500"). No fractions, no negative values.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// A size in bytes: a whole number with an optional unit, as PostgreSQL writes them ("1GB",
// "512MB", "64kB", "100B", "4096"); units are powers of 1024 and read in any case.
std::optional<std::int64_t> parse_byte_size(std::string_view text);

// The shortest text parse_duration reads back as the same value: "1m30s", "250ms", "0s".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace courier::config
