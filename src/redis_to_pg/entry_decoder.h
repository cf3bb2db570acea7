// EntryDecoder: turns one stream entry into the rows it stands for. The JSON document is
// read from the first of the configured payload fields present (`event_data`, else
// `data`, else `payload`); the mapping is chosen by stream and `event_name`; an
// `event_data` array fans out into one row per element. Every value is converted before
// anything is written, so a bad element is refused here, with a reason naming the column,
// while its neighbours go on. JSON nesting deeper than max_json_depth is refused before it
// is parsed (see json_nesting.h).
//
//   EntryDecoder decoder(streams_config);
//   DecodedEntry decoded = decoder.decode(entry);
//   for (const RejectedElement& bad : decoded.rejected) dead_letter(bad.error.message());
//
// Thread-safety: decode() is const and may run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "courier/status.h"
#include "redis_to_pg/stream_config.h"

namespace courier::redis_to_pg {

// One entry as read from a stream.
struct StreamEntry {
  std::string stream;
  std::string id;  // "1700000000000-0"
  std::vector<std::pair<std::string, std::string>> fields;
  int64_t deliveries = 1;  // times delivered to a consumer (from the pending list)
  bool deleted = false;    // read from a pending list after XDEL or a trim removed its data

  size_t byte_size() const;
};

struct DecodedRow {
  size_t mapping = 0;        // index into the decoder's mappings
  size_t element_index = 0;  // position in the event_data array (0 for an object)
  std::vector<std::optional<std::string>> values;  // one per mapping column, in order
};

inline constexpr size_t kWholeEntry = static_cast<size_t>(-1);

struct RejectedElement {
  size_t element_index = kWholeEntry;  // kWholeEntry: the entry as a whole is bad
  Status error;                        // kInvalidArgument with a readable reason
  std::string payload;                 // what was refused: the element's JSON, or the entry
};

struct DecodedEntry {
  std::vector<DecodedRow> rows;
  std::vector<RejectedElement> rejected;
};

class EntryDecoder {
 public:
  explicit EntryDecoder(const StreamsConfig& config);

  DecodedEntry decode(const StreamEntry& entry) const;
  const std::vector<TableMapping>& mappings() const { return mappings_; }

 private:
  // The mapping for (stream, event): exact match first, then wildcards.
  std::optional<size_t> mapping_for(const std::string& stream, const std::string& event) const;

  std::vector<TableMapping> mappings_;
  std::vector<std::string> payload_fields_;
  int64_t max_entry_bytes_;
  int max_json_depth_;
};

// The entry as a JSON object {"stream", "id", "fields": {...}}, for dead letters.
std::string entry_as_json(const StreamEntry& entry);

}  // namespace courier::redis_to_pg
