// The fields of a dead letter as named text values, shared by the Redis stream store (one
// stream field each) and the Postgres table store (one column each), so both stores name,
// format and read them the same way. Timestamps are RFC 3339 in UTC with milliseconds.
//
//   for (const auto& [name, text] : courier::letter_fields(letter)) add(name, text);
//   courier::DeadLetter back;
//   for (const auto& [name, text] : stored) courier::assign_letter_field(back, name, text);
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "courier/dead_letter.h"

namespace courier {

// Field names, also the column names of the Postgres table.
namespace letter_field {
inline constexpr std::string_view kPayload = "payload";
inline constexpr std::string_view kError = "error";
inline constexpr std::string_view kErrorCode = "error_code";
inline constexpr std::string_view kErrorDetail = "error_detail";
inline constexpr std::string_view kAttempts = "attempts";
inline constexpr std::string_view kFirstFailure = "first_failure";
inline constexpr std::string_view kLastFailure = "last_failure";
}  // namespace letter_field

// "2024-05-06T07:08:09.123Z": milliseconds, UTC (the time is rounded down to the ms).
std::string format_timestamp(WallTime time);

// Reads what format_timestamp writes; the fraction may have 1 to 9 digits (kept to the
// ms) or be absent. nullopt for anything else.
std::optional<WallTime> parse_timestamp(std::string_view text);

// Every field of `letter` except id and metadata, in a fixed order, as (name, text).
std::vector<std::pair<std::string_view, std::string>> letter_fields(const DeadLetter& letter);

// Sets the field `name` of `letter` from `text`; false when `name` is not one of
// letter_fields' names. Lenient on purpose: a malformed attempts or timestamp (an entry
// written by hand, say) leaves the field at its default rather than failing, so that every
// letter can still be listed and removed.
bool assign_letter_field(DeadLetter& letter, std::string_view name, std::string_view text);

// True for a non-empty string of ASCII digits: the form of Postgres row ids and of both
// halves of a stream entry id, checked before an id goes into a command.
bool is_decimal_number(std::string_view text);

}  // namespace courier
