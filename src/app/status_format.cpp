#include "app/status_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace courier::app {
namespace {

enum class Tone { kGood, kWarn, kBad };

std::string paint(const std::string& text, Tone tone, bool colour) {
  if (!colour) return text;
  const char* code = tone == Tone::kGood ? "32" : tone == Tone::kWarn ? "33" : "31";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string or_unknown(const std::optional<uint64_t>& value) {
  return value ? std::to_string(*value) : "?";
}

bool over_max_lag(const SlotStatus& slot) {
  return slot.exists && slot.lag_bytes > slot.max_lag_bytes;
}

// The lag of a task: a wal task's is its slot's, in bytes of WAL; a polled task has none
// that Courier can know without reading its table (docs/operations.md).
std::optional<int64_t> task_lag_bytes(const StatusReport& report, const TaskStatus& task) {
  if (task.capture != "wal" || !report.slot || !report.slot->exists) return std::nullopt;
  return report.slot->lag_bytes;
}

// A polled task's lag: the seconds since its last complete run (what it can be behind by).
std::optional<int64_t> task_lag_seconds(const StatusReport& report, const TaskStatus& task) {
  if (task.capture == "wal" || !task.last_run) return std::nullopt;
  return std::max<int64_t>(0, report.now - *task.last_run);
}

std::string last_run_text(const StatusReport& report, const TaskStatus& task) {
  if (task.capture == "wal") return "streaming";
  if (!task.read) return "?";
  if (!task.last_run) return "never";
  return fmt::format("{} s ago", *task_lag_seconds(report, task));
}

// Rows of cells, left-aligned in columns two spaces apart, each line indented by two.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 1, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string server_line(const ServerStatus& server, bool colour) {
  if (server.problem.empty())
    return fmt::format("{}: {}\n", server.name, paint("ok", Tone::kGood, colour));
  return fmt::format("{}: {}\n", server.name, paint("unreachable", Tone::kBad, colour));
}

nlohmann::ordered_json optional_number(const std::optional<uint64_t>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json server_json(const ServerStatus& server) {
  nlohmann::ordered_json out = {{"server", server.name}, {"ok", server.problem.empty()}};
  if (!server.problem.empty()) out["error"] = server.problem;
  return out;
}

}  // namespace

std::vector<std::string> StatusReport::problems() const {
  std::vector<std::string> found;
  for (const ServerStatus* server : {&postgres, &redis})
    if (!server->problem.empty()) found.push_back(server->name + ": " + server->problem);
  for (const TaskStatus& task : tasks)
    if (!task.problem.empty()) found.push_back("task '" + task.name + "': " + task.problem);
  if (slot && !slot->problem.empty())
    found.push_back("replication slot '" + slot->name + "': " + slot->problem);
  if (slot && over_max_lag(*slot))
    found.push_back(fmt::format(
        "replication slot '{}' holds back {} bytes of WAL, more than changes.max_lag ({})",
        slot->name, slot->lag_bytes, slot->max_lag_bytes));
  for (const StreamStatus& stream : streams)
    if (!stream.problem.empty())
      found.push_back("stream '" + stream.stream + "', group '" + stream.group +
                      "': " + stream.problem);
  if (!stream_dead_letters_problem.empty())
    found.push_back("dead-letter stream '" + stream_dead_letter_key +
                    "': " + stream_dead_letters_problem);
  return found;
}

std::vector<std::string> StatusReport::warnings() const {
  std::vector<std::string> found;
  for (const TaskStatus& task : tasks)
    if (task.dead_letters.value_or(0) > 0)
      found.push_back(fmt::format(
          "task '{}': {} dead letter{} in stream '{}' (courier dlq list --redis-stream {})",
          task.name, *task.dead_letters, *task.dead_letters == 1 ? "" : "s", task.dead_letter_key,
          task.dead_letter_key));
  if (stream_dead_letters.value_or(0) > 0)
    found.push_back(fmt::format(
        "stream ingest: {} dead letter{} in stream '{}' (courier dlq list --redis-stream {})",
        *stream_dead_letters, *stream_dead_letters == 1 ? "" : "s", stream_dead_letter_key,
        stream_dead_letter_key));
  return found;
}

std::string status_as_text(const StatusReport& report, bool colour) {
  std::string out = server_line(report.postgres, colour) + server_line(report.redis, colour);
  if (!report.tasks.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"TASK", "CAPTURE", "CHECKPOINT", "LAST RUN", "LAG", "DEAD LETTERS"}};
    for (const TaskStatus& task : report.tasks) {
      const std::optional<int64_t> lag = task_lag_bytes(report, task);
      const std::optional<int64_t> lag_seconds = task_lag_seconds(report, task);
      rows.push_back({task.name, task.capture, task.read ? task.checkpoint.value_or("(none)") : "?",
                      last_run_text(report, task),
                      lag           ? fmt::format("{} B", *lag)
                      : lag_seconds ? fmt::format("{} s", *lag_seconds)
                                    : "n/a",
                      or_unknown(task.dead_letters)});
    }
    out += "\ntable sync\n" + table(rows);
  }
  if (report.slot) {
    const SlotStatus& slot = *report.slot;
    if (!slot.exists) {
      out += fmt::format("\nreplication slot '{}': {}\n", slot.name,
                         paint(slot.read ? "missing" : "not read", Tone::kBad, colour));
    } else {
      const std::string lag = fmt::format("{} bytes", slot.lag_bytes);
      out += fmt::format("\nreplication slot '{}': {}, lag {} (max_lag {}), wal_status {}\n",
                         slot.name, slot.active ? "active" : "inactive",
                         paint(lag, over_max_lag(slot) ? Tone::kBad : Tone::kGood, colour),
                         slot.max_lag_bytes, slot.wal_status.empty() ? "?" : slot.wal_status);
    }
  }
  if (!report.streams.empty()) {
    std::vector<std::vector<std::string>> rows = {{"STREAM", "GROUP", "LENGTH", "PENDING", "LAG"}};
    for (const StreamStatus& stream : report.streams) {
      rows.push_back({stream.stream, stream.group, or_unknown(stream.length),
                      or_unknown(stream.pending),
                      stream.lag ? std::to_string(*stream.lag) : "n/a"});
    }
    out += "\nstream ingest\n" + table(rows);
    out += fmt::format("  dead letters in '{}': {}\n", report.stream_dead_letter_key,
                       or_unknown(report.stream_dead_letters));
  }
  const std::vector<std::string> problems = report.problems();
  const std::vector<std::string> warnings = report.warnings();
  if (!problems.empty() || !warnings.empty()) out += "\n";
  for (const std::string& problem : problems)
    out += paint("problem: ", Tone::kBad, colour) + problem + "\n";
  for (const std::string& warning : warnings)
    out += paint("warning: ", Tone::kWarn, colour) + warning + "\n";
  out += "\n" +
         (problems.empty() ? paint("healthy", Tone::kGood, colour)
                           : paint(fmt::format("unhealthy: {} problem{}", problems.size(),
                                               problems.size() == 1 ? "" : "s"),
                                   Tone::kBad, colour)) +
         "\n";
  return out;
}

std::string status_as_json(const StatusReport& report) {
  nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
  for (const TaskStatus& task : report.tasks) {
    const std::optional<int64_t> lag = task_lag_bytes(report, task);
    nlohmann::ordered_json entry = {
        {"name", task.name},
        {"capture", task.capture},
        {"checkpoint_key", task.checkpoint_key},
        {"read", task.read},
        {"checkpoint", task.checkpoint ? nlohmann::ordered_json(*task.checkpoint) : nullptr},
        {"lag_bytes", lag ? nlohmann::ordered_json(*lag) : nullptr},
        {"last_run_unix", task.last_run ? nlohmann::ordered_json(*task.last_run) : nullptr},
        {"lag_seconds", task_lag_seconds(report, task)
                            ? nlohmann::ordered_json(*task_lag_seconds(report, task))
                            : nullptr},
        {"dead_letter_stream", task.dead_letter_key},
        {"dead_letters", optional_number(task.dead_letters)}};
    if (!task.problem.empty()) entry["error"] = task.problem;
    tasks.push_back(std::move(entry));
  }
  nlohmann::ordered_json slot = nullptr;
  if (report.slot) {
    slot = {{"name", report.slot->name},
            {"read", report.slot->read},
            {"exists", report.slot->exists},
            {"active", report.slot->active},
            {"lag_bytes", report.slot->lag_bytes},
            {"max_lag_bytes", report.slot->max_lag_bytes},
            {"wal_status", report.slot->wal_status}};
    if (!report.slot->problem.empty()) slot["error"] = report.slot->problem;
  }
  nlohmann::ordered_json streams = nlohmann::ordered_json::array();
  for (const StreamStatus& stream : report.streams) {
    nlohmann::ordered_json entry = {{"stream", stream.stream},
                                    {"group", stream.group},
                                    {"length", optional_number(stream.length)},
                                    {"pending", optional_number(stream.pending)},
                                    {"lag", optional_number(stream.lag)}};
    if (!stream.problem.empty()) entry["error"] = stream.problem;
    streams.push_back(std::move(entry));
  }
  nlohmann::ordered_json stream_dead_letters = nullptr;
  if (!report.stream_dead_letter_key.empty())
    stream_dead_letters = {{"stream", report.stream_dead_letter_key},
                           {"count", optional_number(report.stream_dead_letters)}};
  nlohmann::ordered_json out = {{"healthy", report.healthy()},
                                {"postgres", server_json(report.postgres)},
                                {"redis", server_json(report.redis)},
                                {"tasks", std::move(tasks)},
                                {"slot", std::move(slot)},
                                {"streams", std::move(streams)},
                                {"stream_dead_letters", std::move(stream_dead_letters)},
                                {"problems", report.problems()},
                                {"warnings", report.warnings()}};
  return out.dump(2) + "\n";
}

}  // namespace courier::app
