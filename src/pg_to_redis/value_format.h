// Value formatting for table sync: how a Postgres value (its type OID and the text libpq
// returned for it) becomes the bytes written to Redis, and how a column becomes a
// sorted-set score. One rule per type, the same for every structure; docs/types.md is the
// table of rules with examples, and the tests hold this code to it.
//
//   conn.execute_script(session_settings_sql());                    // once per session
//   auto value = to_redis_value(result.column_type(c), result.get(r, c));  // Result<RedisValue>
//   auto score = to_sorted_set_score(result.column_type(c), result.get(r, c));  // "1732356000.5"
//
// The rules assume the text Postgres prints under session_settings_sql() (UTC, ISO dates,
// ISO 8601 intervals, shortest round-trip floats, hex bytea, UTF-8); the reader runs it on
// every connection it reads rows with, so server or role defaults cannot change the output.
//
// Thread-safety: pure functions without shared state; call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "courier/status.h"
#include "pg/result.h"

namespace courier::pg_to_redis {

using pg::TypeOid;

// Built-in type OIDs the rules distinguish (pg_type.oid; stable across server versions).
namespace type_oid {
inline constexpr TypeOid kBool = 16;
inline constexpr TypeOid kBytea = 17;
inline constexpr TypeOid kInt8 = 20;
inline constexpr TypeOid kInt2 = 21;
inline constexpr TypeOid kInt4 = 23;
inline constexpr TypeOid kText = 25;
inline constexpr TypeOid kOid = 26;
inline constexpr TypeOid kJson = 114;
inline constexpr TypeOid kFloat4 = 700;
inline constexpr TypeOid kFloat8 = 701;
inline constexpr TypeOid kBpchar = 1042;
inline constexpr TypeOid kVarchar = 1043;
inline constexpr TypeOid kDate = 1082;
inline constexpr TypeOid kTime = 1083;
inline constexpr TypeOid kTimestamp = 1114;
inline constexpr TypeOid kTimestamptz = 1184;
inline constexpr TypeOid kInterval = 1186;
inline constexpr TypeOid kTimetz = 1266;
inline constexpr TypeOid kNumeric = 1700;
inline constexpr TypeOid kUuid = 2950;
inline constexpr TypeOid kJsonb = 3802;
}  // namespace type_oid

// The SET statements (';'-separated, for Connection::execute_script) that make Postgres
// print values the way these rules expect: TimeZone UTC, DateStyle ISO, IntervalStyle
// iso_8601, extra_float_digits 1, bytea_output hex, client_encoding UTF8.
std::string_view session_settings_sql();

// What a value is inside a JSON document (a `string` task's value). Redis commands take
// the bytes whatever the kind; only a JSON writer tells them apart.
enum class JsonKind : std::uint8_t {
  kString,    // a JSON string of the bytes: text, dates, arrays, NaN, everything untyped
  kNumber,    // the bytes are a finite JSON number as Postgres printed it (integers, numeric, floats)
  kBoolean,   // the bytes are "1" or "0": JSON true or false
  kDocument,  // the bytes are a JSON text (a json or jsonb column), embedded as it is
};

// What one column of one row becomes in Redis.
struct RedisValue {
  std::string bytes;     // written to Redis as is (binary-safe; "" for SQL NULL)
  bool is_null = false;  // SQL NULL: a hash writer may omit the field instead of ""
  JsonKind json = JsonKind::kString;  // how append_json_value writes it
};

// Appends `value` to a JSON document being built: null for SQL NULL, else by its JsonKind
// (a RowConverter of a task with `json_values: text` leaves every value a kString).
void append_json_value(std::string& out, const RedisValue& value);

// Converts a text-format value (std::nullopt = SQL NULL) of a column of type `type`.
// kInvalidArgument, naming the type, when the text cannot be what Postgres prints for
// that type under session_settings_sql() (bad bytea hex, malformed array, ...).
// Types without a rule of their own (enums, domains, money, geometric, ...) pass as is.
Result<RedisValue> to_redis_value(TypeOid type, std::optional<std::string_view> text);

// Arrays of types that are not built in (enum[], a domain's array) have OIDs known only
// to the server: look up pg_type.typelem for the column's type and convert with this,
// which applies the array rule with the element type's rule.
Result<RedisValue> array_to_redis_value(TypeOid element_type,
                                        std::optional<std::string_view> text);

// The element type of a built-in array type (1007 int4[] -> 23 int4), if `type` is one.
std::optional<TypeOid> array_element_type(TypeOid type);

// A sorted-set score from an integer, numeric, float, date, timestamp or timestamptz
// column: the shortest plain decimal that parses to the double Redis will store (dates
// and timestamps as Unix epoch seconds with fraction; timestamp without time zone is
// read as UTC). kInvalidArgument, naming the type, for NULL, NaN, or any other type.
Result<std::string> to_sorted_set_score(TypeOid type, std::optional<std::string_view> text);

// True for the column types to_sorted_set_score accepts (for checking a task's config).
bool can_be_sorted_set_score(TypeOid type);

// date, timestamp or timestamptz: the column types `lookback` and the lag metric work with.
bool is_time_type(TypeOid type);

// Postgres' name of a built-in type ("int4", "timestamptz", "int4[]"), or "oid 12345".
std::string type_name(TypeOid type);

}  // namespace courier::pg_to_redis
