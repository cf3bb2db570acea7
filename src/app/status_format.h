// What `courier status` found, as plain values, and how it is shown: a screen of text (ANSI
// colours only when asked for) or one JSON object for scripts. Pure: unit-tested without
// servers; status_command.h fills a StatusReport from Postgres and Redis.
//
//   StatusReport report = ...;
//   fmt::print("{}", status_as_text(report, /*colour=*/isatty(STDOUT_FILENO)));
//   return report.healthy() ? kExitOk : kExitFailure;
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace courier::app {

// One server: its description (no credentials) and, when it did not answer, why.
struct ServerStatus {
  std::string name;     // "Postgres 127.0.0.1:5432/app", "Redis 127.0.0.1:6379"
  std::string problem;  // empty: it answered
};

// One table-sync task.
struct TaskStatus {
  std::string name;
  std::string capture;                    // "poll" or "wal"
  std::string checkpoint_key;             // the Redis key the checkpoint is stored under
  bool read = false;                      // Redis answered: checkpoint is what it holds
  std::optional<std::string> checkpoint;  // the stored cursor; nullopt: none stored (yet)
  std::string dead_letter_key;            // the task's dead-letter stream
  std::optional<uint64_t> dead_letters;   // its length
  std::optional<int64_t> last_run;        // unix seconds a run last read to the end; nullopt: never
  std::string problem;                    // empty: nothing wrong
};

// The replication slot of the `capture: wal` tasks.
struct SlotStatus {
  std::string name;
  bool read = false;  // Postgres answered the question
  bool exists = false;
  bool active = false;  // a process streams from it now
  int64_t lag_bytes = 0;
  int64_t max_lag_bytes = 0;  // changes.max_lag
  std::string wal_status;     // pg_replication_slots.wal_status
  std::string problem;
};

// One stream read by stream ingest's consumer group.
struct StreamStatus {
  std::string stream;
  std::string group;
  std::optional<uint64_t> length;   // XLEN
  std::optional<uint64_t> pending;  // delivered to the group, not acknowledged
  std::optional<uint64_t> lag;      // not delivered to the group yet; nullopt: unknown
  std::string problem;
};

struct StatusReport {
  int64_t now = 0;  // unix seconds when the report was read: last runs are shown as ages
  ServerStatus postgres;
  ServerStatus redis;
  std::vector<TaskStatus> tasks;
  std::optional<SlotStatus> slot;  // only when a task has `capture: wal`
  std::vector<StreamStatus> streams;
  std::string stream_dead_letter_key;           // streams.dead_letter_stream; empty: no ingest
  std::optional<uint64_t> stream_dead_letters;  // its length
  std::string stream_dead_letters_problem;      // why it is not known, when it is not

  // Every problem, each naming what and where; empty: healthy. Dead letters are not
  // problems (they wait for an operator: `courier dlq`), they are warnings.
  std::vector<std::string> problems() const;
  std::vector<std::string> warnings() const;
  bool healthy() const { return problems().empty(); }
};

// The screen: servers, tasks, slot, streams, then the problems and warnings and a verdict
// line. With `colour`, ANSI green/yellow/red marks what is fine, worth a look, or wrong.
std::string status_as_text(const StatusReport& report, bool colour);
// One JSON object (never coloured), ending in a newline; docs/operations.md shows it.
std::string status_as_json(const StatusReport& report);

}  // namespace courier::app
