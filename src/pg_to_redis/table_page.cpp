#include "pg_to_redis/table_page.h"

#include <cstdlib>
#include <utility>

#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {

PageConverter::PageConverter(const TaskConfig& task, TaskSession& session)
    : task_(task), session_(session) {}

Result<TablePage> PageConverter::convert(Batch batch) {
  auto page = std::make_shared<TablePageData>(TablePageData{.batch = std::move(batch)});
  const pg::QueryResult& rows = page->batch.rows;
  if (page->batch.empty()) return TablePage(std::move(page));

  if (!converter_ || converter_generation_ != session_.generation()) {
    const TableReader& reader = session_.reader();
    auto made = RowConverter::make(task_, rows, reader.primary_key());
    if (!made.ok()) return made.status();
    converter_ = std::make_shared<const RowConverter>(std::move(*made));
    converter_generation_ = session_.generation();
    tracking_column_.reset();
    if (task_.tracking && task_.tracking->op == TrackingOperator::kGreater) {
      auto index = rows.column_index(reader.query().cursor_columns().front());
      if (index && is_time_type(rows.column_type(*index))) tracking_column_ = index;
    }
  }
  page->converter = converter_;

  ConvertedRows converted = converter_->convert(rows);
  // Without tracking every run reads the whole table, so no checkpoint is kept.
  page->write =
      WriteBatch{std::move(converted.rows),
                 task_.tracking && page->batch.after ? page->batch.after->encode() : std::string()};
  page->source_rows = std::move(converted.source_rows);
  page->problems = std::move(converted.problems);
  if (tracking_column_) {
    auto seconds = to_sorted_set_score(rows.column_type(*tracking_column_),
                                       rows.get(rows.row_count() - 1, *tracking_column_));
    if (seconds.ok()) page->newest_tracked_seconds = std::strtod(seconds->c_str(), nullptr);
  }
  return TablePage(std::move(page));
}

}  // namespace courier::pg_to_redis
