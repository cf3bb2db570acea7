// The configuration examples of Red Courier's README (shared seeds/red-courier.md),
// verbatim: configs written for Red Courier must load unchanged, and the config and
// table-sync tests both check that.
#pragma once

#include <string_view>

namespace courier::testing {

// "Configuration" in Red Courier's README.
constexpr std::string_view kReadmeConfig = R"(postgres:
  host: localhost
  port: 5432
  user: postgres
  password: secret
  dbname: ecommerce
  sslmode: disable

redis:
  addr: localhost:6379
  password: ""
  db: 0

tasks:
  - name: recent_orders
    table: orders
    structure: map
    key: id
    value: status
    schedule: "@every 30s"
    tracking:
      column: updated_at
      operator: ">"
      last_value_key: checkpoint:recent_orders
)";

// "Example Use Case" in Red Courier's README.
constexpr std::string_view kReadmeStreamTask = R"(tasks:
  - name: order_stream
    table: orders
    alias: order:stream
    structure: stream
    fields: [id, status, total_amount, created_at]
    column_map:
      total_amount: amount
    schedule: "@every 10s"
    tracking:
      column: created_at
      operator: ">"
      last_value_key: checkpoint:order_stream
)";

}  // namespace courier::testing
