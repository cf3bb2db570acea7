#include "pg/result.h"

#include <new>

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

QueryResult QueryResult::from_values(
    const std::vector<ResultColumn>& columns,
    const std::vector<std::vector<std::optional<std::string>>>& rows) {
  // libpq builds client-side results too (PQmakeEmptyPGresult and friends); the copy of
  // every name and value lives in the PGresult.
  auto result = std::make_shared<detail::PgResult>(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  if (!*result) throw std::bad_alloc();
  std::vector<PGresAttDesc> attributes(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    attributes[i] = PGresAttDesc{.name = const_cast<char*>(columns[i].name.c_str()),
                                 .tableid = 0,
                                 .columnid = 0,
                                 .format = 0,
                                 .typid = columns[i].type,
                                 .typlen = -1,
                                 .atttypmod = -1};
  }
  if (!PQsetResultAttrs(result->raw(), static_cast<int>(attributes.size()), attributes.data()))
    throw std::bad_alloc();
  for (size_t row = 0; row < rows.size(); ++row) {
    for (size_t column = 0; column < columns.size(); ++column) {
      const auto& value = column < rows[row].size() ? rows[row][column] : std::nullopt;
      // A NULL is a null pointer; an empty string is a zero-length value.
      char* text = value ? const_cast<char*>(value->data()) : nullptr;
      int length = value ? static_cast<int>(value->size()) : -1;
      if (!PQsetvalue(result->raw(), static_cast<int>(row), static_cast<int>(column), text, length))
        throw std::bad_alloc();
    }
  }
  return QueryResult(std::move(result));
}

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
