#include "pg_to_redis/changes_config.h"

#include <algorithm>

#include "config/reader.h"
#include "config/scalar_parsers.h"

namespace courier::pg_to_redis {
namespace {

using config::MappingReader;
using config::ValueReader;

bool is_slot_name(const std::string& name) {
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
  return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), allowed);
}

void read_name(MappingReader& section, std::string_view key, std::string& out) {
  std::optional<ValueReader> found = section.value(key);
  if (!found) return;
  std::optional<std::string> name = found->as_string();
  if (!name) return;
  if (!is_slot_name(*name)) {
    found->error("'" + *name +
                 "' is not a usable name; use 1 to 63 lower-case letters, digits and '_'");
    return;
  }
  out = *name;
}

}  // namespace

std::string ChangesConfig::describe() const {
  return "slot '" + slot + "', publication '" + publication + "', status every " +
         config::format_duration(status_interval) + ", heartbeat " +
         (heartbeat.count() > 0 ? config::format_duration(heartbeat) : std::string("off")) +
         ", max_lag " + std::to_string(max_lag_bytes) + " bytes";
}

std::vector<config::ConfigError> read_changes_config(const config::CourierConfig& config,
                                                     ChangesConfig& out) {
  const config::ReservedSection* section = config.reserved_section("changes");
  if (section == nullptr) return {};
  config::ConfigErrors errors;
  config::ReadContext context(errors);
  ValueReader value = config::open_reserved_section(*section, context);
  if (value.is_null()) return {};
  std::optional<MappingReader> root = value.as_mapping();
  if (!root) return errors.sorted();
  read_name(*root, "slot", out.slot);
  read_name(*root, "publication", out.publication);
  out.status_interval = root->duration("status_interval", {std::chrono::milliseconds(100),
                                                           std::chrono::minutes(10)})
                            .value_or(out.status_interval);
  out.heartbeat = root->duration("heartbeat").value_or(out.heartbeat);
  out.max_lag_bytes = root->byte_size("max_lag", 1).value_or(out.max_lag_bytes);
  root->finish();
  return errors.sorted();
}

}  // namespace courier::pg_to_redis
