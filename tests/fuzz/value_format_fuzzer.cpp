// Fuzz target: the table-sync value formatter (pg_to_redis/value_format.h). The input is
// taken as the text Postgres printed for a value, and converted by the rule of every
// built-in type, scalar and array, and as a sorted-set score of every type that can be
// one: "2024-02-29 23:59:59.5+05:30", "{1,NULL,\"a b\"}", "\\xdeadbeef", "-1.5e-07".
// Any text must give a value or a refusal; a score given must be a number Redis reads.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "pg_to_redis/value_format.h"

namespace {

using courier::pg_to_redis::TypeOid;

// Every type with a name of its own (built-in scalars and their arrays), and one
// unknown OID, found through the public functions so the list never goes stale.
const std::vector<TypeOid>& fuzzed_types() {
  static const std::vector<TypeOid> types = [] {
    std::vector<TypeOid> found{99'999};
    for (TypeOid oid = 1; oid < 5'000; ++oid)
      if (courier::pg_to_redis::type_name(oid).rfind("oid ", 0) != 0) found.push_back(oid);
    return found;
  }();
  return types;
}

bool is_redis_score(std::string_view score) {
  if (score == "inf" || score == "-inf") return true;
  double value = 0;
  auto [end, error] = std::from_chars(score.data(), score.data() + score.size(), value);
  return error == std::errc() && end == score.data() + score.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = courier::fuzz::as_text(data, size);
  for (TypeOid type : fuzzed_types()) {
    (void)courier::pg_to_redis::to_redis_value(type, text);
    if (!courier::pg_to_redis::can_be_sorted_set_score(type)) continue;
    courier::Result<std::string> score = courier::pg_to_redis::to_sorted_set_score(type, text);
    courier::fuzz::require(!score.ok() || is_redis_score(*score));
  }
  // Arrays of a type only the server knows (an enum[]) use the element rule by OID.
  (void)courier::pg_to_redis::array_to_redis_value(99'999, text);
  return 0;
}
