// EtcdStore's write path: commands become txns; answers wait for the watch to bring the
// change back (etcd_session.cc applies it). See etcd_store.h for the contract.
#include "dnsd/cluster/etcd_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "dnsd/cluster/json_util.h"
#include "dnsd/cluster/layout.h"

namespace dnsd::cluster {
namespace {

constexpr size_t kMaxOps = 40;  // guarded ops count 2-3 each; etcd's --max-txn-ops is 128
constexpr uint64_t kWaitForWatchMs = 5000;  // a committed write not seen by then: 503

registry::Error Unavailable(std::string why) {
  return registry::Error{registry::ErrorCode::kUnavailable, std::move(why), ""};
}

registry::Error NotFound(std::string_view service, std::string_view id) {
  return registry::Error{
      registry::ErrorCode::kNotFound,
      "unknown instance " + std::string(id) + " of service " + std::string(service), ""};
}

registry::Status CheckNote(const std::optional<std::string>& note) {
  if (note && note->size() > registry::kMaxNoteLength) {
    return registry::Invalid(
        "note", "note longer than " + std::to_string(registry::kMaxNoteLength) + " bytes");
  }
  return registry::Ok{};
}

std::string ExistsCompare(const std::string& key) {
  return Json{
      {"key", Base64Encode(key)}, {"target", "VERSION"}, {"result", "GREATER"}, {"version", "0"}}
      .dump();
}

}  // namespace

EtcdStore::EtcdStore(uv_loop_t* loop, registry::Registry& registry, EtcdStoreOptions options)
    : loop_(loop), registry_(registry), options_(std::move(options)) {
  client_ = std::make_unique<EtcdClient>(loop_, options_.endpoints);
  for (auto* t : {&keepalive_timer_, &retry_timer_, &watch_retry_timer_, &waiter_timer_}) {
    t->Init([&](uv_timer_t* h) { return uv_timer_init(loop_, h); });
    if (*t) t->get()->data = this;
  }
  registry_.AddObserver(this);
}

EtcdStore::~EtcdStore() {
  Stop();
  registry_.RemoveObserver(this);
}

void EtcdStore::Stop() {
  if (stopped_) return;
  stopped_ = true;
  client_.reset();
  for (auto* t : {&keepalive_timer_, &retry_timer_, &watch_retry_timer_, &waiter_timer_}) {
    t->Reset();
  }
  std::multimap<uint64_t, Waiter> waiting;
  waiting.swap(waiters_);
  for (auto& [rev, w] : waiting) w.done(Unavailable("dnsd is shutting down"));
}

bool EtcdStore::MineMeta(const std::string& owner, int64_t lease) const {
  return owner == options_.node && (lease == 0 || leases_.count(lease) > 0);
}

bool EtcdStore::Mine(const std::string& key) const {
  auto it = meta_.find(key);
  return it != meta_.end() && MineMeta(it->second.owner, it->second.lease);
}

void EtcdStore::OnRegistryEvent(const registry::RegistryEvent& e) {
  using Kind = registry::RegistryEvent::Kind;
  if (e.service.empty() || e.kind == Kind::kRestored || e.kind == Kind::kLapseHeldBack) return;
  std::string key = InstanceKey(options_.prefix, e.service, e.id);
  if (key == applying_) return;  // the change came from etcd
  dirty_.insert(std::move(key));
}

void EtcdStore::Submit(registry::Command cmd, Done done) {
  if (stopped_) return done(Unavailable("dnsd is shutting down"));
  if (!loaded_) return done(Unavailable("the registry is still loading from etcd"));
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, registry::RegisterCommand>) {
          SubmitRegister(c, std::move(done));
        } else if constexpr (std::is_same_v<T, registry::HeartbeatCommand>) {
          SubmitHeartbeat(c, std::move(done));
        } else if constexpr (std::is_same_v<T, registry::SetStatusCommand>) {
          SubmitSetStatus(c, std::move(done));
        } else if constexpr (std::is_same_v<T, registry::CheckResultCommand>) {
          // Checks run on the owner only (dnsd/checks); the change reaches etcd as the
          // registry's event, written back like a lease lapse.
          registry::Result<uint64_t> r = registry::Apply(registry_, registry::Command(std::move(c)));
          if (r) registry_.Publish();
          done(std::move(r));
        } else {
          SubmitDeregister(c, std::move(done));
        }
      },
      cmd);
}

void EtcdStore::SubmitRegister(registry::RegisterCommand& c, Done done) {
  if (registry::Status s = registry::Validate(c.spec); !s) return done(s.error());
  const registry::Instance* prev = registry_.Find(c.spec.service, c.spec.id);
  const registry::RegistryConfig& config = registry_.config();
  if (!prev) {
    if (registry_.Stats().instances >= config.max_instances) {
      return done(registry::Error{
          registry::ErrorCode::kLimit,
          "registry is full: max_instances (" + std::to_string(config.max_instances) + ") reached",
          ""});
    }
    if (registry_.Instances(c.spec.service).size() >= config.max_instances_per_service) {
      return done(registry::Error{registry::ErrorCode::kLimit,
                                  "service " + c.spec.service + " is full", "service"});
    }
  }
  registry::Instance next = FromSpec(c.spec, config.deregister_after, prev);
  // Consul's Check.Status (registry/command.h): the health the registration sets.
  // Eureka's overrides (force_status) also end or start maintenance.
  if (c.status && (next.health != registry::Health::kMaintenance || c.force_status)) {
    next.health = *c.status;
  }
  // Like the registry's own rule: no better than the checks' last results.
  next.health = registry::WithChecks(next.health, next.checks);
  const std::string key = InstanceKey(options_.prefix, next.service, next.id);
  // Re-registering an owned instance unchanged only renews its lease, in memory.
  if (prev && Mine(key) && registry::SameData(*prev, next) && prev->health == next.health &&
      !prev->is_protected) {
    applying_ = key;
    registry::Result<uint64_t> r = registry_.Register(std::move(c.spec));
    applying_.clear();
    return done(std::move(r));
  }
  if (RefusesWrites()) return done(Unavailable("etcd is unreachable: writes are refused"));
  Ops ops = {PutOp(next, options_.node, false)};
  // A Consul ID registered under another service moves: both in one transaction.
  if (c.moves_from && *c.moves_from != next.service &&
      registry_.Find(*c.moves_from, next.id) != nullptr) {
    const std::string old = InstanceKey(options_.prefix, *c.moves_from, next.id);
    ops.push_back(Json{{"request_delete_range", {{"key", Base64Encode(old)}}}}.dump());
  }
  Commit(key, std::move(ops), false, std::move(done));
}

void EtcdStore::SubmitHeartbeat(registry::HeartbeatCommand& c, Done done) {
  using registry::Health;
  if (c.status && *c.status != Health::kPassing && *c.status != Health::kWarning) {
    return done(registry::Invalid("status", "heartbeat status must be passing or warning, got " +
                                                std::string(HealthName(*c.status))));
  }
  if (registry::Status s = CheckNote(c.note); !s) return done(s.error());
  const registry::Instance* prev = registry_.Find(c.service, c.id);
  if (!prev) return done(NotFound(c.service, c.id));
  registry::Instance next = *prev;
  if (prev->health != Health::kMaintenance && !c.keep_status) {
    next.health = registry::WithChecks(c.status.value_or(Health::kPassing), next.checks);
    next.note = c.note.value_or(std::string());
  }
  const std::string key = InstanceKey(options_.prefix, prev->service, prev->id);
  const bool mine = Mine(key);
  const bool unchanged =
      next.health == prev->health && next.note == prev->note && !prev->is_protected;
  // The owner's lease lives in its memory: renewed without etcd, also while etcd is away
  // (a change is then written back on reconnect, through the registry's events).
  if (mine && (unchanged || !connected_)) {
    if (unchanged) applying_ = key;
    registry::Result<uint64_t> r = c.keep_status ? registry_.Renew(c.service, c.id)
                                                 : registry_.Heartbeat(c.service, c.id, c.status, c.note);
    applying_.clear();
    return done(std::move(r));
  }
  if (RefusesWrites()) return done(Unavailable("etcd is unreachable: writes are refused"));
  // Another replica's instance moves here (SPEC §8), or the owner writes a health change.
  Commit(key, {PutOp(next, options_.node, false)}, true, std::move(done));
}

void EtcdStore::SubmitSetStatus(registry::SetStatusCommand& c, Done done) {
  if (registry::Status s = CheckNote(c.note); !s) return done(s.error());
  const registry::Instance* prev = registry_.Find(c.service, c.id);
  if (!prev) return done(NotFound(c.service, c.id));
  if (RefusesWrites()) return done(Unavailable("etcd is unreachable: writes are refused"));
  registry::Instance next = *prev;
  next.health = registry::WithChecks(c.status, next.checks);
  next.note = c.note.value_or(std::string());
  const std::string key = InstanceKey(options_.prefix, prev->service, prev->id);
  // A status change does not move the instance: its owner and lease stay.
  auto it = meta_.find(key);
  const std::string owner = it == meta_.end() ? options_.node : it->second.owner;
  const bool mine = Mine(key);
  Commit(key, {PutOp(next, mine ? options_.node : owner, !mine)}, true, std::move(done));
}

void EtcdStore::SubmitDeregister(registry::DeregisterCommand& c, Done done) {
  const registry::Instance* prev = registry_.Find(c.service, c.id);
  if (!prev) return done(NotFound(c.service, c.id));
  if (RefusesWrites()) return done(Unavailable("etcd is unreachable: writes are refused"));
  const std::string key = InstanceKey(options_.prefix, prev->service, prev->id);
  Ops ops = {Json{{"request_delete_range", {{"key", Base64Encode(key)}}}}.dump()};
  Commit(key, std::move(ops), true, std::move(done));
}

std::string EtcdStore::PutOp(const registry::Instance& in, const std::string& owner,
                             bool keep_lease) const {
  Json put = {{"key", Base64Encode(InstanceKey(options_.prefix, in.service, in.id))},
              {"value", Base64Encode(EncodeValue(in, owner))}};
  if (keep_lease) {
    put["ignore_lease"] = true;
  } else if (in.ttl > registry::Duration::zero() && lease_ != 0) {
    // Lease-less instances (ttl 0) stay until deregistered: no replica's death removes them.
    put["lease"] = std::to_string(lease_);
  }
  return Json{{"request_put", put}}.dump();
}

std::string EtcdStore::GuardedPut(const std::string& key, const registry::Instance& in,
                                  bool or_if_gone) const {
  auto it = meta_.find(key);
  const uint64_t revision = it == meta_.end() ? 0 : it->second.revision;
  Json put = Json::parse(PutOp(in, options_.node, false));
  Json unchanged = {{"key", Base64Encode(key)},
                    {"target", "MOD"},
                    {"result", "EQUAL"},
                    {"mod_revision", std::to_string(revision)}};
  Json txn = {{"compare", {unchanged}}, {"success", {put}}};
  if (or_if_gone) {
    Json gone = {
        {"key", Base64Encode(key)}, {"target", "VERSION"}, {"result", "EQUAL"}, {"version", "0"}};
    txn["failure"] = {Json{{"request_txn", {{"compare", {gone}}, {"success", {put}}}}}};
  }
  return Json{{"request_txn", txn}}.dump();
}

std::string EtcdStore::GuardedDelete(const std::string& key) const {
  auto it = meta_.find(key);
  const uint64_t revision = it == meta_.end() ? 0 : it->second.revision;
  Json unchanged = {{"key", Base64Encode(key)},
                    {"target", "MOD"},
                    {"result", "EQUAL"},
                    {"mod_revision", std::to_string(revision)}};
  Json del = {{"request_delete_range", {{"key", Base64Encode(key)}}}};
  return Json{{"request_txn", {{"compare", {unchanged}}, {"success", {del}}}}}.dump();
}

void EtcdStore::Commit(const std::string& key, Ops ops, bool must_exist, Done done) {
  std::string body = "{\"compare\":[";
  if (must_exist) body += ExistsCompare(key);
  body += "],\"success\":[";
  for (size_t i = 0; i < ops.size(); ++i) body += (i ? "," : "") + ops[i];
  body += "]}";
  SendTxn(key, std::move(body), std::move(done), options_.endpoints.size());
}

void EtcdStore::SendTxn(std::string key, std::string body, Done done, size_t tries_left) {
  std::string copy = tries_left > 1 ? body : std::string();
  client_->Call("/v3/kv/txn", std::move(body), options_.request_timeout,
                [this, key, copy = std::move(copy), done = std::move(done),
                 tries_left](EtcdReply reply) mutable {
                  if (stopped_) return;
                  // Not sent at all (connection refused): the next member may take it.
                  if (!reply.ok() && !reply.sent_maybe && tries_left > 1) {
                    client_->Failover();
                    return SendTxn(std::move(key), std::move(copy), std::move(done),
                                   tries_left - 1);
                  }
                  if (!reply.ok()) {
                    spdlog::warn("etcd: write of {} failed: {}", key, reply.error);
                    done(Unavailable("etcd did not take the write: " + reply.error));
                    if (reply.status == 0) Lost(reply.error);
                    return;
                  }
                  Json j = Json::parse(reply.body, nullptr, false);
                  if (!j.is_object()) return done(Unavailable("etcd answered garbage"));
                  if (!j.value("succeeded", false)) {
                    return done(registry::Error{registry::ErrorCode::kNotFound,
                                                "unknown instance (removed meanwhile)", ""});
                  }
                  Wait(HeaderRevision(j), std::move(done));
                });
}

void EtcdStore::CommitMany(Ops ops, std::function<void(bool ok)> done) {
  if (ops.empty()) return done(true);
  auto left = std::make_shared<size_t>(0);
  auto ok = std::make_shared<bool>(true);
  auto shared_done = std::make_shared<std::function<void(bool)>>(std::move(done));
  for (size_t start = 0; start < ops.size(); start += kMaxOps) {
    std::string body = "{\"success\":[";
    for (size_t i = start; i < std::min(ops.size(), start + kMaxOps); ++i) {
      body += (i > start ? "," : "") + ops[i];
    }
    body += "]}";
    ++*left;
    client_->Call("/v3/kv/txn", std::move(body), options_.request_timeout,
                  [left, ok, shared_done](EtcdReply reply) {
                    if (!reply.ok()) {
                      spdlog::warn("etcd: txn failed: {}", reply.error);
                      *ok = false;
                    }
                    if (--*left == 0) (*shared_done)(*ok);
                  });
  }
}

void EtcdStore::Wait(uint64_t revision, Done done) {
  if (revision <= applied_) {
    registry_.Publish();  // visible in this replica's answers when the response is sent
    return done(revision);
  }
  uv_update_time(loop_);
  waiters_.emplace(revision, Waiter{std::move(done), uv_now(loop_) + kWaitForWatchMs});
  if (waiter_timer_ && !uv_is_active(waiter_timer_.handle())) {
    uv_timer_start(
        waiter_timer_.get(),
        [](uv_timer_t* h) {
          if (auto* self = static_cast<EtcdStore*>(h->data)) self->CheckWaiters();
        },
        500, 500);
  }
}

void EtcdStore::AnswerWaiters() {
  if (waiters_.empty() || waiters_.begin()->first > applied_) return;
  registry_.Publish();
  while (!waiters_.empty() && waiters_.begin()->first <= applied_) {
    auto node = waiters_.extract(waiters_.begin());
    node.mapped().done(node.key());
  }
}

// Refused at once only when etcd is known to be away: while the next member is being
// probed after one stopped answering (a member died, say), a write is sent to it as well;
// only after a whole round of members failed the probe is it refused without trying.
bool EtcdStore::RefusesWrites() const {
  if (connected_) return false;
  return !probing_ || probe_failures_ >= std::max<size_t>(1, options_.endpoints.size());
}

void EtcdStore::CheckWaiters() {
  const uint64_t now = uv_now(loop_);
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->second.deadline_ms > now) {
      ++it;
      continue;
    }
    Done done = std::move(it->second.done);
    it = waiters_.erase(it);
    done(Unavailable("the write was committed to etcd but its watch is late; it will show"));
  }
  if (waiters_.empty() && waiter_timer_) uv_timer_stop(waiter_timer_.get());
}

void EtcdStore::Flush() {
  if (stopped_ || !connected_ || connecting_ || probing_ || dirty_.empty()) return;
  Ops ops;
  std::vector<std::string> keys;
  for (const std::string& key : dirty_) {
    ParsedKey k = ParseKey(options_.prefix, key);
    if (k.kind != ParsedKey::Kind::kInstance || !Mine(key)) continue;
    if (const registry::Instance* in = registry_.Find(k.service, k.id)) {
      ops.push_back(GuardedPut(key, *in, false));
    } else {
      ops.push_back(GuardedDelete(key));
    }
    keys.push_back(key);
  }
  dirty_.clear();
  CommitMany(std::move(ops), [this, keys = std::move(keys)](bool ok) {
    if (ok || stopped_) return;
    dirty_.insert(keys.begin(), keys.end());  // written again by the write-back
    Lost("a lapse or removal could not be written");
  });
}

registry::StoreStatus EtcdStore::Status() const {
  registry::StoreStatus s;
  registry::ClusterStatus c;
  c.node = options_.node;
  c.connected = connected_ && !connecting_ && !probing_;
  c.revision = applied_;
  c.replicas.assign(nodes_.begin(), nodes_.end());
  s.cluster = std::move(c);
  return s;
}

}  // namespace dnsd::cluster
