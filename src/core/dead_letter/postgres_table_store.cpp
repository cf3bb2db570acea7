#include "core/dead_letter/postgres_table_store.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/dead_letter/letter_fields.h"
#include "pg/errors.h"
#include "pg/identifier.h"
#include "text/integer.h"

namespace courier {
namespace {

using nlohmann::json;

// The SQLSTATEs two concurrent CREATE TABLE IF NOT EXISTS can fail with: both passed the
// "not exists" check and the second hit the first one's catalog rows.
constexpr std::string_view kDuplicateTable = "42P07";

// Renders a stored timestamp the way format_timestamp does, so parse_timestamp reads it.
constexpr std::string_view kTimestampFormat = R"('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')";

std::string as_rfc3339(std::string_view column) {
  return "to_char(" + std::string(column) + " AT TIME ZONE 'UTC', " +
         std::string(kTimestampFormat) + ") AS " + std::string(column);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

int hex_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

// Reads what encode(payload, 'hex') returns; empty for anything else.
std::string from_hex(std::string_view hex) {
  std::string bytes;
  if (hex.size() % 2 != 0) return bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return {};
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  return bytes;
}

// Postgres text cannot hold a NUL byte (jsonb refuses \u0000 as well).
std::string without_nul(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c == '\0') {
      clean += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else {
      clean.push_back(c);
    }
  }
  return clean;
}

json letter_as_json(const DeadLetter& letter) {
  json row = json::object();
  for (auto& [name, text] : letter_fields(letter)) {
    row[std::string(name)] = name == letter_field::kPayload ? to_hex(text) : without_nul(text);
  }
  json metadata = json::object();
  for (const auto& [key, value] : letter.metadata) metadata[without_nul(key)] = without_nul(value);
  row["metadata"] = std::move(metadata);
  return row;
}

// A parameter holding every letter as one JSON array: one statement, however many letters,
// and nothing pasted into the SQL. Invalid UTF-8 in texts is replaced, not refused.
std::string letters_as_json(std::span<const DeadLetter> letters) {
  json array = json::array();
  for (const DeadLetter& letter : letters) array.push_back(letter_as_json(letter));
  return array.dump(-1, ' ', false, json::error_handler_t::replace);
}

void assign_metadata(DeadLetter& letter, std::string_view text) {
  const json metadata = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!metadata.is_object()) return;
  for (const auto& [key, value] : metadata.items())
    letter.metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
}

DeadLetter letter_from_row(const pg::Row& row) {
  DeadLetter letter;
  for (int column = 0; column < row.column_count(); ++column) {
    const std::optional<std::string_view> value = row.get(column);
    if (!value) continue;
    const std::string_view name = row.column_name(column);
    if (name == "id") {
      letter.id = *value;
    } else if (name == letter_field::kPayload) {
      letter.payload = from_hex(*value);
    } else if (name == "metadata") {
      assign_metadata(letter, *value);
    } else {
      (void)assign_letter_field(letter, name, *value);
    }
  }
  return letter;
}

// Decimal ids in numeric order: shorter first, then by digits.
bool numerically_before(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace

PostgresTableDeadLetterStore::PostgresTableDeadLetterStore(pg::Connection& connection,
                                                           std::string_view qualified_table)
    : connection_(connection) {
  Result<std::string> quoted = pg::quote_qualified_name(qualified_table);
  if (!quoted.ok())
    throw std::invalid_argument("dead-letter table \"" + std::string(qualified_table) +
                                "\": " + quoted.status().message());
  table_ = std::move(*quoted);
}

Status PostgresTableDeadLetterStore::in_table(const Status& error) const {
  return Status(error.code(), "dead-letter table " + table_ + ": " + error.message(),
                error.detail());
}

Status PostgresTableDeadLetterStore::ensure_table() {
  const std::string create = "CREATE TABLE IF NOT EXISTS " + table_ + R"( (
      id bigserial PRIMARY KEY,
      payload bytea NOT NULL,
      error text NOT NULL DEFAULT '',
      error_code text NOT NULL DEFAULT '',
      error_detail text NOT NULL DEFAULT '',
      attempts integer NOT NULL DEFAULT 1,
      first_failure timestamptz NOT NULL,
      last_failure timestamptz NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()))";
  Result<pg::QueryResult> created = connection_.execute(create);
  if (created.ok()) return Status::Ok();
  const Status error = created.status();
  if (error.detail() == pg::sqlstate::kUniqueViolation || error.detail() == kDuplicateTable)
    return Status::Ok();
  return in_table(error);
}

Result<std::vector<std::string>> PostgresTableDeadLetterStore::send(
    std::span<const DeadLetter> letters) {
  if (letters.empty()) return std::vector<std::string>{};
  const std::string insert = "INSERT INTO " + table_ + R"( (payload, error, error_code,
      error_detail, attempts, first_failure, last_failure, metadata)
    SELECT decode(letter->>'payload', 'hex'), letter->>'error', letter->>'error_code',
      letter->>'error_detail', (letter->>'attempts')::integer,
      (letter->>'first_failure')::timestamptz, (letter->>'last_failure')::timestamptz,
      letter->'metadata'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS letters(letter, position)
    ORDER BY position
    RETURNING id)";
  Result<pg::QueryResult> inserted = connection_.execute(insert, {letters_as_json(letters)});
  if (!inserted.ok()) return in_table(inserted.status());
  std::vector<std::string> ids;
  ids.reserve(letters.size());
  for (const pg::Row& row : *inserted) ids.emplace_back(row.get(0).value_or(""));
  // RETURNING promises no order, but ids are drawn from the sequence in insertion order,
  // which is the letters' order: sorted ids line up with `letters`.
  std::sort(ids.begin(), ids.end(), numerically_before);
  return ids;
}

Result<std::vector<DeadLetter>> PostgresTableDeadLetterStore::receive(size_t max) {
  if (max == 0) return std::vector<DeadLetter>{};
  const size_t limit = std::min<size_t>(max, std::numeric_limits<int64_t>::max());
  const std::string select =
      "SELECT id, encode(payload, 'hex') AS payload, error, error_code, error_detail, "
      "attempts, " +
      as_rfc3339(letter_field::kFirstFailure) + ", " + as_rfc3339(letter_field::kLastFailure) +
      ", metadata::text AS metadata FROM " + table_ + " ORDER BY id LIMIT $1";
  Result<pg::QueryResult> rows = connection_.execute(select, {std::to_string(limit)});
  if (!rows.ok()) return in_table(rows.status());
  std::vector<DeadLetter> letters;
  letters.reserve(rows->row_count());
  for (const pg::Row& row : *rows) letters.push_back(letter_from_row(row));
  return letters;
}

Status PostgresTableDeadLetterStore::remove(std::span<const std::string> ids) {
  if (ids.empty()) return Status::Ok();
  // Checked before they go into an array literal, where a comma would add an element.
  std::string array = "{";
  for (const std::string& id : ids) {
    if (!is_decimal_number(id))
      return in_table(Status(StatusCode::kInvalidArgument, "dead-letter id \"" + id +
                                                               "\" is not a row id; use the ids "
                                                               "that receive() returned"));
    if (array.size() > 1) array += ',';
    array += id;
  }
  array += '}';
  Result<pg::QueryResult> deleted =
      connection_.execute("DELETE FROM " + table_ + " WHERE id = ANY($1::bigint[])", {array});
  return deleted.ok() ? Status::Ok() : in_table(deleted.status());
}

Result<size_t> PostgresTableDeadLetterStore::count() {
  Result<pg::QueryResult> counted = connection_.execute("SELECT count(*) FROM " + table_);
  if (!counted.ok()) return in_table(counted.status());
  const std::string_view text = counted->get(0, 0).value_or("");
  std::optional<size_t> letters = text::parse_integer<size_t>(text);
  if (!letters)
    return in_table(
        Status(StatusCode::kInternal, "count(*) returned \"" + std::string(text) + "\""));
  return *letters;
}

}  // namespace courier
