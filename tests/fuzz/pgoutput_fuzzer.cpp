// Fuzz target: what Courier makes of a logical replication stream — the stream's own
// messages (pg/replication_messages.h), pgoutput (pg/pgoutput.h) and the row changes built
// from them (pg/row_changes.h). The input is a sequence of messages, each preceded by one
// byte giving its length, fed in order to one decoder, so a seed is a whole transaction:
// Relation, Begin, Insert, Update, Delete, Commit.
// Any input must give messages or refusals, never a crash, and every row change must fit
// the Relation it was made under.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "pg/pgoutput.h"
#include "pg/replication_messages.h"
#include "pg/row_changes.h"

namespace {

using courier::fuzz::require;

void check(const courier::pg::RowChange& change) {
  if (!change.relation || !change.row) return;
  const int columns = static_cast<int>(change.relation->columns.size());
  require(change.row->row_count() == 1);
  require(change.row->column_count() == columns);
  if (change.old_row) require(change.old_row->column_count() == columns);
  for (int column : change.unchanged) require(column >= 0 && column < columns);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = courier::fuzz::as_text(data, size);
  courier::pg::RowChangeDecoder decoder;
  while (!input.empty()) {
    const size_t length = static_cast<uint8_t>(input.front());
    std::string_view message = input.substr(1, length);
    input.remove_prefix(std::min(input.size(), length + 1));
    (void)courier::pg::parse_replication_message(message);
    auto decoded = courier::pg::decode_pgoutput(message);
    if (!decoded.ok()) continue;
    auto change = decoder.decode(*decoded);
    if (change.ok() && *change) check(**change);
  }
  return 0;
}
