// Helpers for the fuzz targets: turning the fuzz input into the structured values a target
// feeds its code, so that seeds stay readable text.
//
//   auto pairs = split_pairs("limit=5&cursor=7.1", '&');   // {{"limit","5"},{"cursor","7.1"}}
//   require(pairs.size() == 2);    // a broken invariant is a crash the fuzzer reports
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace courier::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Aborts when an invariant of the code under test does not hold.
inline void require(bool holds) {
  if (!holds) std::abort();
}

// "name=value" pieces separated by `separator`, split at the first '='; a piece without
// '=' is a name with an empty value.
inline std::vector<std::pair<std::string, std::string>> split_pairs(std::string_view text,
                                                                    char separator) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!text.empty()) {
    size_t end = text.find(separator);
    std::string_view piece = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t equals = piece.find('=');
    if (equals == std::string_view::npos) equals = piece.size();
    pairs.emplace_back(piece.substr(0, equals), piece.substr(std::min(equals + 1, piece.size())));
  }
  return pairs;
}

}  // namespace courier::fuzz
