// Fuzz target: everything the query API parses from a client (aggregator/request_parsing.h,
// post_order.h): the input is tried as a path id, a cursor, a query string
// ("limit=5&cursor=1700000000000000.7", split at '&' and '=' as the HTTP server does) and
// as each JSON body. Whatever it accepts must round-trip: a cursor or page it gives back
// parses to the same value.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "aggregator/request_parsing.h"
#include "fuzz_input.h"

namespace {

using namespace courier::aggregator;
using courier::fuzz::require;

std::multimap<std::string, std::string> query_of(std::string_view text) {
  auto pairs = courier::fuzz::split_pairs(text, '&');
  return {pairs.begin(), pairs.end()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = courier::fuzz::as_text(data, size);

  if (courier::Result<std::int64_t> id = parse_id(input, "user id"); id.ok())
    require(*id > 0 && parse_id(std::to_string(*id), "user id").value() == *id);

  if (courier::Result<PostKey> key = decode_cursor(input); key.ok())
    require(decode_cursor(encode_cursor(*key)).value() == *key);

  if (courier::Result<PageRequest> page = parse_page_request(query_of(input)); page.ok()) {
    courier::Result<PageRequest> again = parse_page_request(query_of(page->canonical()));
    require(again.ok() && again->limit == page->limit && again->after == page->after &&
            again->offset == page->offset);
  }

  (void)parse_new_user(input);
  (void)parse_new_post(input);
  (void)parse_new_follow(input);
  return 0;
}
