// Component: one thing `courier run` starts — a pipeline (table sync, stream ingest, the
// query API, change capture) or the dependency checks. The supervisor knows components
// only through this interface: it attaches each to the one HTTP server (metrics, health
// checks, routes), starts them in order, and stops them in reverse order.
//
//   class Outbox final : public courier::Component {
//     std::string name() const override { return "outbox"; }
//     void attach(http::HttpServer& s) override { s.health().add("outbox", check); }
//     Status start() override { return coordinator_.start(); }
//     void stop() override { coordinator_.stop(); }
//   };
//
// Thread-safety: attach(), start() and stop() are called from one thread (the
// supervisor's), in that order; stop() may come without start() and more than once. What
// a component registers on the server (health checks, routes, metrics) must stay valid
// until the component is destroyed, which the supervisor does after the server stopped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "courier/status.h"
#include "http/server.h"

namespace courier {

class Component {
 public:
  virtual ~Component() = default;

  // For logs: "table sync", "stream ingest", "query api".
  virtual std::string name() const = 0;
  // Registers metrics, health checks and HTTP routes on the process's server. Called once,
  // before start() and before the server answers requests.
  virtual void attach(http::HttpServer& server) = 0;
  // Starts the work on threads of its own and returns. An error stops the start-up of the
  // whole process; its message says what was wrong and where.
  virtual Status start() = 0;
  // Stops taking new work, finishes and acknowledges what is in hand, joins its threads.
  // Idempotent.
  virtual void stop() = 0;
};

using ComponentPtr = std::unique_ptr<Component>;
using Components = std::vector<ComponentPtr>;

}  // namespace courier
