#include "pg_to_redis/wal_change_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "pg/pgoutput.h"
#include "pg_to_redis/value_format.h"

namespace courier::pg_to_redis {

WalChangeSource::WalChangeSource(pg::ConnectionOptions postgres, WalChangeSourceOptions options)
    : postgres_(std::move(postgres)), options_(std::move(options)), flush_(options_.start_from) {}

pg::Lsn WalChangeSource::confirmed_flush() const {
  std::lock_guard lock(mutex_);
  return flush_;
}

void WalChangeSource::disconnect() {
  stream_.reset();
  decoder_ = pg::RowChangeDecoder();  // a new stream sends every Relation again
  std::lock_guard lock(mutex_);
  in_hand_.clear();  // acks still to come for these are ignored; the changes come again
  restart_ = false;
}

Status WalChangeSource::connect() {
  auto stream = pg::ReplicationStream::open(postgres_);
  if (!stream.ok()) return stream.status();
  // The values of changes are printed as polling reads them: one set of session rules.
  if (Status settings = (*stream)->execute_script(session_settings_sql()); !settings.ok())
    return settings;
  const pg::Lsn from = confirmed_flush();
  if (Status started = (*stream)->start(options_.slot, from, options_.publications);
      !started.ok())
    return started;
  stream_ = std::move(*stream);
  last_status_ = std::chrono::steady_clock::now();
  last_data_ = last_status_;
  last_sent_flush_ = from;
  return Status::Ok();
}

Status WalChangeSource::send_status_if_due(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_status_ < options_.status_interval) return Status::Ok();
  const pg::Lsn flush = confirmed_flush();
  last_status_ = now;
  last_sent_flush_ = flush;
  return stream_->confirm({.write = flush, .flush = flush, .apply = flush});
}

void WalChangeSource::send_heartbeat_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (options_.heartbeat.count() <= 0 || now - last_data_ < options_.heartbeat) return;
  last_data_ = now;  // one try per interval, whatever happens
  if (!heartbeat_session_) {
    auto opened = pg::Connection::open(postgres_);
    if (!opened.ok()) {
      spdlog::warn("change capture: no heartbeat, cannot connect: {}", opened.status().to_string());
      return;
    }
    heartbeat_session_ = std::move(*opened);
  }
  auto sent = heartbeat_session_->execute(
      "SELECT pg_logical_emit_message(true, 'courier', 'heartbeat')");
  if (!sent.ok()) {
    spdlog::warn("change capture: heartbeat failed: {}", sent.status().to_string());
    heartbeat_session_.reset();
  }
}

Result<std::vector<pg::RowChange>> WalChangeSource::receive(size_t max_records, Duration max_wait,
                                                            std::stop_token stop) {
  if (closed_) {
    disconnect();
    return Status(StatusCode::kCancelled, "the change stream is closed");
  }
  bool restart;
  {
    std::lock_guard lock(mutex_);
    restart = restart_;
  }
  if (restart) disconnect();
  if (!stream_) {
    if (Status connected = connect(); !connected.ok()) return connected;
  }
  auto fail = [&](Status error) -> Result<std::vector<pg::RowChange>> {
    disconnect();
    return error;
  };
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  std::vector<pg::RowChange> out;
  while (out.size() < max_records && !stop.stop_requested() && !closed_) {
    if (Status sent = send_status_if_due(confirmed_flush() != last_sent_flush_ && out.empty());
        !sent.ok())
      return fail(sent);
    // Wait for the first change (in slices, so status updates keep going out); after it,
    // take only what has already arrived.
    std::chrono::milliseconds wait{0};
    if (out.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      wait = std::min(left, options_.status_interval);
    }
    auto message = stream_->next(wait);
    if (!message.ok()) return fail(message.status());
    if (!*message) {
      if (!out.empty()) break;
      send_heartbeat_if_due();
      continue;
    }
    const auto* data = std::get_if<pg::XLogData>(&**message);
    if (data == nullptr) {  // a keepalive, answered by the stream
      if (out.empty()) send_heartbeat_if_due();
      continue;
    }
    last_data_ = std::chrono::steady_clock::now();
    auto decoded = pg::decode_pgoutput(data->payload);
    if (!decoded.ok()) return fail(decoded.status());
    auto change = decoder_.decode(*decoded);
    if (!change.ok()) return fail(change.status());
    if (!*change) continue;
    // A message outside a transaction has no commit to confirm: nothing to deliver.
    if ((*change)->kind == pg::RowChange::Kind::kMessage && (*change)->commit_lsn == 0) continue;
    {
      std::lock_guard lock(mutex_);
      in_hand_.push_back({.commit_lsn = (*change)->commit_lsn,
                          .position = (*change)->position,
                          .end_lsn = (*change)->kind == pg::RowChange::Kind::kCommit
                                         ? (*change)->end_lsn
                                         : 0});
    }
    out.push_back(std::move(**change));
  }
  return out;
}

Status WalChangeSource::ack(std::span<const pg::RowChange> handled) {
  std::lock_guard lock(mutex_);
  // Acks come in delivery order, so each search starts where the last one ended: one pass
  // over what is in hand, not one per change.
  auto from = in_hand_.begin();
  for (const pg::RowChange& change : handled) {
    auto matches = [&](const InHand& held) {
      return held.commit_lsn == change.commit_lsn && held.position == change.position;
    };
    auto found = std::find_if(from, in_hand_.end(), matches);
    if (found == in_hand_.end()) {
      found = std::find_if(in_hand_.begin(), from, matches);  // acked out of order
      if (found == from) continue;  // not in hand: from a stream since restarted
    }
    found->acked = true;
    from = std::next(found);
  }
  // The flush LSN moves over whole transactions whose every change is done.
  while (!in_hand_.empty() && in_hand_.front().acked) {
    pg::Lsn end = in_hand_.front().end_lsn;
    if (options_.confirm_limit != 0) end = std::min(end, options_.confirm_limit);
    if (end != 0) flush_ = std::max(flush_, end);
    in_hand_.pop_front();
  }
  return Status::Ok();
}

Status WalChangeSource::nack(std::span<const pg::RowChange>, const Status&) {
  std::lock_guard lock(mutex_);
  restart_ = true;
  return Status::Ok();
}

}  // namespace courier::pg_to_redis
