#include "redis/connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include "redis/errors.h"
#include "redis/tls_stream.h"
#include "text/integer.h"

namespace courier::redis {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
using ReaderPtr = std::unique_ptr<redisReader, ReaderDeleter>;

timeval to_timeval(std::chrono::milliseconds timeout) {
  return timeval{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

// How long the server may hold the reply to `command` on purpose: the BLOCK argument of
// XREAD / XREADGROUP, in milliseconds (0: none, or BLOCK 0, which waits without end).
std::chrono::milliseconds server_side_wait(const Command& command) {
  for (size_t i = 1; i + 1 < command.size(); ++i) {
    if (command[i].size() != 5 || strcasecmp(command[i].c_str(), "BLOCK") != 0) continue;
    std::optional<std::int64_t> ms =
        text::parse_integer(command[i + 1], {.signs = text::Signs::kPlusMinus});
    return std::chrono::milliseconds(ms && *ms > 0 ? *ms : 0);
  }
  return std::chrono::milliseconds(0);
}

Reply to_reply(const redisReply& raw) {
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      return Reply::from_string(std::string(raw.str, raw.len));
    case REDIS_REPLY_STATUS:
      return Reply::from_status(std::string(raw.str, raw.len));
    case REDIS_REPLY_ERROR:
      return Reply::from_error(std::string(raw.str, raw.len));
    case REDIS_REPLY_INTEGER:
      return Reply::from_integer(raw.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) elements.push_back(to_reply(*raw.element[i]));
      return Reply::from_array(std::move(elements));
    }
    default:
      return Reply::nil();
  }
}

// OpenSSL writes with write(2): a peer that has gone away raises SIGPIPE, which would kill
// the process. Block it in this thread while writing and swallow one it caused (as libpq
// does), leaving the process-wide disposition alone. (Plain TCP writes use send(2) with
// MSG_NOSIGNAL instead: four system calls fewer per flush.)
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
    was_pending_ = sigpipe_pending();
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_ && sigpipe_pending()) {
      timespec no_wait{0, 0};
      sigtimedwait(&sigpipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  static bool sigpipe_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }
  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_pending_ = false;
};

redisContext* connect_context(const ConnectionOptions& options) {
  if (options.connect_timeout.count() == 0) return redisConnect(options.host.c_str(), options.port);
  return redisConnectWithTimeout(options.host.c_str(), options.port,
                                 to_timeval(options.connect_timeout));
}

// Appends `command` to `out` as a RESP array of bulk strings.
void append_resp(std::string& out, const Command& command) {
  auto append_header = [&out](char kind, size_t count) {
    char digits[24];
    char* end = std::to_chars(digits, digits + sizeof(digits), count).ptr;
    out += kind;
    out.append(digits, static_cast<size_t>(end - digits));
    out += "\r\n";
  };
  append_header('*', command.size());
  for (const std::string& arg : command) {
    append_header('$', arg.size());
    out += arg;
    out += "\r\n";
  }
}

// hiredis has no TLS: over TLS, hiredis only parses RESP (its reader) while TlsStream moves
// the bytes. Plain connections keep hiredis' own socket, the fastest path.
struct TlsChannel {
  TlsStream stream;
  ReaderPtr reader;
  std::vector<char> input = std::vector<char>(16 * 1024);
};

}  // namespace

struct Connection::Impl {
  ContextPtr context;             // plain TCP; null over TLS or once failed
  std::optional<TlsChannel> tls;  // TLS; empty on plain TCP or once failed
  std::string address;
  std::chrono::milliseconds socket_timeout{0};
  // Longest BLOCK among the commands whose replies are unread: reads wait that much
  // longer than socket_timeout, so a blocking read is not mistaken for a hung server.
  std::chrono::milliseconds blocked_for{0};
  std::chrono::milliseconds read_timeout{0};  // what the socket is set to now
  size_t pending = 0;
  bool unflushed = false;
  std::optional<Status> failure;  // set by the first I/O failure; the context is gone then
  std::string output;             // commands appended in RESP, not yet written

  // Records the context's error (errno as it was right after the failing call) and closes
  // the socket.
  Status fail(std::string_view operation, int saved_errno) {
    IoFailure kind = IoFailure::kIo;
    std::string reason = context ? context->errstr : "connection closed";
    if (context && context->err == REDIS_ERR_EOF) {
      kind = IoFailure::kEof;
      reason = "the server closed the connection";
    } else if (context && context->err == REDIS_ERR_PROTOCOL) {
      kind = IoFailure::kProtocol;
    } else if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
      kind = IoFailure::kTimeout;  // the other fail() words it
    }
    return fail(operation, IoError{kind, std::move(reason)});
  }

  Status fail(std::string_view operation, IoError error) {
    if (error.kind == IoFailure::kTimeout)
      error.reason = "timed out after " + std::to_string(read_timeout.count()) + " ms";
    failure =
        status_from_io_failure(error.kind, "redis " + address + ": " + std::string(operation) +
                                               " failed: " + error.reason);
    context.reset();
    tls.reset();
    return *failure;
  }

  // Commands are encoded here rather than by hiredis's formatter, whose printf-style
  // building and allocations per argument showed in profiles of pipelined batches.
  // Written by Courier on both transports (hiredis only reads replies): on plain TCP
  // hiredis's own writes would need SIGPIPE blocked around each one.
  void append_command(const Command& command) { append_resp(output, command); }

  Status write_buffered() {
    if (tls) {
      ScopedSigpipeBlock sigpipe_block;
      if (std::optional<IoError> error = tls->stream.write_all(output))
        return fail("write", std::move(*error));
      output.clear();
      return Status::Ok();
    }
    for (size_t sent = 0; sent < output.size();) {
      ssize_t wrote = ::send(context->fd, output.data() + sent, output.size() - sent, MSG_NOSIGNAL);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote < 0) {
        int saved_errno = errno;
        bool timed_out = saved_errno == EAGAIN || saved_errno == EWOULDBLOCK;
        return fail("write", IoError{timed_out ? IoFailure::kTimeout : IoFailure::kIo,
                                     std::strerror(saved_errno)});
      }
      sent += static_cast<size_t>(wrote);
    }
    output.clear();
    return Status::Ok();
  }

  Result<ReplyPtr> next_reply() {
    void* raw = nullptr;
    if (!tls) {
      if (redisGetReply(context.get(), &raw) != REDIS_OK) {
        int saved_errno = errno;
        return fail("read", saved_errno);
      }
      return ReplyPtr(static_cast<redisReply*>(raw));
    }
    while (true) {
      if (redisReaderGetReply(tls->reader.get(), &raw) != REDIS_OK)
        return fail("read", IoError{IoFailure::kProtocol, tls->reader->errstr});
      if (raw) return ReplyPtr(static_cast<redisReply*>(raw));
      std::variant<size_t, IoError> got =
          tls->stream.read_some(tls->input.data(), tls->input.size());
      if (IoError* error = std::get_if<IoError>(&got)) return fail("read", std::move(*error));
      redisReaderFeed(tls->reader.get(), tls->input.data(), std::get<size_t>(got));
    }
  }

  static Result<std::unique_ptr<Impl>> open_plain(const ConnectionOptions& options) {
    std::string address = options.address().to_string();
    ContextPtr context(connect_context(options));
    if (!context || context->err) {
      std::string reason = context ? context->errstr : "out of memory";
      return status_from_io_failure(IoFailure::kConnect,
                                    "redis " + address + ": cannot connect: " + reason +
                                        " (is the server running and reachable?)");
    }
    // Always set: a zero timeout clears whatever the connect left on the socket.
    if (redisSetTimeout(context.get(), to_timeval(options.socket_timeout)) != REDIS_OK) {
      return status_from_io_failure(
          IoFailure::kIo,
          "redis " + address + ": cannot set the socket timeout: " + context->errstr);
    }
    redisEnableKeepAlive(context.get());  // best effort: only detects dead peers sooner
    auto impl = std::make_unique<Impl>();
    impl->context = std::move(context);
    impl->address = std::move(address);
    return impl;
  }

  static Result<std::unique_ptr<Impl>> open_tls(const ConnectionOptions& options) {
    Result<TlsStream> stream = TlsStream::open(options);
    if (!stream.ok()) return stream.status();
    ReaderPtr reader(redisReaderCreate());
    if (!reader) return Status(StatusCode::kInternal, "redis: out of memory for a reply reader");
    auto impl = std::make_unique<Impl>();
    impl->tls.emplace(TlsChannel{.stream = std::move(*stream), .reader = std::move(reader)});
    impl->address = options.address().to_string();
    return impl;
  }

  // Sets the socket's timeout for the next read: socket_timeout, plus the longest BLOCK
  // pending. 0 (no timeout) stays 0.
  Status fit_read_timeout() {
    std::chrono::milliseconds wanted =
        socket_timeout.count() == 0 ? socket_timeout : socket_timeout + blocked_for;
    if (wanted == read_timeout) return Status::Ok();
    if (tls) {
      if (std::optional<IoError> error = tls->stream.set_timeout(wanted))
        return fail("setting the read timeout", std::move(*error));
    } else if (redisSetTimeout(context.get(), to_timeval(wanted)) != REDIS_OK) {
      return fail("setting the read timeout", errno);
    }
    read_timeout = wanted;
    return Status::Ok();
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<Connection> Connection::open(const ConnectionOptions& options) {
  Result<std::unique_ptr<Impl>> opened =
      options.tls.enabled ? Impl::open_tls(options) : Impl::open_plain(options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Impl> impl = std::move(*opened);
  impl->socket_timeout = options.socket_timeout;
  impl->read_timeout = options.socket_timeout;
  Connection connection(std::move(impl));

  if (!options.password.empty()) {
    Command auth = options.username.empty() ? Command{"AUTH", options.password}
                                            : Command{"AUTH", options.username, options.password};
    std::string who = options.username.empty() ? "" : " as user '" + options.username + "'";
    Status status = connection.handshake(auth, "AUTH" + who);
    if (!status.ok()) return status;
  }
  if (options.db != 0) {
    Status status = connection.handshake({"SELECT", std::to_string(options.db)},
                                         "SELECT " + std::to_string(options.db));
    if (!status.ok()) return status;
  }
  return connection;
}

Status Connection::handshake(const Command& command, std::string_view description) {
  Result<Reply> reply = run(command);
  if (!reply.ok()) return reply.status();
  if (!reply->is_error()) return Status::Ok();
  // The command itself is not in the message: it may hold a password.
  Status status = status_from_error_reply(
      reply->str(), "redis " + address() + ": " + std::string(description) + " failed");
  return Status(status.code(), status.message() + " (check the connection settings of this server)",
                status.detail());
}

Status Connection::append(const Command& command) {
  if (impl_->failure) return *impl_->failure;
  impl_->append_command(command);
  ++impl_->pending;
  impl_->blocked_for = std::max(impl_->blocked_for, server_side_wait(command));
  impl_->unflushed = true;
  return Status::Ok();
}

Status Connection::flush() {
  if (impl_->failure) return *impl_->failure;
  if (!impl_->unflushed) return Status::Ok();
  if (Status written = impl_->write_buffered(); !written.ok()) return written;
  impl_->unflushed = false;
  return Status::Ok();
}

Result<Reply> Connection::read_reply() {
  if (impl_->failure) return *impl_->failure;
  if (impl_->pending == 0)
    return Status(StatusCode::kInternal, "redis " + address() + ": read with no command pending");
  if (Status flushed = flush(); !flushed.ok()) return flushed;
  if (Status fitted = impl_->fit_read_timeout(); !fitted.ok()) return fitted;
  Result<ReplyPtr> reply = impl_->next_reply();
  if (!reply.ok()) return reply.status();
  if (--impl_->pending == 0) impl_->blocked_for = std::chrono::milliseconds(0);
  return to_reply(**reply);
}

std::vector<Result<Reply>> Connection::read_replies(size_t count) {
  std::vector<Result<Reply>> replies;
  replies.reserve(count);
  while (replies.size() < count) {
    Result<Reply> reply = read_reply();
    if (!reply.ok()) {
      replies.resize(count, reply.status());
      break;
    }
    replies.push_back(std::move(reply));
  }
  return replies;
}

Result<Reply> Connection::run(const Command& command) {
  if (Status appended = append(command); !appended.ok()) return appended;
  return read_reply();
}

bool Connection::healthy() const {
  return !impl_->failure.has_value();
}
size_t Connection::pending() const {
  return impl_->pending;
}
const std::string& Connection::address() const {
  return impl_->address;
}

}  // namespace courier::redis
