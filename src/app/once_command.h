// `courier once`: runs the table-sync tasks of a file once each and exits — for cron jobs,
// Kubernetes Jobs and first snapshots. Exit 0 when every task ran (or another courier
// process kept running it for 30 s while we waited for its lock), 1 when any failed, 2 for
// an unknown task name.
//
//   courier once -c courier.yaml                 every task, one after the other
//   courier once -c courier.yaml --task orders   just that one (repeatable)
//
// On a terminal it shows each task's progress (rows written, rate) as it goes; SIGINT or
// SIGTERM stops after the batch in flight, with the checkpoint saved.
//
// Thread-safety: call from the main thread, after the ShutdownSignal was created.
#pragma once

#include <string>
#include <vector>

#include "app/shutdown_signal.h"
#include "config/courier_config.h"
#include "pg_to_redis/task_config.h"

namespace courier::app {

int run_tasks_once(const config::CourierConfig& config,
                   const std::vector<pg_to_redis::TaskConfig>& tasks,
                   const std::vector<std::string>& only, ShutdownSignal& shutdown);

}  // namespace courier::app
