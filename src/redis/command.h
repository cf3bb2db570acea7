// Command: one Redis command as binary-safe argv, and where its keys are (for routing).
//
//   Command set = {"SET", "user:{42}:name", std::string("al\0ce", 5)};
//   routing_key(set);                                    // "user:{42}:name"
//   command_keys({"EVAL", "return 1", "2", "a", "b"});   // {"a", "b"}
//
// Key positions follow Redis's own key specs for the commands that differ from "the key is
// argv[1]": multi-key commands, EVAL/FCALL (numkeys), XREAD/XREADGROUP (after STREAMS),
// container subcommands (XGROUP CREATE key, OBJECT ENCODING key) and keyless commands
// (PING, INFO, CLUSTER, ...), which a cluster client may send to any node.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "courier/status.h"

namespace courier::redis {

using Command = std::vector<std::string>;

// Every key of `command` in argument order; empty for a keyless command.
std::vector<std::string_view> command_keys(const Command& command);

// The key that decides where a command goes: its first key, or nullopt when keyless.
std::optional<std::string_view> routing_key(const Command& command);

// True for commands that never write (GET, HGETALL, XRANGE, ...): a replica may serve them.
bool is_read_only(const Command& command);

// kInvalidArgument for a command that cannot be sent (no arguments at all).
Status check_command(const Command& command);

// argv[0] in upper case ("get" -> "GET"), for comparisons and messages.
std::string command_name(const Command& command);

}  // namespace courier::redis
