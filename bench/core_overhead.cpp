// bench/core_overhead: what the pipeline core itself costs per record. A source that
// produces records as fast as memory allows, a no-op applier, one streaming worker; the
// "raw" figure is the same no-op applier called on the same batches in a plain loop, so
// the ratio is the coordinator's share. Goal: the library is never what limits a pipeline
// (over 2 million records/s on one core).
//
//   build-release/bench/core_overhead [--quick]
#include <fmt/format.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "bench_context.h"
#include "courier/applier.h"
#include "courier/source.h"
#include "courier/streaming_coordinator.h"

namespace {

using Clock = std::chrono::steady_clock;

// Hands out consecutive integers until `total` were produced; counts acks.
class CountingSource final : public courier::StreamSource<int64_t> {
 public:
  explicit CountingSource(int64_t total) : total_(total) {}

  courier::Result<std::vector<int64_t>> receive(size_t max, courier::Duration,
                                                std::stop_token) override {
    std::vector<int64_t> batch;
    int64_t start = produced_;
    int64_t end = std::min<int64_t>(total_, start + static_cast<int64_t>(max));
    batch.reserve(static_cast<size_t>(end - start));
    for (int64_t i = start; i < end; ++i) batch.push_back(i);
    produced_ = end;
    return batch;
  }
  courier::Status ack(std::span<const int64_t> handled) override {
    acked_.fetch_add(static_cast<int64_t>(handled.size()), std::memory_order_relaxed);
    return courier::Status::Ok();
  }
  courier::Status nack(std::span<const int64_t>, const courier::Status&) override {
    return courier::Status::Ok();
  }
  void close() override {}
  int64_t acked() const { return acked_.load(std::memory_order_relaxed); }

 private:
  const int64_t total_;
  int64_t produced_ = 0;  // one worker: only its thread calls receive()
  std::atomic<int64_t> acked_{0};
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The floor: the applier's own cost on the same batches, with no coordinator around it.
double raw_rate(courier::Applier<int64_t>& applier, int64_t total, size_t batch_size) {
  std::vector<int64_t> batch(batch_size);
  int64_t handled = 0;
  auto start = Clock::now();
  for (int64_t done = 0; done < total; done += static_cast<int64_t>(batch_size)) {
    for (size_t i = 0; i < batch_size; ++i) batch[i] = done + static_cast<int64_t>(i);
    handled += static_cast<int64_t>(applier.apply(batch).synced().size());
  }
  return static_cast<double>(handled) / seconds_since(start);
}

double coordinator_rate(courier::ApplierPtr<int64_t> applier, int64_t total, size_t batch_size) {
  auto source = std::make_shared<CountingSource>(total);
  courier::StreamingCoordinator<int64_t> coordinator(source, std::move(applier),
                                                     {.workers = 1, .batch_size = batch_size});
  auto start = Clock::now();
  if (!coordinator.start().ok()) return 0;
  while (source->acked() < total) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double elapsed = seconds_since(start);
  coordinator.stop();
  return static_cast<double>(total) / elapsed;
}

// A producer thread pushing into the bounded ChannelSource: the buffer's locking and
// backpressure included, as when a user feeds records from their own threads.
double channel_rate(courier::ApplierPtr<int64_t> applier, int64_t total, size_t batch_size) {
  std::atomic<int64_t> acked{0};
  courier::ChannelSourceOptions<int64_t> channel_options;
  channel_options.capacity = 10 * batch_size;
  channel_options.on_ack = [&](std::span<const int64_t> handled) {
    acked.fetch_add(static_cast<int64_t>(handled.size()), std::memory_order_relaxed);
    return courier::Status::Ok();
  };
  auto channel = std::make_shared<courier::ChannelSource<int64_t>>(channel_options);
  courier::StreamingCoordinator<int64_t> coordinator(channel, std::move(applier),
                                                     {.workers = 1, .batch_size = batch_size});
  auto start = Clock::now();
  if (!coordinator.start().ok()) return 0;
  std::thread producer([&] {
    for (int64_t i = 0; i < total; ++i) (void)channel->push(i);
  });
  producer.join();
  while (acked.load(std::memory_order_relaxed) < total)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double elapsed = seconds_since(start);
  coordinator.stop();
  return static_cast<double>(total) / elapsed;
}

void print_line(const char* scenario, size_t batch_size, int64_t total, double rate, double raw) {
  fmt::print(
      "core_overhead scenario={} workers=1 batch={} records={} courier={:.0f}/s "
      "ns_per_record={:.1f} raw_loop={:.0f}/s ratio={:.2f} peak_rss={:.0f}MB\n",
      scenario, batch_size, total, rate, 1e9 / rate, raw, rate / raw, peak_rss_mb());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  courier::bench::print_bench_context("core_overhead");
  const int64_t total = quick ? 2'000'000 : 20'000'000;
  auto no_op =
      std::make_shared<courier::BatchFunctionApplier<int64_t>>([](std::span<const int64_t> batch) {
        return courier::ApplyResult::all_synced(batch.size());
      });

  for (size_t batch_size : {100, 1000}) {
    double raw = raw_rate(*no_op, total, batch_size);
    print_line("streaming_noop", batch_size, total, coordinator_rate(no_op, total, batch_size),
               raw);
    print_line("channel_noop", batch_size, total, channel_rate(no_op, total, batch_size), raw);
  }
  return 0;
}
