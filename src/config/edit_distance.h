// Edit distance and "did you mean": turns a typo'd key into a helpful suggestion.
//
//   std::vector<std::string> keys = {"host", "port", "password"};
//   std::optional<std::string> hint = nearest_name("pasword", keys);  // "password"
//   if (hint) message += "; did you mean '" + *hint + "'?";
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace courier::config {

// True when `a` and `b` differ at most in the case of ASCII letters.
bool equals_ignoring_case(std::string_view a, std::string_view b);

// Optimal-string-alignment distance, ignoring ASCII case: insertions, deletions,
// substitutions and swaps of two neighbouring characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely typo (at most one
// edit per three characters of `word`, and at least one). Ties go to the earlier candidate.
std::optional<std::string> nearest_name(std::string_view word,
                                        std::span<const std::string> candidates);

}  // namespace courier::config
