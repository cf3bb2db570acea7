// What stream ingest's unit tests share: a fake RowSink (Postgres) and rindexer events
// the built-in mappings decode.
//
//   FakeRowSink rows;
//   rows.answers.push_back(Status(StatusCode::kUnavailable, "connection refused"));
//   StreamEntry entry{"events", "1-0", {{"event_data", generic_event_payload()}}};
//
// Thread-safety: FakeRowSink is used by one thread at a time; read its counters after
// the thread that writes has been joined (or from on_write).
#pragma once

#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "redis_to_pg/entry_batch_applier.h"

namespace courier::redis_to_pg {

// Answers each write with the next queued answer (ok, no refusals, when none is queued),
// and counts the rows of every write that committed.
class FakeRowSink final : public RowSink {
 public:
  Result<std::vector<RowRefusal>> write(std::span<const DecodedRow> rows) override {
    ++writes;
    if (on_write) on_write(rows);
    if (!answers.empty()) {
      Result<std::vector<RowRefusal>> answer = answers.front();
      answers.pop_front();
      if (!answer.ok()) return answer;
      committed += rows.size() - answer->size();
      return answer;
    }
    committed += rows.size();
    return std::vector<RowRefusal>{};
  }
  std::deque<Result<std::vector<RowRefusal>>> answers;
  std::function<void(std::span<const DecodedRow>)> on_write;  // before each answer
  size_t writes = 0;
  size_t committed = 0;
};

// The event_data of a rindexer event no mapping names: one row in the generic table.
inline std::string generic_event_payload() {
  const nlohmann::json transaction = {{"address", "0xabc"},
                                      {"block_hash", "0xbh"},
                                      {"block_number", 18500000},
                                      {"log_index", "1"},
                                      {"block_timestamp", "0x6553f100"},
                                      {"network", "base"},
                                      {"transaction_hash", "0xtx"},
                                      {"transaction_index", "0x2"}};
  const nlohmann::json data = {{"a", 1}, {"transaction_information", transaction}};
  return nlohmann::json{{"event_name", "Anything"}, {"event_data", data}}.dump();
}

}  // namespace courier::redis_to_pg
