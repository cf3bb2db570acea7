#include "pg/result.h"

#include "pg/detail/pg_result.h"
#include "text/integer.h"

namespace courier::pg {
namespace {

std::optional<int> find_column(const PGresult* result, std::string_view name) {
  int columns = PQnfields(result);
  for (int column = 0; column < columns; ++column) {
    if (name == PQfname(result, column)) return column;
  }
  return std::nullopt;
}

std::optional<std::string_view> cell(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return std::string_view(PQgetvalue(result, row, column), PQgetlength(result, row, column));
}

std::string_view name_of(const PGresult* result, int column) {
  const char* name = PQfname(result, column);
  return name ? std::string_view(name) : std::string_view();
}

}  // namespace

int Row::column_count() const {
  return PQnfields(result_->raw());
}
std::string_view Row::column_name(int column) const {
  return name_of(result_->raw(), column);
}
std::optional<int> Row::column_index(std::string_view name) const {
  return find_column(result_->raw(), name);
}
bool Row::is_null(int column) const {
  return PQgetisnull(result_->raw(), row_, column);
}
std::optional<std::string_view> Row::get(int column) const {
  return cell(result_->raw(), row_, column);
}

QueryResult::QueryResult(std::shared_ptr<const detail::PgResult> result)
    : result_(std::move(result)) {}

int QueryResult::row_count() const {
  return PQntuples(result_->raw());
}
int QueryResult::column_count() const {
  return PQnfields(result_->raw());
}
std::string_view QueryResult::column_name(int column) const {
  return name_of(result_->raw(), column);
}
std::optional<int> QueryResult::column_index(std::string_view name) const {
  return find_column(result_->raw(), name);
}
TypeOid QueryResult::column_type(int column) const {
  return PQftype(result_->raw(), column);
}
bool QueryResult::is_null(int row, int column) const {
  return PQgetisnull(result_->raw(), row, column);
}
std::optional<std::string_view> QueryResult::get(int row, int column) const {
  return cell(result_->raw(), row, column);
}

std::string_view QueryResult::command_tag() const {
  return PQcmdStatus(result_->raw());
}

int64_t QueryResult::affected_rows() const {
  // "" for a command that reports no count.
  return text::parse_integer(std::string_view(PQcmdTuples(result_->raw()))).value_or(0);
}

}  // namespace courier::pg
