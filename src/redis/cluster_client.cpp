#include "redis/cluster_client.h"

#include <algorithm>
#include <unordered_set>

#include "redis/slot.h"
#include "redis/transaction.h"

namespace courier::redis {
namespace {

// A stale map (after a connection failure) is reloaded on use, but not more often than
// this, so an unreachable node does not turn every call into a CLUSTER SLOTS round trip.
constexpr std::chrono::milliseconds kStaleRefreshInterval{100};
// A node whose connection failed this recently is asked for the slot map only after the
// others (it may be dead: connecting to it can cost a whole connect timeout).
constexpr std::chrono::seconds kRecentFailure{5};

std::optional<Redirect> redirect_in(const Result<Reply>& reply) {
  if (!reply.ok() || !reply->is_error()) return std::nullopt;
  return parse_redirect(reply->str());
}

// A node that does not know its own address redirects to ":port"; it is on the host that
// sent the redirect.
Redirect with_sender_host(Redirect redirect, const std::string& sender) {
  if (!redirect.address.starts_with(':')) return redirect;
  Result<NodeAddress> node = parse_address(sender);
  if (!node.ok()) return redirect;
  std::string host =
      node->host.find(':') == std::string::npos ? node->host : "[" + node->host + "]";
  redirect.address = host + redirect.address;
  return redirect;
}

// ASKING and the command in one round trip; the command's reply (or ASKING's refusal).
Result<Reply> run_asking(Connection& connection, const Command& command) {
  (void)connection.append({"ASKING"});
  (void)connection.append(command);
  std::vector<Result<Reply>> replies = connection.read_replies(2);
  if (replies[0].ok() && replies[0]->is_error()) return std::move(replies[0]);
  return std::move(replies[1]);
}

// The one slot every key of a transaction hashes to (nullopt when it has no keys).
Result<std::optional<int>> transaction_slot(const std::vector<Command>& commands) {
  std::optional<int> slot;
  std::string_view first_key;
  for (const Command& command : commands) {
    for (std::string_view key : command_keys(command)) {
      int key_slot_value = key_slot(key);
      if (!slot) {
        slot = key_slot_value;
        first_key = key;
      } else if (key_slot_value != *slot) {
        return Status(StatusCode::kInvalidArgument,
                      "redis cluster: a transaction must keep all keys in one slot, but '" +
                          std::string(first_key) + "' is in slot " + std::to_string(*slot) +
                          " and '" + std::string(key) + "' in slot " +
                          std::to_string(key_slot_value) + "; put them under one {hash tag}",
                      "CROSSSLOT");
      }
    }
  }
  return slot;
}

}  // namespace

ClusterClient::ClusterClient(ClientOptions options, std::vector<std::string> seeds)
    : options_(std::move(options)), seeds_(std::move(seeds)) {}

Result<std::unique_ptr<ClusterClient>> ClusterClient::create(const ClientOptions& options) {
  ClientOptions cluster_options = options;
  cluster_options.topology = Topology::kCluster;
  Result<std::vector<NodeAddress>> nodes = validate_client_options(cluster_options);
  if (!nodes.ok()) return nodes.status();
  std::vector<std::string> seeds;
  for (const NodeAddress& node : *nodes) seeds.push_back(node.to_string());
  return std::unique_ptr<ClusterClient>(
      new ClusterClient(std::move(cluster_options), std::move(seeds)));
}

// ---------- routing and the slot map ----------

ClusterClient::Route ClusterClient::route_for(const Command& command, size_t read_turn) const {
  std::optional<std::string_view> key = routing_key(command);
  return Route{key ? std::optional<int>(key_slot(*key)) : std::nullopt,
               options_.read_from_replicas && is_read_only(command), read_turn};
}

Result<ClusterClient::Target> ClusterClient::target_for(const Route& route, const SlotMap& map) {
  if (map.empty())
    return Status(StatusCode::kUnavailable, "redis cluster: the slot map is empty", "CLUSTERDOWN");
  if (!route.slot) return Target{map.shards()[keyless_turn_++ % map.shards().size()].master};
  const Shard* shard = map.shard_for_slot(*route.slot);
  if (!shard) {
    slot_map_stale_ = true;
    return Status(StatusCode::kUnavailable,
                  "redis cluster: no node serves slot " + std::to_string(*route.slot) +
                      "; the cluster is being reconfigured",
                  "CLUSTERDOWN");
  }
  if (route.read_only && !shard->replicas.empty()) {
    size_t copy = route.read_turn % (shard->replicas.size() + 1);
    if (copy > 0) return Target{shard->replicas[copy - 1], true};
  }
  return Target{shard->master};
}

Result<std::shared_ptr<const SlotMap>> ClusterClient::current_slot_map() {
  bool refresh_due =
      slot_map_stale_ && std::chrono::steady_clock::now() - last_refresh_ >= kStaleRefreshInterval;
  if (!slot_map_.load() || refresh_due) {
    Status refreshed = refresh_slot_map();
    if (!slot_map_.load()) return refreshed;
  }
  return slot_map_.load();
}

Status ClusterClient::refresh_slot_map() {
  return refresh_slot_map_from("");
}

Status ClusterClient::refresh_slot_map_from(const std::string& preferred) {
  last_refresh_ = std::chrono::steady_clock::now();
  std::vector<std::string> candidates;
  auto add = [&](const std::string& address) {
    if (!address.empty() &&
        std::find(candidates.begin(), candidates.end(), address) == candidates.end())
      candidates.push_back(address);
  };
  add(preferred);
  if (auto known = slot_map_.load()) {
    for (const Shard& shard : known->shards()) add(shard.master);
    for (const Shard& shard : known->shards())
      for (const std::string& replica : shard.replicas) add(replica);
  }
  for (const std::string& seed : seeds_) add(seed);
  auto now = std::chrono::steady_clock::now();
  std::stable_partition(candidates.begin(), candidates.end(), [&](const std::string& address) {
    auto failed = failed_at_.find(address);
    return failed == failed_at_.end() || now - failed->second >= kRecentFailure;
  });

  Status last_failure(StatusCode::kUnavailable, "no node to ask", "CLUSTERDOWN");
  for (const std::string& address : candidates) {
    Result<SlotMap> map = fetch_slot_map(address);
    if (map.ok()) {
      install_slot_map(std::move(*map));
      return Status::Ok();
    }
    last_failure = map.status();
  }
  ++stats_.failed_refreshes;
  Status failure(last_failure.code(),
                 "redis cluster: cannot load the slot map from any of " +
                     std::to_string(candidates.size()) + " nodes (last: " + last_failure.message() +
                     ")",
                 last_failure.detail());
  log_.warn("slot map", failure.message());
  return failure;
}

Result<SlotMap> ClusterClient::fetch_slot_map(const std::string& address) {
  Result<Connection*> connection = connection_to(Target{address});
  if (!connection.ok()) return connection.status();
  Result<Reply> reply = (*connection)->run({"CLUSTER", "SLOTS"});
  if (!reply.ok()) {
    note_connection_failure(address, reply.status());
    return reply.status();
  }
  if (reply->is_error())
    return status_from_error_reply(reply->str(), "CLUSTER SLOTS on " + address);
  Result<NodeAddress> node = parse_address(address);
  Result<SlotMap> map = SlotMap::from_cluster_slots(*reply, node.ok() ? node->host : "");
  if (map.ok() && map->empty())
    return Status(StatusCode::kUnavailable,
                  "CLUSTER SLOTS on " + address + ": the node serves no slots yet", "CLUSTERDOWN");
  return map;
}

void ClusterClient::install_slot_map(SlotMap map) {
  auto installed = std::make_shared<const SlotMap>(std::move(map));
  slot_map_.store(installed);
  slot_map_stale_ = false;
  ++stats_.slot_map_refreshes;
  std::unordered_set<std::string> nodes;
  for (const Shard& shard : installed->shards()) {
    nodes.insert(shard.master);
    nodes.insert(shard.replicas.begin(), shard.replicas.end());
  }
  std::erase_if(connections_, [&](const auto& entry) { return !nodes.contains(entry.first); });
}

void ClusterClient::apply_moved(const std::vector<Redirect>& moves) {
  // The node named by MOVED knows it owns the slot; ask it first.
  (void)refresh_slot_map_from(moves.front().address);
  auto known = slot_map_.load();
  if (!known) return;
  // Other nodes may still disagree (the news travels by gossip): trust the redirects.
  std::optional<SlotMap> patched;
  for (const Redirect& move : moves) {
    const Shard* shard = (patched ? *patched : *known).shard_for_slot(move.slot);
    if (shard && shard->master == move.address) continue;
    if (!patched) patched = *known;
    patched->set_slot_owner(move.slot, move.address);
  }
  if (patched) slot_map_.store(std::make_shared<const SlotMap>(std::move(*patched)));
}

// ---------- connections and failures ----------

Result<Connection*> ClusterClient::connection_to(const Target& target) {
  auto found = connections_.find(target.address);
  if (found != connections_.end() && !found->second.connection.idle()) {
    connections_.erase(found);
    found = connections_.end();
  }
  if (found == connections_.end()) {
    Result<NodeAddress> node = parse_address(target.address);
    if (!node.ok())
      return Status(StatusCode::kInternal, "redis cluster: " + node.status().message());
    ConnectionOptions options = options_.connection;
    options.host = node->host;
    options.port = node->port;
    Result<Connection> opened = Connection::open(options);
    if (!opened.ok()) {
      note_connection_failure(target.address, opened.status());
      return opened.status();
    }
    failed_at_.erase(target.address);
    found = connections_.emplace(target.address, NodeConnection{std::move(*opened)}).first;
  }
  NodeConnection& node = found->second;
  if (target.replica && !node.readonly) {
    Result<Reply> reply = node.connection.run({"READONLY"});
    if (!reply.ok()) {
      note_connection_failure(target.address, reply.status());
      return reply.status();
    }
    if (reply->is_error())
      return status_from_error_reply(reply->str(), "READONLY on " + target.address);
    node.readonly = true;
  }
  return &node.connection;
}

void ClusterClient::note_connection_failure(const std::string& address, const Status& failure) {
  ++stats_.connection_failures;
  slot_map_stale_ = true;
  connections_.erase(address);
  failed_at_[address] = std::chrono::steady_clock::now();
  log_.warn(address, "redis cluster: " + failure.message() + " (the slot map will be refreshed)");
}

void ClusterClient::count_redirect(const Redirect& redirect) {
  ++(redirect.kind == Redirect::Kind::kAsk ? stats_.ask_redirects : stats_.moved_redirects);
}

// ---------- single commands and transactions ----------

Result<Reply> ClusterClient::follow_redirects(const Route& route, std::string_view what,
                                              std::optional<Redirect> redirect, int attempts_used,
                                              const AttemptFunction& attempt) {
  Status last_failure(StatusCode::kUnavailable, "no attempt made");
  std::string unreachable;  // the node that just refused us, if any
  for (int attempts = attempts_used; attempts <= options_.max_redirects; ++attempts) {
    Result<Target> target = Target{};
    if (redirect) {
      target = Target{redirect->address};
    } else {
      Result<std::shared_ptr<const SlotMap>> map = current_slot_map();
      if (!map.ok()) return map.status();
      target = target_for(route, **map);
    }
    if (!target.ok()) return target.status();
    // The cluster still names the node we could not reach: it has not failed over (yet).
    if (target->address == unreachable) return last_failure;

    Result<Connection*> connection = connection_to(*target);
    if (!connection.ok()) {
      if (!connection.status().retryable()) return connection.status();
      // Nothing was sent, so trying wherever the cluster now says is safe.
      last_failure = connection.status();
      unreachable = target->address;
      redirect.reset();
      (void)refresh_slot_map();
      continue;
    }
    unreachable.clear();
    Attempt outcome = attempt(**connection, redirect && redirect->kind == Redirect::Kind::kAsk);
    if (!(*connection)->healthy())
      note_connection_failure(target->address, outcome.result.status());
    if (!outcome.redirect) return std::move(outcome.result);

    redirect = with_sender_host(std::move(*outcome.redirect), target->address);
    count_redirect(*redirect);
    if (redirect->kind == Redirect::Kind::kMoved) apply_moved({*redirect});
    last_failure = outcome.result.status();
  }
  ++stats_.gave_up;
  Status failure(StatusCode::kUnavailable,
                 "redis cluster: " + std::string(what) + " gave up after " +
                     std::to_string(options_.max_redirects) +
                     " redirects/reconnects; retry later (last: " + last_failure.message() + ")",
                 last_failure.detail());
  log_.warn("gave up", failure.message());
  return failure;
}

Result<Reply> ClusterClient::execute(const Command& command, std::optional<Redirect> redirect,
                                     int attempts_used) {
  auto attempt = [&](Connection& connection, bool asking) -> Attempt {
    Result<Reply> reply = asking ? run_asking(connection, command) : connection.run(command);
    std::optional<Redirect> next = redirect_in(reply);
    if (!reply.ok()) return {reply.status(), std::nullopt};
    return {reply_or_error(std::move(*reply), command, connection.address()), std::move(next)};
  };
  return follow_redirects(route_for(command, read_turn_++), command_name(command),
                          std::move(redirect), attempts_used, attempt);
}

Result<Reply> ClusterClient::command(const Command& command) {
  if (Status valid = check_command(command); !valid.ok()) return valid;
  return execute(command, std::nullopt, 0);
}

Result<std::vector<Reply>> ClusterClient::transaction(const std::vector<Command>& commands) {
  return run_guarded(nullptr, commands);
}

Result<std::vector<Reply>> ClusterClient::guarded_transaction(
    const TransactionGuard& guard, const std::vector<Command>& commands) {
  return run_guarded(&guard, commands);
}

Result<std::vector<Reply>> ClusterClient::run_guarded(const TransactionGuard* guard,
                                                      const std::vector<Command>& commands) {
  for (const Command& command : commands)
    if (Status valid = check_command(command); !valid.ok()) return valid;
  std::vector<Command> keyed = commands;  // the guard's key must share the slot too
  if (guard) keyed.push_back({"GET", guard->key});
  Result<std::optional<int>> slot = transaction_slot(keyed);
  if (!slot.ok()) return slot.status();
  // The attempt carries the EXEC replies as one array reply through the redirect loop.
  auto attempt = [&](Connection& connection, bool asking) -> Attempt {
    TransactionOutcome outcome = run_transaction(connection, commands, asking, guard);
    if (!outcome.result.ok()) return {outcome.result.status(), std::move(outcome.redirect)};
    return {Reply::from_array(std::move(*outcome.result)), std::nullopt};
  };
  Result<Reply> result =
      follow_redirects(Route{*slot, false}, "transaction", std::nullopt, 0, attempt);
  if (!result.ok()) return result.status();
  return std::move(*result).take_elements();
}

// ---------- pipelines and fan-out ----------

void ClusterClient::exchange(std::vector<NodeBatch>& batches,
                             const std::function<const Command&(size_t)>& command_at,
                             std::vector<Result<Reply>>& results, std::vector<Retry>& retries) {
  // Write every node's commands before reading any reply: the nodes work in parallel.
  for (NodeBatch& batch : batches) {
    Result<Connection*> connection = connection_to(batch.target);
    if (!connection.ok()) {
      for (size_t index : batch.indices) {
        if (connection.status().retryable())
          retries.push_back(Retry{index, std::nullopt, connection.status(), batch.target.address});
        else
          results[index] = connection.status();
      }
      continue;
    }
    batch.connection = *connection;
    for (size_t index : batch.indices) (void)batch.connection->append(command_at(index));
    (void)batch.connection->flush();  // a failure surfaces in read_reply
  }
  for (NodeBatch& batch : batches) {
    if (!batch.connection) continue;
    const std::string& address = batch.target.address;
    for (size_t index : batch.indices) {
      // After an I/O failure every further read_reply() returns that failure at once.
      Result<Reply> reply = batch.connection->read_reply();
      if (std::optional<Redirect> redirect = redirect_in(reply)) {
        Redirect resolved = with_sender_host(std::move(*redirect), address);
        count_redirect(resolved);
        retries.push_back(
            Retry{index, std::move(resolved), status_from_error_reply(reply->str()), address});
        continue;
      }
      results[index] = reply.ok() ? reply_or_error(std::move(*reply), command_at(index), address)
                                  : std::move(reply);
    }
    if (!batch.connection->healthy())
      note_connection_failure(address, results[batch.indices.back()].status());
  }
}

void ClusterClient::run_retries(const std::vector<Command>& commands,
                                const std::vector<Retry>& retries,
                                std::vector<Result<Reply>>& results) {
  if (retries.empty()) return;
  std::vector<Redirect> moves;
  for (const Retry& retry : retries)
    if (retry.redirect && retry.redirect->kind == Redirect::Kind::kMoved)
      moves.push_back(*retry.redirect);
  bool unreachable = std::any_of(retries.begin(), retries.end(),
                                 [](const Retry& retry) { return !retry.redirect; });
  // One refresh for the whole round trip, then each command on its own.
  if (!moves.empty()) {
    apply_moved(moves);
  } else if (unreachable) {
    (void)refresh_slot_map();
  }
  for (const Retry& retry : retries) {
    const Command& command = commands[retry.index];
    if (!retry.redirect && still_routed_to(command, retry.node)) {
      results[retry.index] = retry.cause;  // the cluster has not moved its slots (yet)
      continue;
    }
    results[retry.index] = execute(command, retry.redirect, 1);
  }
}

bool ClusterClient::still_routed_to(const Command& command, const std::string& node) {
  auto known = slot_map_.load();
  if (!known) return true;
  // The turn the retry (execute) will take next: the check and the retry agree.
  Result<Target> target = target_for(route_for(command, read_turn_), *known);
  return !target.ok() || target->address == node;
}

std::vector<Result<Reply>> ClusterClient::pipeline(const std::vector<Command>& commands) {
  std::vector<Result<Reply>> results(commands.size(), Status(StatusCode::kInternal, "not sent"));
  Result<std::shared_ptr<const SlotMap>> map = current_slot_map();
  if (!map.ok()) {
    std::fill(results.begin(), results.end(), Result<Reply>(map.status()));
    return results;
  }
  std::vector<NodeBatch> batches;
  std::unordered_map<std::string, size_t> batch_of_node;
  size_t read_turn = read_turn_++;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (Status valid = check_command(commands[i]); !valid.ok()) {
      results[i] = valid;
      continue;
    }
    Result<Target> target = target_for(route_for(commands[i], read_turn), **map);
    if (!target.ok()) {
      results[i] = target.status();
      continue;
    }
    auto [entry, added] = batch_of_node.try_emplace(target->address, batches.size());
    if (added) batches.push_back(NodeBatch{std::move(*target), {}});
    batches[entry->second].indices.push_back(i);
  }
  std::vector<Retry> retries;
  exchange(
      batches, [&](size_t index) -> const Command& { return commands[index]; }, results, retries);
  run_retries(commands, retries, results);
  return results;
}

std::vector<Result<Reply>> ClusterClient::on_every_master(const Command& command) {
  if (Status valid = check_command(command); !valid.ok()) return {valid};
  Result<std::shared_ptr<const SlotMap>> map = current_slot_map();
  if (!map.ok()) return {map.status()};
  const std::vector<Shard>& shards = (*map)->shards();
  std::vector<Result<Reply>> results(shards.size(), Status(StatusCode::kInternal, "not sent"));
  std::vector<NodeBatch> batches;
  for (size_t i = 0; i < shards.size(); ++i)
    batches.push_back(NodeBatch{Target{shards[i].master}, {i}});
  std::vector<Retry> retries;
  exchange(
      batches, [&](size_t) -> const Command& { return command; }, results, retries);
  for (const Retry& retry : retries) results[retry.index] = retry.cause;
  return results;
}

Status ClusterClient::scan_keys(const std::string& pattern, const std::string& type,
                               const KeysHandler& on_keys) {
  // The masters of one slot map: a failover in between fails the walk (a retry starts
  // again) rather than mixing cursors of two nodes.
  Result<std::shared_ptr<const SlotMap>> map = current_slot_map();
  if (!map.ok()) return map.status();
  const std::vector<Shard>& shards = (*map)->shards();
  std::vector<std::string> cursors(shards.size(), "0");
  std::vector<bool> walking(shards.size(), true);
  while (true) {
    std::vector<Command> scans;
    std::vector<size_t> shard_of;  // per scan
    std::vector<NodeBatch> batches;
    for (size_t i = 0; i < shards.size(); ++i) {
      if (!walking[i]) continue;
      batches.push_back(NodeBatch{Target{shards[i].master}, {scans.size()}});
      scans.push_back(scan_command(cursors[i], pattern, type));
      shard_of.push_back(i);
    }
    if (scans.empty()) return Status::Ok();
    std::vector<Result<Reply>> results(scans.size(), Status(StatusCode::kInternal, "not sent"));
    std::vector<Retry> retries;
    exchange(
        batches, [&](size_t i) -> const Command& { return scans[i]; }, results, retries);
    for (const Retry& retry : retries) results[retry.index] = retry.cause;
    for (size_t s = 0; s < scans.size(); ++s) {
      if (!results[s].ok()) return results[s].status();
      auto page = read_scan_page(*results[s]);
      if (!page.ok()) return page.status();
      if (Status handled = on_keys(page->second); !handled.ok()) return handled;
      cursors[shard_of[s]] = page->first;
      walking[shard_of[s]] = page->first != "0";
    }
  }
}

Status ClusterClient::ping() {
  for (const Result<Reply>& reply : on_every_master({"PING"}))
    if (!reply.ok()) return reply.status();
  return Status::Ok();
}

}  // namespace courier::redis
