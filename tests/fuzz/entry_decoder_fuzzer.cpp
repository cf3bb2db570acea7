// Fuzz target: the stream-entry decoder (redis_to_pg/entry_decoder.h) with the built-in
// rindexer mapping, on entries whose fields come from the fuzz input. The input is one
// field per line, "name=value", so a seed reads like the entry it stands for:
//
//   event_name=Deposited
//   event_data={"sender":"0xs","transaction_information":{"log_index":"1f"}}
//
// Any input must decode without crashing into rows and refusals that account for it.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "redis_to_pg/entry_decoder.h"

namespace {

using courier::redis_to_pg::DecodedEntry;
using courier::redis_to_pg::EntryDecoder;
using courier::redis_to_pg::StreamEntry;
using courier::redis_to_pg::StreamsConfig;

const EntryDecoder& rindexer_decoder() {
  static const EntryDecoder decoder([] {
    StreamsConfig config;
    config.mappings = courier::redis_to_pg::rindexer_mappings();
    return config;
  }());
  return decoder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const EntryDecoder& decoder = rindexer_decoder();
  StreamEntry entry{"rindexer_producer", "1700000000000-0",
                    courier::fuzz::split_pairs(courier::fuzz::as_text(data, size), '\n')};
  DecodedEntry decoded = decoder.decode(entry);
  // Every row has a value per column of its mapping; every refusal has a reason.
  for (const auto& row : decoded.rows) {
    courier::fuzz::require(row.mapping < decoder.mappings().size() &&
                           row.values.size() == decoder.mappings()[row.mapping].columns.size());
  }
  for (const auto& rejected : decoded.rejected)
    courier::fuzz::require(!rejected.error.ok() && !rejected.error.message().empty());
  return 0;
}
