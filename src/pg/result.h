// QueryResult and Row: the rows a statement returned, in text format, owned by RAII.
// Cell values are views into the result's memory: they live as long as the QueryResult
// (for a Row handed to a streaming callback: until the callback returns).
//
//   auto result = conn.execute("SELECT id, name FROM users WHERE id = $1", {"7"});
//   for (const courier::pg::Row& row : *result)
//     std::cout << row.get(0).value_or("NULL") << "\n";
//
// Thread-safety: a QueryResult is immutable; copies share the same rows and may be read
// from several threads at once. A Row is a view and must not outlive its result.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace courier::pg {

namespace detail {
class PgResult;  // owns a libpq result; defined in pg/detail/pg_result.h
}

// PostgreSQL type OID of a column (23 = int4, 25 = text, 3802 = jsonb, ...).
using TypeOid = uint32_t;

// One row of a result. Column numbers start at 0 and must be below column_count().
class Row {
 public:
  Row(const detail::PgResult& result, int row) : result_(&result), row_(row) {}

  int column_count() const;
  std::string_view column_name(int column) const;
  // The column whose name equals `name` exactly (case-sensitive), if any.
  std::optional<int> column_index(std::string_view name) const;
  bool is_null(int column) const;
  // The cell's text; std::nullopt for SQL NULL.
  std::optional<std::string_view> get(int column) const;
  std::optional<std::string_view> operator[](int column) const { return get(column); }

 private:
  const detail::PgResult* result_;
  int row_;
};

// A column of a result built by QueryResult::from_values.
struct ResultColumn {
  std::string name;
  TypeOid type = 25;  // text
};

class QueryResult {
 public:
  explicit QueryResult(std::shared_ptr<const detail::PgResult> result);

  // A result made without a server (for fakes of pg::Session in tests): the columns, then
  // each row's cells in text form, std::nullopt for NULL. Its command tag is empty.
  static QueryResult from_values(const std::vector<ResultColumn>& columns,
                                 const std::vector<std::vector<std::optional<std::string>>>& rows);

  int row_count() const;
  int column_count() const;
  std::string_view column_name(int column) const;
  std::optional<int> column_index(std::string_view name) const;
  TypeOid column_type(int column) const;
  bool is_null(int row, int column) const;
  std::optional<std::string_view> get(int row, int column) const;
  Row row(int index) const { return Row(*result_, index); }

  // The command tag, e.g. "INSERT 0 3", "UPDATE 2", "SELECT 10", "COPY 5".
  std::string_view command_tag() const;
  // Rows the command inserted, updated, deleted, copied or selected; 0 when the command
  // does not count rows (CREATE TABLE, BEGIN, ...).
  int64_t affected_rows() const;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Row;

    Iterator() = default;
    Iterator(const detail::PgResult* result, int row) : result_(result), row_(row) {}
    Row operator*() const { return Row(*result_, row_); }
    Iterator& operator++() {
      ++row_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++row_;
      return before;
    }
    bool operator==(const Iterator& other) const = default;

   private:
    const detail::PgResult* result_ = nullptr;
    int row_ = 0;
  };
  Iterator begin() const { return Iterator(result_.get(), 0); }
  Iterator end() const { return Iterator(result_.get(), row_count()); }

 private:
  std::shared_ptr<const detail::PgResult> result_;
};

}  // namespace courier::pg
