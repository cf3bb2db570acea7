// Connection: one TCP connection to one Redis server, owned RAII: a hiredis context, or
// with options.tls.enabled a TlsStream (OpenSSL) carrying hiredis-encoded commands.
//
//   Result<Connection> conn = Connection::open({.host = "127.0.0.1", .port = 6379});
//   conn->append({"SET", "a", "1"}); conn->append({"GET", "a"});   // buffered
//   conn->flush(); auto set = conn->read_reply(); auto get = conn->read_reply();
//
// open() connects within connect_timeout, then AUTHs and SELECTs as the options say. Every
// later read and write is bounded by socket_timeout (a read awaiting XREAD[GROUP] ... BLOCK n
// by socket_timeout + n, so blocking is not taken for a hung server). Error replies are ordinary
// Reply values here (the caller decides what MOVED or WRONGTYPE mean); I/O failures are Status
// values, and after one the connection is broken for good: every later call fails with the
// same status, and the owner opens a new connection. SIGPIPE is blocked in the writing
// thread while writing, so a server that went away cannot kill the process.
// Thread-safety: one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "courier/status.h"
#include "redis/command.h"
#include "redis/options.h"
#include "redis/reply.h"

namespace courier::redis {

class Connection {
 public:
  // Connects, authenticates and selects the database. kUnavailable (detail "CONNECT",
  // "TIMEOUT", ...) when the server cannot be reached; the AUTH/SELECT error otherwise.
  static Result<Connection> open(const ConnectionOptions& options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Buffers a command; nothing is sent until flush() (or read_reply()).
  Status append(const Command& command);
  // Writes every buffered command to the socket.
  Status flush();
  // The reply to the oldest command whose reply has not been read yet (flushes first).
  Result<Reply> read_reply();
  // Replies to the next `count` commands. After an I/O failure, that entry and every later
  // one carry the failure.
  std::vector<Result<Reply>> read_replies(size_t count);
  // append + flush + read_reply.
  Result<Reply> run(const Command& command);

  // False once an I/O failure happened; the connection cannot be used again.
  bool healthy() const;
  // Commands appended whose replies have not been read.
  size_t pending() const;
  // True when the connection is healthy and holds no unread replies: safe to hand out.
  bool idle() const { return healthy() && pending() == 0; }
  // "host:port" of the server.
  const std::string& address() const;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  Status handshake(const Command& command, std::string_view description);

  std::unique_ptr<Impl> impl_;
};

}  // namespace courier::redis
