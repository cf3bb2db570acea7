// ReplicationStream: a logical-replication connection (libpq, `replication=database`):
// create a pgoutput slot with an exported snapshot, start streaming from an LSN, read the
// stream's messages with a timeout, and report what has been applied (standby status).
// Only the simple query protocol works on such a connection, so it is not a Session.
//
//   auto stream = courier::pg::ReplicationStream::open(options);
//   auto slot = (*stream)->create_slot("courier");     // snapshot to copy the tables in
//   (*stream)->start("courier", slot->consistent_point, {"courier"});
//   while (running) {
//     auto message = (*stream)->next(1s);                // nullopt: nothing within 1 s
//     if (!message.ok()) return message.status();        // kUnavailable: reconnect
//     ...                                                // XLogData → decode_pgoutput
//     (*stream)->confirm({.write = done, .flush = done, .apply = done});
//   }
//
// A keepalive that asks for a reply is answered inside next() with the last positions
// confirmed, so the server never drops a reader that is busy elsewhere for longer than
// wal_sender_timeout as long as next() is called.
//
// Thread-safety: none; one thread owns a stream.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"
#include "pg/connection_options.h"
#include "pg/replication_messages.h"

namespace courier::pg {

namespace detail {
class LibpqConnection;
}

struct CreatedSlot {
  std::string name;
  Lsn consistent_point = 0;  // stream from here: changes after the snapshot
  std::string snapshot;      // SET TRANSACTION SNAPSHOT '…' on another connection, before
                             // this stream runs its next command; empty if not exported
};

class ReplicationStream {
 public:
  // Connects with replication=database added to `options`.
  static Result<std::unique_ptr<ReplicationStream>> open(ConnectionOptions options);
  ~ReplicationStream();
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  struct SlotOptions {
    bool export_snapshot = true;
    // Dropped by the server when this connection ends (or on error): a slot made only for
    // its snapshot and consistent point, e.g. to copy one table exactly.
    bool temporary = false;
  };
  // CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput, exporting a snapshot if asked.
  Result<CreatedSlot> create_slot(std::string_view name, SlotOptions options);
  Result<CreatedSlot> create_slot(std::string_view name) { return create_slot(name, {}); }
  // Runs plain SQL on the connection before the stream starts (simple query protocol),
  // e.g. SET commands: the values pgoutput prints are formatted under this session's
  // settings (TimeZone, DateStyle, extra_float_digits, bytea_output, ...).
  Status execute_script(std::string_view sql);
  // START_REPLICATION SLOT name LOGICAL from (pgoutput protocol 1, the publications,
  // logical messages included). Changes committed at or before `from` are not sent again.
  Status start(std::string_view slot, Lsn from, const std::vector<std::string>& publications);

  // The next message within `timeout`; nullopt when none came. XLogData's payload views
  // this stream's buffer: valid until the next call. kUnavailable when the connection is
  // lost or the server ended the stream (its error in the message).
  Result<std::optional<ReplicationMessage>> next(std::chrono::milliseconds timeout);

  // Sends a standby status update now and keeps `positions` for keepalive replies. The
  // flush LSN becomes the slot's confirmed_flush_lsn.
  Status confirm(const StandbyPositions& positions);
  const StandbyPositions& confirmed() const { return confirmed_; }

 private:
  explicit ReplicationStream(std::unique_ptr<detail::LibpqConnection> link);
  Status send_status(bool reply_requested);
  Status lost(std::string_view what) const;

  std::unique_ptr<detail::LibpqConnection> link_;
  bool streaming_ = false;
  char* buffer_ = nullptr;  // the last CopyData libpq handed out (PQfreemem)
  StandbyPositions confirmed_;
};

}  // namespace courier::pg
