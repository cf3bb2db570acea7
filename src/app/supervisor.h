// The running process: the one HTTP server (/health, /metrics, the routes components add)
// and the components the configuration names (app/pipelines.h). Attaches every component
// to the server, starts them in order, then the server; stops them in reverse order.
//
//   Supervisor supervisor(http_server_options(config.http), make_components(config, pipelines));
//   if (Status s = supervisor.start(); !s.ok()) return fail(s);
//   shutdown.wait(); if (!supervisor.stop_within(kShutdownDeadline)) std::_Exit(1);
//
// Thread-safety: start() and stop() from one thread (main); stop() is idempotent.
#pragma once

#include <chrono>
#include <memory>

#include "component.h"
#include "courier/status.h"
#include "http/server.h"

namespace courier::app {

class Supervisor {
 public:
  Supervisor(http::ServerOptions http, Components components);
  ~Supervisor();

  // A component that fails to start stops the start-up, with its error.
  Status start();
  void stop();
  // stop(), waiting at most `deadline`: false when a component is still blocked then (a
  // dependency that hangs without closing its connections). stop() then goes on in the
  // background; the caller is expected to end the process.
  bool stop_within(std::chrono::milliseconds deadline);
  // The HTTP port actually bound (differs from the config when it asked for port 0).
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  void register_build_info();

  http::ServerOptions http_options_;
  Components components_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace courier::app
