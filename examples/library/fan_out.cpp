// Fan-out: every order goes to a search index and to an audit log. An order counts as
// synced only when both took it; the audit log rejects orders without a customer, so those
// fail with the reason, are left unmarked, and would be fetched again.
//
//   ./fan_out        prints what happened to each order; exit 0 when the outcome is right
#include <courier/applier.h>
#include <courier/fan_out.h>
#include <courier/sync.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

struct Order {
  int id;
  std::string customer;
};

int main() {
  std::vector<Order> pending = {{1, "ada"}, {2, ""}, {3, "linus"}, {4, "grace"}};
  std::map<int, std::string> search_index;
  std::vector<int> audit_log;

  auto to_search = courier::process_each<Order>([&](const Order& order) {
    search_index[order.id] = order.customer;
    return courier::Status::Ok();
  });
  auto to_audit = courier::process_each<Order>([&](const Order& order) {
    if (order.customer.empty())
      return courier::Status(courier::StatusCode::kInvalidArgument, "order has no customer");
    audit_log.push_back(order.id);
    return courier::Status::Ok();
  });
  auto everywhere = std::make_shared<courier::FanOutApplier<Order>>(
      std::vector<courier::ApplierPtr<Order>>{to_search, to_audit});

  // One pass over the pending orders, as a cron job would run it.
  std::vector<int> marked;
  auto source = courier::batch_source_functions<Order>(
      [&](size_t max) {
        std::vector<Order> batch;
        for (const Order& order : pending) {
          if (batch.size() == max) break;
          bool done = std::find(marked.begin(), marked.end(), order.id) != marked.end();
          if (!done) batch.push_back(order);
        }
        return courier::Result<std::vector<Order>>(batch);
      },
      [&](std::span<const Order> handled) {
        for (const Order& order : handled) marked.push_back(order.id);
        return courier::Status::Ok();
      });
  courier::PollingOptions options;
  options.batch_size = 10;
  courier::PollingCoordinator<Order> coordinator(source, everywhere, options);
  courier::Result<courier::RunResult> run = coordinator.run_once();
  if (!run.ok()) {
    std::printf("run failed: %s\n", run.status().to_string().c_str());
    return 1;
  }

  std::printf("fetched=%zu synced=%zu failed=%zu\n", run->fetched, run->synced, run->failed);
  for (const auto& result : everywhere->last_destination_results()) {
    for (const auto& failure : result.failed())
      std::printf("order %d: %s\n", pending[failure.index].id, failure.error.to_string().c_str());
  }
  bool expected = run->synced == 3 && run->failed == 1 && marked == std::vector<int>{1, 3, 4};
  std::printf("%s\n", expected ? "outcome as expected" : "UNEXPECTED OUTCOME");
  return expected ? 0 : 1;
}
