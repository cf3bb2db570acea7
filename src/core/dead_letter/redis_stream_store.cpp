#include "core/dead_letter/redis_stream_store.h"

#include <stdexcept>
#include <utility>

#include "core/dead_letter/letter_fields.h"
#include "redis/errors.h"

namespace courier {
namespace {

constexpr std::string_view kMetadataPrefix = "meta.";

Status unexpected_reply(std::string_view what, const redis::Reply& reply) {
  return Status(StatusCode::kInternal,
                std::string(what) + ": unexpected reply " + reply.to_string());
}

void assign_stream_field(DeadLetter& letter, const std::string& name, const std::string& value) {
  if (name.starts_with(kMetadataPrefix)) {
    letter.metadata[name.substr(kMetadataPrefix.size())] = value;
  } else {
    // Unknown fields are skipped: a newer writer may add fields an older reader ignores.
    (void)assign_letter_field(letter, name, value);
  }
}

// "<ms>-<seq>" or "<ms>". Checked here because XDEL on a missing stream ignores bad ids.
bool is_stream_id(std::string_view id) {
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos) return is_decimal_number(id);
  return is_decimal_number(id.substr(0, dash)) && is_decimal_number(id.substr(dash + 1));
}

}  // namespace

RedisStreamDeadLetterStore::RedisStreamDeadLetterStore(redis::Client& client,
                                                       std::string stream_key,
                                                       RedisStreamDeadLetterOptions options)
    : client_(client), stream_key_(std::move(stream_key)), options_(options) {
  if (stream_key_.empty())
    throw std::invalid_argument("RedisStreamDeadLetterStore needs a stream key");
}

Status RedisStreamDeadLetterStore::in_stream(const Status& error) const {
  return Status(error.code(), "dead-letter stream \"" + stream_key_ + "\": " + error.message(),
                error.detail());
}

Result<std::vector<std::string>> RedisStreamDeadLetterStore::send(
    std::span<const DeadLetter> letters) {
  if (letters.empty()) return std::vector<std::string>{};
  // XLEN before and after the XADDs, in the same transaction, tell exactly how many
  // letters the MAXLEN trim dropped.
  std::vector<redis::Command> commands;
  commands.reserve(letters.size() + 2);
  commands.push_back({"XLEN", stream_key_});
  for (const DeadLetter& letter : letters) commands.push_back(xadd_command(letter));
  commands.push_back({"XLEN", stream_key_});

  Result<std::vector<redis::Reply>> replies = client_.transaction(commands);
  if (!replies.ok()) return in_stream(replies.status());
  if (replies->size() != commands.size())
    return in_stream(
        Status(StatusCode::kInternal, "EXEC returned " + std::to_string(replies->size()) +
                                          " replies for " + std::to_string(commands.size())));
  std::vector<std::string> ids;
  ids.reserve(letters.size());
  for (size_t i = 1; i <= letters.size(); ++i) {
    Result<std::string> id = read_entry_id((*replies)[i]);
    if (!id.ok()) return id.status();
    ids.push_back(std::move(*id));
  }
  count_trimmed(replies->front(), replies->back(), letters.size());
  return ids;
}

redis::Command RedisStreamDeadLetterStore::xadd_command(const DeadLetter& letter) const {
  redis::Command xadd = {"XADD", stream_key_};
  if (options_.max_length > 0) {
    xadd.insert(xadd.end(), {"MAXLEN", std::to_string(options_.max_length)});
  }
  xadd.push_back("*");
  for (auto& [name, text] : letter_fields(letter)) {
    xadd.emplace_back(name);
    xadd.push_back(std::move(text));
  }
  for (const auto& [key, value] : letter.metadata) {
    xadd.push_back(std::string(kMetadataPrefix) + key);
    xadd.push_back(value);
  }
  return xadd;
}

Result<std::string> RedisStreamDeadLetterStore::read_entry_id(const redis::Reply& reply) const {
  if (reply.is_error()) return in_stream(redis::status_from_error_reply(reply.str(), "XADD"));
  if (!reply.is_string()) return in_stream(unexpected_reply("XADD", reply));
  return reply.str();
}

void RedisStreamDeadLetterStore::count_trimmed(const redis::Reply& length_before,
                                               const redis::Reply& length_after, size_t added) {
  if (!length_before.is_integer() || !length_after.is_integer()) return;
  const long long trimmed =
      length_before.integer() + static_cast<long long>(added) - length_after.integer();
  if (trimmed > 0) dropped_ += static_cast<uint64_t>(trimmed);
}

Result<std::vector<DeadLetter>> RedisStreamDeadLetterStore::receive(size_t max) {
  if (max == 0) return std::vector<DeadLetter>{};
  Result<redis::Reply> reply =
      client_.command({"XRANGE", stream_key_, "-", "+", "COUNT", std::to_string(max)});
  if (!reply.ok()) return in_stream(reply.status());
  if (!reply->is_array()) return in_stream(unexpected_reply("XRANGE", *reply));
  std::vector<DeadLetter> letters;
  letters.reserve(reply->size());
  for (const redis::Reply& entry : reply->elements()) {
    Result<DeadLetter> letter = dead_letter_from_stream_entry(entry);
    if (!letter.ok()) return in_stream(letter.status());
    letters.push_back(std::move(*letter));
  }
  return letters;
}

Status RedisStreamDeadLetterStore::remove(std::span<const std::string> ids) {
  if (ids.empty()) return Status::Ok();
  redis::Command xdel = {"XDEL", stream_key_};
  for (const std::string& id : ids) {
    if (!is_stream_id(id))
      return in_stream(
          Status(StatusCode::kInvalidArgument, "dead-letter id \"" + id +
                                                   "\" is not a stream entry id; use the "
                                                   "ids that receive() returned"));
    xdel.push_back(id);
  }
  Result<redis::Reply> reply = client_.command(xdel);
  return reply.ok() ? Status::Ok() : in_stream(reply.status());
}

Result<size_t> RedisStreamDeadLetterStore::count() {
  Result<redis::Reply> reply = client_.command({"XLEN", stream_key_});
  if (!reply.ok()) return in_stream(reply.status());
  if (!reply->is_integer()) return in_stream(unexpected_reply("XLEN", *reply));
  return static_cast<size_t>(reply->integer());
}

Result<DeadLetter> dead_letter_from_stream_entry(const redis::Reply& entry) {
  const bool well_formed = entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
                           entry[1].is_array() && entry[1].size() % 2 == 0;
  if (!well_formed) return unexpected_reply("stream entry", entry);
  DeadLetter letter;
  letter.id = entry[0].str();
  const std::vector<redis::Reply>& fields = entry[1].elements();
  for (size_t i = 0; i + 1 < fields.size(); i += 2)
    assign_stream_field(letter, fields[i].str(), fields[i + 1].str());
  return letter;
}

}  // namespace courier
