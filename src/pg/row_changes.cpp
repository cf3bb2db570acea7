#include "pg/row_changes.h"

#include <string>
#include <utility>

namespace courier::pg {
namespace {

Status bad_stream(std::string message) {
  return Status(StatusCode::kInvalidArgument, "replication stream: " + std::move(message));
}

}  // namespace

std::shared_ptr<const Relation> RowChangeDecoder::relation(RelationId id) const {
  auto found = relations_.find(id);
  return found == relations_.end() ? nullptr : found->second;
}

Result<QueryResult> RowChangeDecoder::materialize(const Relation& relation, const Tuple& tuple,
                                                  std::vector<int>& unchanged) const {
  if (tuple.size() != relation.columns.size()) {
    return bad_stream("a row of " + std::to_string(tuple.size()) + " values for table " +
                      relation.schema + "." + relation.name + ", which has " +
                      std::to_string(relation.columns.size()) + " columns");
  }
  std::vector<ResultColumn> columns;
  std::vector<std::optional<std::string>> values;
  columns.reserve(tuple.size());
  values.reserve(tuple.size());
  for (size_t i = 0; i < tuple.size(); ++i) {
    columns.push_back({relation.columns[i].name, relation.columns[i].type});
    switch (tuple[i].kind) {
      case TupleValue::Kind::kText:
        values.emplace_back(tuple[i].data);
        break;
      case TupleValue::Kind::kNull:
        values.emplace_back(std::nullopt);
        break;
      case TupleValue::Kind::kUnchangedToast:
        unchanged.push_back(static_cast<int>(i));
        values.emplace_back(std::nullopt);
        break;
      case TupleValue::Kind::kBinary:
        return bad_stream("a binary value, which Courier does not ask for");
    }
  }
  return QueryResult::from_values(columns, {values});
}

RowChange RowChangeDecoder::next_in_transaction(RowChange::Kind kind) {
  RowChange change;
  change.kind = kind;
  change.commit_lsn = transaction_->final_lsn;
  change.position = next_position_++;
  return change;
}

Result<RowChange> RowChangeDecoder::row_change(RowChange::Kind kind, RelationId id,
                                               const Tuple& tuple, std::vector<int>& unchanged) {
  if (!transaction_) return bad_stream("a row change outside a transaction");
  RowChange change = next_in_transaction(kind);
  change.relation = relation(id);
  if (!change.relation)
    return bad_stream("a change of table " + std::to_string(id) + " before its Relation message");
  auto row = materialize(*change.relation, tuple, unchanged);
  if (!row.ok()) return row.status();
  change.row = std::move(*row);
  return change;
}

Result<std::optional<RowChange>> RowChangeDecoder::decode(const PgOutputMessage& message) {
  using Decoded = Result<std::optional<RowChange>>;
  return std::visit(
      [this](const auto& m) -> Decoded {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Begin>) {
          transaction_ = m;
          next_position_ = 0;
          return std::optional<RowChange>();
        } else if constexpr (std::is_same_v<T, Commit>) {
          if (!transaction_) return bad_stream("a Commit without its Begin");
          RowChange commit;
          commit.kind = RowChange::Kind::kCommit;
          commit.commit_lsn = m.commit_lsn;
          commit.end_lsn = m.end_lsn;
          commit.position = next_position_;
          transaction_.reset();
          return std::optional<RowChange>(std::move(commit));
        } else if constexpr (std::is_same_v<T, Relation>) {
          relations_[m.id] = std::make_shared<const Relation>(m);
          return std::optional<RowChange>();
        } else if constexpr (std::is_same_v<T, RowInsert>) {
          std::vector<int> unchanged;
          auto change = row_change(RowChange::Kind::kInsert, m.relation, m.new_row, unchanged);
          if (!change.ok()) return change.status();
          if (!unchanged.empty())
            return bad_stream("an unchanged TOAST value where a whole row was due");
          return std::optional<RowChange>(std::move(*change));
        } else if constexpr (std::is_same_v<T, RowUpdate>) {
          std::vector<int> unchanged;
          auto change = row_change(RowChange::Kind::kUpdate, m.relation, m.new_row, unchanged);
          if (!change.ok()) return change.status();
          change->unchanged = std::move(unchanged);
          change->old_kind = m.old_kind;
          if (m.old_kind != OldRow::kNone) {
            std::vector<int> old_unchanged;  // FULL identity still leaves TOAST out
            auto old_row = materialize(*change->relation, m.old_row, old_unchanged);
            if (!old_row.ok()) return old_row.status();
            change->old_row = std::move(*old_row);
          }
          return std::optional<RowChange>(std::move(*change));
        } else if constexpr (std::is_same_v<T, RowDelete>) {
          std::vector<int> old_unchanged;
          auto change = row_change(RowChange::Kind::kDelete, m.relation, m.old_row, old_unchanged);
          if (!change.ok()) return change.status();
          change->old_kind = m.old_kind;
          return std::optional<RowChange>(std::move(*change));
        } else if constexpr (std::is_same_v<T, Truncate>) {
          if (!transaction_) return bad_stream("a TRUNCATE outside a transaction");
          RowChange change = next_in_transaction(RowChange::Kind::kTruncate);
          for (RelationId id : m.relations) {
            auto truncated = relation(id);
            if (!truncated)
              return bad_stream("a TRUNCATE of table " + std::to_string(id) +
                                " before its Relation message");
            change.truncated.push_back(std::move(truncated));
          }
          return std::optional<RowChange>(std::move(change));
        } else if constexpr (std::is_same_v<T, LogicalMessage>) {
          RowChange change = m.transactional && transaction_
                                 ? next_in_transaction(RowChange::Kind::kMessage)
                                 : RowChange{.kind = RowChange::Kind::kMessage};
          change.message = m;
          return std::optional<RowChange>(std::move(change));
        } else {
          return std::optional<RowChange>();  // Origin, Type: nothing to do
        }
      },
      message);
}

}  // namespace courier::pg
