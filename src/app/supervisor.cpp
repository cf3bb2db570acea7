#include "app/supervisor.h"

#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <future>
#include <ranges>
#include <thread>

#include "app/version.h"

namespace courier::app {

Supervisor::Supervisor(http::ServerOptions http, Components components)
    : http_options_(std::move(http)), components_(std::move(components)) {}

Supervisor::~Supervisor() {
  stop();
}

Status Supervisor::start() {
  http_ = std::make_unique<http::HttpServer>(http_options_);
  register_build_info();
  // Components register their metrics, health checks and routes before the server answers.
  for (ComponentPtr& component : components_) {
    component->attach(*http_);
    if (Status started = component->start(); !started.ok()) return started;
  }
  if (Status started = http_->start(); !started.ok()) return started;
  spdlog::info("http: serving /health and /metrics on {}:{}", http_options_.host, http_->port());
  return Status::Ok();
}

void Supervisor::stop() {
  if (!http_) return;
  // Components stop first, the last started first: each finishes (commits, acknowledges)
  // the work in hand. What they registered on the server stays valid until it is down, so
  // they are destroyed after it.
  for (ComponentPtr& component : std::views::reverse(components_)) component->stop();
  http_->stop();
  components_.clear();
  http_.reset();
  spdlog::info("stopped");
}

bool Supervisor::stop_within(std::chrono::milliseconds deadline) {
  auto stopped = std::make_shared<std::promise<void>>();
  std::future<void> done = stopped->get_future();
  std::thread stopper([this, stopped] {
    stop();
    stopped->set_value();
  });
  if (done.wait_for(deadline) == std::future_status::ready) {
    stopper.join();
    return true;
  }
  stopper.detach();
  return false;
}

void Supervisor::register_build_info() {
  prometheus::BuildGauge()
      .Name("courier_build_info")
      .Help("Always 1; the labels say which courier is running")
      .Register(http_->metrics())
      .Add({{"version", std::string(kVersion)}})
      .Set(1);
}

}  // namespace courier::app
