#include "app/supervisor.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>
#include <vector>

namespace courier::app {
namespace {

// Writes what the supervisor asks of it into a shared journal.
class JournalComponent final : public Component {
 public:
  JournalComponent(std::string name, std::vector<std::string>& journal, Status start = {})
      : name_(std::move(name)), journal_(journal), start_(std::move(start)) {}
  std::string name() const override { return name_; }
  void attach(http::HttpServer& server) override {
    journal_.push_back("attach " + name_);
    server.health().add(name_, [] { return http::HealthReport{true, "fine"}; });
    server.add_route(http::Method::kGet, "/" + name_,
                     [](const http::Request&) { return http::Response{200, "{}"}; });
  }
  Status start() override {
    journal_.push_back("start " + name_);
    return start_;
  }
  void stop() override { journal_.push_back("stop " + name_); }

 private:
  std::string name_;
  std::vector<std::string>& journal_;
  Status start_;
};

Components two_components(std::vector<std::string>& journal, Status second_start = {}) {
  Components components;
  components.push_back(std::make_unique<JournalComponent>("first", journal));
  components.push_back(std::make_unique<JournalComponent>("second", journal, second_start));
  return components;
}

TEST(Supervisor, AttachesAndStartsInOrderAndStopsInReverse) {
  std::vector<std::string> journal;
  Supervisor supervisor(http::ServerOptions{.port = 0}, two_components(journal));
  ASSERT_TRUE(supervisor.start().ok());
  supervisor.stop();
  EXPECT_EQ(journal, (std::vector<std::string>{"attach first", "start first", "attach second",
                                               "start second", "stop second", "stop first"}));
}

TEST(Supervisor, ServesWhatComponentsRegistered) {
  std::vector<std::string> journal;
  Supervisor supervisor(http::ServerOptions{.port = 0}, two_components(journal));
  ASSERT_TRUE(supervisor.start().ok());
  httplib::Client client("127.0.0.1", supervisor.http_port());
  auto route = client.Get("/second");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 200);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_NE(health->body.find("\"first\""), std::string::npos) << health->body;
  supervisor.stop();
}

TEST(Supervisor, AComponentThatCannotStartStopsTheStartUpWithItsError) {
  std::vector<std::string> journal;
  Supervisor supervisor(http::ServerOptions{.port = 0},
                        two_components(journal, Status(StatusCode::kInvalidArgument, "bad")));
  Status started = supervisor.start();
  EXPECT_EQ(started.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(supervisor.http_port(), 0);  // the server never started
  supervisor.stop();
  EXPECT_EQ(journal.back(), "stop first");  // what started is stopped again
}

TEST(Supervisor, StopIsIdempotent) {
  std::vector<std::string> journal;
  Supervisor supervisor(http::ServerOptions{.port = 0}, two_components(journal));
  ASSERT_TRUE(supervisor.start().ok());
  supervisor.stop();
  supervisor.stop();
  EXPECT_EQ(std::count(journal.begin(), journal.end(), "stop first"), 1);
}

}  // namespace
}  // namespace courier::app
