#include "redis/command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "text/integer.h"

namespace courier::redis {
namespace {

// Where the keys of a command are, in the manner of COMMAND INFO's first/last/step, plus
// the two shapes a range cannot describe: a numkeys argument and a STREAMS section.
struct KeySpec {
  int first = 1;         // index of the first key; 0: no fixed-position keys
  int last = 1;          // index of the last key; negative counts from the end (-1: last arg)
  int step = 1;          // distance between keys (2 for MSET key value key value)
  int numkeys_at = 0;    // index of a numkeys argument whose keys follow it; 0: none
  bool streams = false;  // XREAD/XREADGROUP: the first half of the args after STREAMS
};

constexpr KeySpec kKeyless{.first = 0, .last = 0};
constexpr KeySpec kAllArgs{.first = 1, .last = -1};
constexpr KeySpec kAllButLast{.first = 1, .last = -2};
constexpr KeySpec kFirstTwo{.first = 1, .last = 2};
constexpr KeySpec kSubcommandKey{.first = 2, .last = 2};
constexpr KeySpec kNumkeysAt1{.first = 0, .last = 0, .numkeys_at = 1};
constexpr KeySpec kNumkeysAt2{.first = 0, .last = 0, .numkeys_at = 2};

const std::unordered_map<std::string_view, KeySpec>& key_specs() {
  static const auto* specs = new std::unordered_map<std::string_view, KeySpec>{
      {"PING", kKeyless},
      {"ECHO", kKeyless},
      {"INFO", kKeyless},
      {"TIME", kKeyless},
      {"DBSIZE", kKeyless},
      {"FLUSHALL", kKeyless},
      {"FLUSHDB", kKeyless},
      {"CLUSTER", kKeyless},
      {"CONFIG", kKeyless},
      {"CLIENT", kKeyless},
      {"COMMAND", kKeyless},
      {"SCRIPT", kKeyless},
      {"FUNCTION", kKeyless},
      {"AUTH", kKeyless},
      {"HELLO", kKeyless},
      {"SELECT", kKeyless},
      {"MULTI", kKeyless},
      {"EXEC", kKeyless},
      {"DISCARD", kKeyless},
      {"UNWATCH", kKeyless},
      {"WAIT", kKeyless},
      {"RANDOMKEY", kKeyless},
      {"SCAN", kKeyless},
      {"KEYS", kKeyless},
      {"LASTSAVE", kKeyless},
      {"SAVE", kKeyless},
      {"BGSAVE", kKeyless},
      {"BGREWRITEAOF", kKeyless},
      {"SLOWLOG", kKeyless},
      {"LATENCY", kKeyless},
      {"ACL", kKeyless},
      {"PUBLISH", kKeyless},
      {"PUBSUB", kKeyless},
      {"READONLY", kKeyless},
      {"READWRITE", kKeyless},
      {"ASKING", kKeyless},
      {"ROLE", kKeyless},
      {"DEBUG", kKeyless},
      {"SWAPDB", kKeyless},
      {"SHUTDOWN", kKeyless},
      {"MSET", {.first = 1, .last = -1, .step = 2}},
      {"MSETNX", {.first = 1, .last = -1, .step = 2}},
      {"MGET", kAllArgs},
      {"DEL", kAllArgs},
      {"UNLINK", kAllArgs},
      {"EXISTS", kAllArgs},
      {"TOUCH", kAllArgs},
      {"WATCH", kAllArgs},
      {"SDIFF", kAllArgs},
      {"SINTER", kAllArgs},
      {"SUNION", kAllArgs},
      {"SDIFFSTORE", kAllArgs},
      {"SINTERSTORE", kAllArgs},
      {"SUNIONSTORE", kAllArgs},
      {"PFCOUNT", kAllArgs},
      {"PFMERGE", kAllArgs},
      {"BLPOP", kAllButLast},
      {"BRPOP", kAllButLast},
      {"BZPOPMIN", kAllButLast},
      {"BZPOPMAX", kAllButLast},
      {"RENAME", kFirstTwo},
      {"RENAMENX", kFirstTwo},
      {"RPOPLPUSH", kFirstTwo},
      {"BRPOPLPUSH", kFirstTwo},
      {"SMOVE", kFirstTwo},
      {"LMOVE", kFirstTwo},
      {"BLMOVE", kFirstTwo},
      {"COPY", kFirstTwo},
      {"ZRANGESTORE", kFirstTwo},
      {"GEOSEARCHSTORE", kFirstTwo},
      {"OBJECT", kSubcommandKey},
      {"MEMORY", kSubcommandKey},
      {"XINFO", kSubcommandKey},
      {"XGROUP", kSubcommandKey},
      {"EVAL", kNumkeysAt2},
      {"EVALSHA", kNumkeysAt2},
      {"EVAL_RO", kNumkeysAt2},
      {"EVALSHA_RO", kNumkeysAt2},
      {"FCALL", kNumkeysAt2},
      {"FCALL_RO", kNumkeysAt2},
      {"BLMPOP", kNumkeysAt2},
      {"BZMPOP", kNumkeysAt2},
      {"LMPOP", kNumkeysAt1},
      {"ZMPOP", kNumkeysAt1},
      {"SINTERCARD", kNumkeysAt1},
      {"ZINTERCARD", kNumkeysAt1},
      {"ZUNION", kNumkeysAt1},
      {"ZINTER", kNumkeysAt1},
      {"ZDIFF", kNumkeysAt1},
      {"ZUNIONSTORE", {.first = 1, .last = 1, .numkeys_at = 2}},
      {"ZINTERSTORE", {.first = 1, .last = 1, .numkeys_at = 2}},
      {"ZDIFFSTORE", {.first = 1, .last = 1, .numkeys_at = 2}},
      {"XREAD", {.first = 0, .last = 0, .streams = true}},
      {"XREADGROUP", {.first = 0, .last = 0, .streams = true}},
  };
  return *specs;
}

const std::unordered_set<std::string_view>& read_only_commands() {
  static const auto* names = new std::unordered_set<std::string_view>{"GET",
                                                                      "MGET",
                                                                      "STRLEN",
                                                                      "GETRANGE",
                                                                      "SUBSTR",
                                                                      "EXISTS",
                                                                      "TTL",
                                                                      "PTTL",
                                                                      "EXPIRETIME",
                                                                      "PEXPIRETIME",
                                                                      "TYPE",
                                                                      "DUMP",
                                                                      "OBJECT",
                                                                      "GETBIT",
                                                                      "BITCOUNT",
                                                                      "BITPOS",
                                                                      "LCS",
                                                                      "HGET",
                                                                      "HMGET",
                                                                      "HGETALL",
                                                                      "HKEYS",
                                                                      "HVALS",
                                                                      "HLEN",
                                                                      "HEXISTS",
                                                                      "HSTRLEN",
                                                                      "HSCAN",
                                                                      "HRANDFIELD",
                                                                      "LRANGE",
                                                                      "LLEN",
                                                                      "LINDEX",
                                                                      "LPOS",
                                                                      "SMEMBERS",
                                                                      "SISMEMBER",
                                                                      "SMISMEMBER",
                                                                      "SCARD",
                                                                      "SRANDMEMBER",
                                                                      "SSCAN",
                                                                      "SINTER",
                                                                      "SINTERCARD",
                                                                      "SUNION",
                                                                      "SDIFF",
                                                                      "ZRANGE",
                                                                      "ZRANGEBYSCORE",
                                                                      "ZRANGEBYLEX",
                                                                      "ZREVRANGE",
                                                                      "ZREVRANGEBYSCORE",
                                                                      "ZREVRANGEBYLEX",
                                                                      "ZSCORE",
                                                                      "ZMSCORE",
                                                                      "ZCARD",
                                                                      "ZCOUNT",
                                                                      "ZLEXCOUNT",
                                                                      "ZRANK",
                                                                      "ZREVRANK",
                                                                      "ZSCAN",
                                                                      "ZRANDMEMBER",
                                                                      "ZUNION",
                                                                      "ZINTER",
                                                                      "ZINTERCARD",
                                                                      "ZDIFF",
                                                                      "XRANGE",
                                                                      "XREVRANGE",
                                                                      "XLEN",
                                                                      "XREAD",
                                                                      "XINFO",
                                                                      "XPENDING",
                                                                      "PFCOUNT",
                                                                      "GEOPOS",
                                                                      "GEODIST",
                                                                      "GEOHASH",
                                                                      "GEOSEARCH",
                                                                      "GEORADIUS_RO",
                                                                      "GEORADIUSBYMEMBER_RO",
                                                                      "EVAL_RO",
                                                                      "EVALSHA_RO",
                                                                      "FCALL_RO"};
  return *names;
}

// argv[0] in upper case without allocating; names longer than any command stay unmatched.
class UpperName {
 public:
  explicit UpperName(std::string_view name)
      : size_(name.size() <= buffer_.size() ? name.size() : 0) {
    std::transform(name.begin(), name.begin() + size_, buffer_.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  std::string_view view() const { return {buffer_.data(), size_}; }

 private:
  std::array<char, 32> buffer_{};
  size_t size_;
};

KeySpec key_spec(const Command& command) {
  UpperName name(command[0]);
  const auto& specs = key_specs();
  auto found = specs.find(name.view());
  return found == specs.end() ? KeySpec{} : found->second;
}

std::optional<int> parse_count(std::string_view text) {
  return text::parse_integer<int>(text, {.min = 0});
}

void append_range_keys(const Command& command, const KeySpec& spec,
                       std::vector<std::string_view>& keys) {
  if (spec.first <= 0) return;
  int argc = static_cast<int>(command.size());
  int last = spec.last < 0 ? argc + spec.last : spec.last;
  for (int i = spec.first; i <= last && i < argc; i += spec.step) keys.push_back(command[i]);
}

void append_numkeys_keys(const Command& command, const KeySpec& spec,
                         std::vector<std::string_view>& keys) {
  if (spec.numkeys_at <= 0 || static_cast<size_t>(spec.numkeys_at) >= command.size()) return;
  std::optional<int> count = parse_count(command[spec.numkeys_at]);
  if (!count) return;
  size_t first = spec.numkeys_at + 1;
  for (size_t i = first; i < first + *count && i < command.size(); ++i) keys.push_back(command[i]);
}

void append_stream_keys(const Command& command, std::vector<std::string_view>& keys) {
  auto streams = std::find_if(command.begin() + 1, command.end(), [](const std::string& arg) {
    return UpperName(arg).view() == "STREAMS";
  });
  if (streams == command.end()) return;
  size_t first = streams - command.begin() + 1;
  size_t count = (command.size() - first) / 2;
  for (size_t i = first; i < first + count; ++i) keys.push_back(command[i]);
}

}  // namespace

std::vector<std::string_view> command_keys(const Command& command) {
  std::vector<std::string_view> keys;
  if (command.empty()) return keys;
  KeySpec spec = key_spec(command);
  append_range_keys(command, spec, keys);
  append_numkeys_keys(command, spec, keys);
  if (spec.streams) append_stream_keys(command, keys);
  return keys;
}

std::optional<std::string_view> routing_key(const Command& command) {
  if (command.empty()) return std::nullopt;
  KeySpec spec = key_spec(command);
  // The common case (one key at argv[1]) without building a vector.
  if (spec.first == 1 && spec.numkeys_at == 0 && !spec.streams)
    return command.size() > 1 ? std::optional<std::string_view>(command[1]) : std::nullopt;
  std::vector<std::string_view> keys = command_keys(command);
  if (keys.empty()) return std::nullopt;
  return keys.front();
}

bool is_read_only(const Command& command) {
  if (command.empty()) return false;
  return read_only_commands().contains(UpperName(command[0]).view());
}

Status check_command(const Command& command) {
  if (!command.empty()) return Status::Ok();
  return Status(StatusCode::kInvalidArgument, "redis: empty command (argv needs a command name)");
}

std::string command_name(const Command& command) {
  if (command.empty()) return "(empty command)";
  std::string name = command[0];
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name;
}

}  // namespace courier::redis
