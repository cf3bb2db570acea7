// WalChangeSource: the row changes of a logical replication slot as the core's
// StreamSource, for a StreamingCoordinator. receive() reads the stream (pgoutput, decoded
// into row changes shaped like query results) and hands out each change and, after the
// changes of a transaction, its kCommit; ack() marks them done, and the slot's confirmed
// flush LSN moves to a transaction's end only once it and everything before it are acked
// — so a crash, a lost connection or a nack never loses a change: the next stream starts
// from the confirmed LSN and delivers again what was not confirmed.
//
//   WalChangeSource source(pg_options, {.slot = "courier", .publications = {"courier"}});
//   StreamingCoordinator<pg::RowChange> capture(source_ptr, applier, {.workers = 1});
//
// A standby status update goes out every status_interval (and whenever the server asks),
// from the reading loop, so a slow apply never lets wal_sender_timeout drop the stream;
// on a quiet database a heartbeat message keeps the slot moving (options.heartbeat).
// Changes are delivered in commit order; use one worker to apply them in that order.
//
// Thread-safety: receive() from one thread at a time; ack(), nack() and close() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "courier/clock.h"
#include "courier/source.h"
#include "pg/connection.h"
#include "pg/connection_options.h"
#include "pg/replication_stream.h"
#include "pg/row_changes.h"

namespace courier::pg_to_redis {

struct WalChangeSourceOptions {
  std::string slot = "courier";  // must exist (created with the snapshot)
  std::vector<std::string> publications{"courier"};
  std::chrono::milliseconds status_interval{1000};
  // Where to start when nothing was confirmed by this source yet; 0: the slot's own
  // confirmed_flush_lsn (the server's choice).
  pg::Lsn start_from = 0;
  // After this long without a change, a transactional pg_logical_emit_message (prefix
  // "courier") is written on a plain connection: it comes back through the slot as a
  // message and a commit, and acking them moves the slot over WAL that only unpublished
  // tables wrote — which would otherwise stay pinned. Zero: never.
  std::chrono::milliseconds heartbeat{30'000};
  // Never confirm beyond this LSN (0: no limit). While a task added to the file is being
  // copied, the other tasks stream, and the slot must keep the WAL the new task will read
  // from its snapshot's point on; the others skip what they applied when it comes again.
  pg::Lsn confirm_limit = 0;
};

class WalChangeSource final : public StreamSource<pg::RowChange> {
 public:
  WalChangeSource(pg::ConnectionOptions postgres, WalChangeSourceOptions options);

  Result<std::vector<pg::RowChange>> receive(size_t max_records, Duration max_wait,
                                             std::stop_token stop) override;
  Status ack(std::span<const pg::RowChange> handled) override;
  // The stream is ended and started again from the confirmed LSN: what was not confirmed
  // (including `failed`) is delivered again.
  Status nack(std::span<const pg::RowChange> failed, const Status& reason) override;
  void close() override { closed_ = true; }

  // The flush LSN confirmed to the server (or to be, at the next status update).
  pg::Lsn confirmed_flush() const;

 private:
  // A delivered change or commit, in delivery order, until it and all before it are acked.
  struct InHand {
    pg::Lsn commit_lsn = 0;
    uint32_t position = 0;
    pg::Lsn end_lsn = 0;  // a commit's: the flush LSN once it is confirmed
    bool acked = false;
  };

  Status connect();
  void disconnect();
  Status send_status_if_due(bool force);
  void send_heartbeat_if_due();

  pg::ConnectionOptions postgres_;
  WalChangeSourceOptions options_;
  std::atomic<bool> closed_{false};

  // Used by receive() only.
  std::unique_ptr<pg::ReplicationStream> stream_;
  pg::RowChangeDecoder decoder_;
  std::chrono::steady_clock::time_point last_status_{};
  pg::Lsn last_sent_flush_ = 0;
  std::chrono::steady_clock::time_point last_data_{};  // the last XLogData, or heartbeat sent
  std::unique_ptr<pg::Connection> heartbeat_session_;  // a plain connection, opened when due

  mutable std::mutex mutex_;  // guards what ack() and nack() touch
  std::deque<InHand> in_hand_;
  pg::Lsn flush_ = 0;
  bool restart_ = false;  // a nack: start again from flush_
};

}  // namespace courier::pg_to_redis
