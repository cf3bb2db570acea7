#include "pg/replication_stream.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

#include "pg/detail/libpq_connection.h"
#include "pg/detail/pg_result.h"
#include "pg/identifier.h"

namespace courier::pg {

ReplicationStream::ReplicationStream(std::unique_ptr<detail::LibpqConnection> link)
    : link_(std::move(link)) {}

ReplicationStream::~ReplicationStream() {
  if (buffer_) PQfreemem(buffer_);
}

Result<std::unique_ptr<ReplicationStream>> ReplicationStream::open(ConnectionOptions options) {
  options.extra_parameters.emplace_back("replication", "database");
  auto link = std::make_unique<detail::LibpqConnection>(std::move(options));
  if (Status connected = link->connect(); !connected.ok()) return connected;
  return std::unique_ptr<ReplicationStream>(new ReplicationStream(std::move(link)));
}

Status ReplicationStream::lost(std::string_view what) const {
  return Status(StatusCode::kUnavailable, "replication stream from " +
                                              link_->options().describe() + ": " +
                                              std::string(what));
}

Result<CreatedSlot> ReplicationStream::create_slot(std::string_view name, SlotOptions options) {
  if (streaming_)
    return Status(StatusCode::kFailedPrecondition, "the stream has started; open another");
  auto quoted = quote_identifier(name);
  if (!quoted.ok()) return quoted.status();
  const std::string sql = "CREATE_REPLICATION_SLOT " + *quoted +
                          (options.temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput (SNAPSHOT " +
                          (options.export_snapshot ? "'export'" : "'nothing'") + ")";
  detail::PgResult result(PQexec(link_->raw(), sql.c_str()));
  if (result.status() != PGRES_TUPLES_OK) return link_->error_from_result(result);
  CreatedSlot slot;
  slot.name = PQgetvalue(result.raw(), 0, 0);
  auto point = parse_lsn(PQgetvalue(result.raw(), 0, 1));
  if (!point.ok()) return point.status();
  slot.consistent_point = *point;
  if (!PQgetisnull(result.raw(), 0, 2)) slot.snapshot = PQgetvalue(result.raw(), 0, 2);
  return slot;
}

Status ReplicationStream::execute_script(std::string_view sql) {
  if (streaming_) return Status(StatusCode::kFailedPrecondition, "the stream has started");
  const std::string text(sql);
  detail::PgResult result(PQexec(link_->raw(), text.c_str()));
  const ExecStatusType status = result.status();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return link_->error_from_result(result);
  return Status::Ok();
}

Status ReplicationStream::start(std::string_view slot, Lsn from,
                                const std::vector<std::string>& publications) {
  if (streaming_) return Status(StatusCode::kFailedPrecondition, "the stream has started");
  auto quoted_slot = quote_identifier(slot);
  if (!quoted_slot.ok()) return quoted_slot.status();
  std::string names;
  for (const std::string& publication : publications) {
    auto quoted = quote_identifier(publication);
    if (!quoted.ok()) return quoted.status();
    names += (names.empty() ? "" : ",") + *quoted;
  }
  char* names_literal = PQescapeLiteral(link_->raw(), names.data(), names.size());
  if (names_literal == nullptr)
    return link_->error_from_connection("quoting the publication names");
  const std::string sql = "START_REPLICATION SLOT " + *quoted_slot + " LOGICAL " +
                          format_lsn(from) + " (proto_version '1', publication_names " +
                          names_literal + ", messages 'true')";
  PQfreemem(names_literal);
  detail::PgResult result(PQexec(link_->raw(), sql.c_str()));
  if (result.status() != PGRES_COPY_BOTH) return link_->error_from_result(result);
  streaming_ = true;
  confirmed_ = {.write = from, .flush = from, .apply = from};
  return Status::Ok();
}

Result<std::optional<ReplicationMessage>> ReplicationStream::next(
    std::chrono::milliseconds timeout) {
  if (!streaming_) return Status(StatusCode::kFailedPrecondition, "start() the stream first");
  if (buffer_) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PGconn* conn = link_->raw();
  for (;;) {
    const int length = PQgetCopyData(conn, &buffer_, /*async=*/1);
    if (length > 0) {
      auto message = parse_replication_message(std::string_view(buffer_, length));
      if (!message.ok()) return message.status();
      if (auto* keepalive = std::get_if<PrimaryKeepalive>(&*message);
          keepalive && keepalive->reply_requested) {
        if (Status replied = send_status(false); !replied.ok()) return replied;
      }
      return std::optional<ReplicationMessage>(*message);
    }
    if (length == -1) {
      streaming_ = false;
      detail::PgResult ended(PQgetResult(conn));
      Status why = ended && ended.status() != PGRES_COMMAND_OK
                       ? link_->error_from_result(ended)
                       : Status(StatusCode::kUnavailable, "the server ended the stream");
      return lost(why.message());
    }
    if (length == -2) {
      streaming_ = false;
      return lost(link_->error_from_connection("reading").message());
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<ReplicationMessage>();
    pollfd socket{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    if (::poll(&socket, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
      return lost("waiting for the server failed");
    if (PQconsumeInput(conn) != 1) {
      streaming_ = false;
      return lost(link_->error_from_connection("reading").message());
    }
  }
}

Status ReplicationStream::confirm(const StandbyPositions& positions) {
  confirmed_ = positions;
  return send_status(false);
}

Status ReplicationStream::send_status(bool reply_requested) {
  if (!streaming_) return Status(StatusCode::kFailedPrecondition, "start() the stream first");
  const std::string update = standby_status_update(
      confirmed_, to_pg_micros(std::chrono::system_clock::now()), reply_requested);
  PGconn* conn = link_->raw();
  if (PQputCopyData(conn, update.data(), static_cast<int>(update.size())) != 1 ||
      PQflush(conn) != 0) {
    streaming_ = false;
    return lost(link_->error_from_connection("sending the standby status").message());
  }
  return Status::Ok();
}

}  // namespace courier::pg
