// Waiting for SIGINT/SIGTERM without a signal handler: the signals are blocked in every
// thread and the main thread collects them with sigwait, so shutdown runs as ordinary
// code (stop pipelines, flush, ack) instead of inside an async-signal context.
//
//   ShutdownSignal shutdown;          // first thing in main, before any thread starts
//   start_everything();
//   int signal = shutdown.wait();     // returns SIGINT or SIGTERM
//
// Thread-safety: construct once in the main thread before creating threads (threads
// inherit the blocked mask); wait() from that thread; request() from any thread.
#pragma once

namespace courier::app {

class ShutdownSignal {
 public:
  ShutdownSignal();   // blocks SIGINT and SIGTERM in the calling thread
  ~ShutdownSignal();  // restores the previous mask
  // Blocks until SIGINT or SIGTERM arrives (or request() is called); returns the signal.
  int wait();
  // Asks wait() to return as if SIGTERM had arrived (for tests and fatal errors).
  void request();
};

}  // namespace courier::app
