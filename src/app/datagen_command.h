// `courier datagen`: fills the query API's tables (users, posts, follows; schema applied
// first) in the configuration's Postgres with synthetic data whose post authorship and
// followees are Zipf-skewed, so a few users are hot (see aggregator/social_datagen.h).
//
//   courier datagen -c courier.yaml --users 1000 --posts 100000 --follows 20000
//   courier datagen -c courier.yaml --users 50 --posts 500 --follows 100 --zipf 1.3 --seed 7
//
// In code (cli.cpp): `DatagenCommand datagen(app);` before parsing, then
// `if (datagen.parsed()) return datagen.run(load_or_report);`.
// Thread-safety: driven by the main thread only.
#pragma once

#include <cstdint>
#include <string>

#include "app/dlq_command.h"  // ConfigLoader

namespace CLI {
class App;
}

namespace courier::app {

class DatagenCommand {
 public:
  explicit DatagenCommand(CLI::App& parent);
  DatagenCommand(const DatagenCommand&) = delete;
  DatagenCommand& operator=(const DatagenCommand&) = delete;

  bool parsed() const;
  int run(const ConfigLoader& load_config);

 private:
  CLI::App* command_ = nullptr;
  std::string config_path_ = "courier.yaml";
  std::int64_t users_ = 1000;
  std::int64_t posts_ = 10'000;
  std::int64_t follows_ = 10'000;
  double zipf_ = 1.1;
  std::uint64_t seed_ = 1;
};

}  // namespace courier::app
