#include "pg_to_redis/row_parking.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

namespace courier::pg_to_redis {
namespace {

// A row's values by name; nullopt for NULL.
using NamedValues = std::vector<std::pair<std::string, std::optional<std::string_view>>>;

// A JSON object of the row's values (null for NULL); invalid UTF-8 is replaced.
std::string row_json(const NamedValues& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : values)
    object[name] = value ? nlohmann::json(*value) : nlohmann::json();
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string source_row_json(const pg::QueryResult& rows, int row) {
  NamedValues values;
  for (int c = 0; c < rows.column_count(); ++c)
    values.emplace_back(std::string(rows.column_name(c)), rows.get(row, c));
  return row_json(values);
}

std::string sync_row_json(const SyncRow& row) {
  NamedValues values;
  for (const auto& [name, value] : row.fields)
    values.emplace_back(
        name, value.is_null ? std::nullopt : std::optional<std::string_view>(value.bytes));
  return row_json(values);
}

DeadLetter RowParking::letter(std::string primary_key, std::string reason, StatusCode code,
                              std::string detail, std::string payload) const {
  const auto now = std::chrono::system_clock::now();
  return DeadLetter{.payload = std::move(payload),
                    .error = std::move(reason),
                    .error_code = std::string(status_code_name(code)),
                    .error_detail = std::move(detail),
                    .first_failure = now,
                    .last_failure = now,
                    .metadata = {{"task", task_.name},
                                 {"table", task_.table.qualified()},
                                 {"primary_key", std::move(primary_key)}}};
}

Status RowParking::park(std::vector<DeadLetter> letters) {
  if (letters.empty()) return Status::Ok();
  Result<std::vector<std::string>> sent = store_.send(letters);
  if (!sent.ok()) {
    return Status(sent.status().code(),
                  "task '" + task_.name + "': " + std::to_string(letters.size()) +
                      " row(s) could not be parked, so the checkpoint stays before them: " +
                      sent.status().message(),
                  sent.status().detail());
  }
  for (const DeadLetter& letter : letters) {
    spdlog::warn("task {}: row {} of {} not written, dead-lettered to {}: {}", task_.name,
                 letter.metadata.at("primary_key"), task_.table.qualified(),
                 task_.dead_letter_key(), letter.error);
  }
  return Status::Ok();
}

}  // namespace courier::pg_to_redis
