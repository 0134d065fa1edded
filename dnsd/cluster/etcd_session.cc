// EtcdStore's session with etcd: the lease and its keepalives, the range read at
// startup (and after a compaction), the watch, and the write-back after a reconnect.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "dnsd/cluster/etcd_store.h"
#include "dnsd/cluster/json_util.h"
#include "dnsd/cluster/layout.h"

namespace dnsd::cluster {
namespace {

constexpr uint64_t kRetryMs = 300;
constexpr std::chrono::milliseconds kLoadTimeout{60000};

template <typename F>
void StartTimer(uv::UvHandle<uv_timer_t>& timer, uint64_t ms, uint64_t repeat, F) {
  if (!timer) return;
  uv_timer_start(
      timer.get(),
      [](uv_timer_t* h) {
        if (auto* self = static_cast<EtcdStore*>(h->data)) F{}(*self);
      },
      ms, repeat);
}

}  // namespace

void EtcdStore::Start() {
  registry_.BeginRestore();  // service names SERVFAIL, /readyz 503 until the range is applied
  spdlog::info("cluster: node {} joining etcd at {} (prefix {})", options_.node,
               client_->endpoint(), options_.prefix);
  Connect();
  const uint64_t every = std::max<uint64_t>(200, options_.session_ttl.count() / 3);
  struct Tick {
    void operator()(EtcdStore& s) { s.KeepAlive(); }
  };
  StartTimer(keepalive_timer_, every, every, Tick{});
}

void EtcdStore::ScheduleConnect(uint64_t delay_ms) {
  struct Again {
    void operator()(EtcdStore& s) { s.Connect(); }
  };
  StartTimer(retry_timer_, delay_ms, 0, Again{});
}

void EtcdStore::Lost(const std::string& why, bool lease_gone) {
  if (stopped_ || connecting_) return;
  if (connected_) spdlog::warn("cluster: lost etcd at {}: {}", client_->endpoint(), why);
  connected_ = false;
  if (lease_gone) {
    probing_ = false;
    connecting_ = true;
    return ScheduleConnect(0);
  }
  if (probing_) return;
  probing_ = true;
  probe_failures_ = 0;
  client_->Failover();
  struct Again {
    void operator()(EtcdStore& s) { s.Probe(); }
  };
  StartTimer(retry_timer_, 0, 0, Again{});
}

void EtcdStore::Probe() {
  if (stopped_ || !probing_) return;
  const auto timeout = std::max(std::chrono::milliseconds(500), options_.session_ttl / 3);
  Json body = {{"ID", std::to_string(lease_)}};
  client_->Call("/v3/lease/keepalive", body.dump(), timeout, [this](EtcdReply r) {
    if (!r.ok()) {
      ++probe_failures_;
      client_->Failover();
      struct Again {
        void operator()(EtcdStore& s) { s.Probe(); }
      };
      return StartTimer(retry_timer_, kRetryMs, 0, Again{});
    }
    Json j = Json::parse(r.body, nullptr, false);
    const Json result = j.is_object() ? j.value("result", Json::object()) : Json::object();
    probing_ = false;
    if (JsonInt(result, "TTL") <= 0) {
      spdlog::warn("cluster: etcd at {} no longer knows this replica's lease", client_->endpoint());
      connecting_ = true;
      return Connect();
    }
    spdlog::info("cluster: session resumed on etcd at {} (same lease)", client_->endpoint());
    connected_ = true;
    std::vector<Event> events;
    events.swap(buffered_);
    for (const Event& e : events) Apply(e);
    registry_.Publish();
    AnswerWaiters();
    StartWatch();  // the old one may hang on the member that was lost
  });
}

// A new lease every time: the old one may have run out while etcd was away.
void EtcdStore::Connect() {
  if (stopped_) return;
  connecting_ = true;
  const int64_t ttl_s = std::max<int64_t>(1, (options_.session_ttl.count() + 999) / 1000);
  Json body = {{"TTL", std::to_string(ttl_s)}};
  client_->Call("/v3/lease/grant", body.dump(), options_.request_timeout, [this](EtcdReply r) {
    Json j = r.ok() ? Json::parse(r.body, nullptr, false) : Json();
    const int64_t id = JsonInt(j, "ID");
    if (id == 0) {
      spdlog::debug("cluster: lease grant at {} failed: {}", client_->endpoint(),
                    r.error.empty() ? r.body : r.error);
      client_->Failover();
      return ScheduleConnect(kRetryMs);
    }
    lease_ = id;
    leases_.insert(id);
    OnLeased();
  });
}

void EtcdStore::OnLeased() {
  const std::string key = NodeKey(options_.prefix, options_.node);
  Json put = {{"key", Base64Encode(key)},
              {"value", Base64Encode(Json{{"node", options_.node}}.dump())},
              {"lease", std::to_string(lease_)}};
  client_->Call("/v3/kv/put", put.dump(), options_.request_timeout, [this](EtcdReply r) {
    if (!r.ok()) {
      client_->Failover();
      return ScheduleConnect(kRetryMs);
    }
    if (!loaded_) return Load(/*first=*/true);
    WriteBack();
  });
}

void EtcdStore::KeepAlive() {
  if (stopped_ || connecting_ || probing_ || keepalive_in_flight_ || lease_ == 0) return;
  keepalive_in_flight_ = true;
  const auto timeout = std::max(std::chrono::milliseconds(500), options_.session_ttl / 3);
  Json body = {{"ID", std::to_string(lease_)}};
  client_->Call("/v3/lease/keepalive", body.dump(), timeout, [this](EtcdReply r) {
    keepalive_in_flight_ = false;
    if (!r.ok()) return Lost("lease keepalive: " + r.error);
    Json j = Json::parse(r.body, nullptr, false);
    const Json result = j.is_object() ? j.value("result", Json::object()) : Json::object();
    if (JsonInt(result, "TTL") <= 0) Lost("the lease ran out", /*lease_gone=*/true);
  });
}

void EtcdStore::Load(bool first) {
  Json body = {{"key", Base64Encode(options_.prefix)},
               {"range_end", Base64Encode(PrefixEnd(options_.prefix))}};
  client_->Call("/v3/kv/range", body.dump(), kLoadTimeout, [this, first](EtcdReply r) {
    Json j = r.ok() ? Json::parse(r.body, nullptr, false) : Json();
    const uint64_t revision = j.is_object() ? HeaderRevision(j) : 0;
    if (revision == 0) {
      spdlog::warn("cluster: range read at {} failed: {}", client_->endpoint(),
                   r.error.empty() ? r.body.substr(0, 200) : r.error);
      client_->Failover();
      if (first) return ScheduleConnect(kRetryMs);
      struct Again {
        void operator()(EtcdStore& s) { s.Load(false); }
      };
      return StartTimer(watch_retry_timer_, kRetryMs, 0, Again{});
    }
    std::unordered_set<std::string> seen;
    nodes_.clear();
    for (const Json& kv : j.value("kvs", Json::array())) {
      Event e;
      e.key = Base64Decode(kv.value("key", "")).value_or("");
      e.value = Base64Decode(kv.value("value", "")).value_or("");
      e.revision = static_cast<uint64_t>(JsonInt(kv, "mod_revision"));
      e.lease = JsonInt(kv, "lease");
      seen.insert(e.key);
      Apply(e);
    }
    // After a compaction: what is gone from etcd goes from here too.
    std::vector<std::pair<std::string, std::string>> gone;
    for (const auto& summary : registry_.Services()) {
      for (const registry::Instance* in : registry_.Instances(summary.name)) {
        if (!seen.count(InstanceKey(options_.prefix, in->service, in->id))) {
          gone.emplace_back(in->service, in->id);
        }
      }
    }
    for (const auto& [service, id] : gone) {
      meta_.erase(InstanceKey(options_.prefix, service, id));
      applying_ = InstanceKey(options_.prefix, service, id);
      registry_.RemoveAt(service, id, revision);
      applying_.clear();
    }
    applied_ = std::max(applied_, revision);
    if (first) {
      registry_.FinishRestoreAt(revision);
      loaded_ = true;
      spdlog::info("cluster: loaded {} key(s) at revision {} from {}", seen.size(), revision,
                   client_->endpoint());
      connected_ = true;
      connecting_ = false;
    } else {
      spdlog::info("cluster: reloaded {} key(s) at revision {}", seen.size(), revision);
    }
    registry_.Publish();
    StartWatch();
    AnswerWaiters();
  });
}

// After etcd came back: every instance this replica owns, with its state as kept in
// memory meanwhile, goes back under the new lease; the old lease is then revoked (any
// key still attached to it belonged to an instance that is gone here).
void EtcdStore::WriteBack() {
  Ops ops;
  size_t puts = 0;
  for (const auto& summary : registry_.Services()) {
    for (const registry::Instance* in : registry_.Instances(summary.name)) {
      const std::string key = InstanceKey(options_.prefix, in->service, in->id);
      if (!Mine(key)) continue;
      ops.push_back(GuardedPut(key, *in, /*or_if_gone=*/true));
      ++puts;
    }
  }
  for (const std::string& key : dirty_) {
    ParsedKey k = ParseKey(options_.prefix, key);
    if (k.kind == ParsedKey::Kind::kInstance && Mine(key) && !registry_.Find(k.service, k.id)) {
      ops.push_back(GuardedDelete(key));
    }
  }
  CommitMany(std::move(ops), [this, puts](bool ok) {
    if (stopped_) return;
    if (!ok) {
      client_->Failover();
      return ScheduleConnect(kRetryMs);
    }
    dirty_.clear();
    for (int64_t old : leases_) {
      if (old == lease_ || revoked_.count(old)) continue;
      Json body = {{"ID", std::to_string(old)}};
      client_->Call("/v3/lease/revoke", body.dump(), options_.request_timeout, [](EtcdReply) {});
      revoked_.insert(old);
    }
    spdlog::info("cluster: reconnected to etcd at {}: new lease, {} owned instance(s) written back",
                 client_->endpoint(), puts);
    connected_ = true;
    connecting_ = false;
    std::vector<Event> events;
    events.swap(buffered_);
    for (const Event& e : events) Apply(e);
    registry_.Publish();
    AnswerWaiters();
    // The watch may hang on the member that was lost: resume it where we are, on the
    // endpoint that answered (events seen twice are applied twice, to the same result).
    StartWatch();
  });
}

void EtcdStore::StartWatch() {
  if (stopped_) return;
  if (watch_id_ != 0) client_->Cancel(watch_id_);
  Json create = {{"key", Base64Encode(options_.prefix)},
                 {"range_end", Base64Encode(PrefixEnd(options_.prefix))},
                 {"start_revision", std::to_string(applied_ + 1)}};
  Json body = {{"create_request", create}};
  watch_id_ = client_->Stream(
      "/v3/watch", body.dump(), [this](std::string_view line) { OnWatchLine(line); },
      [this](std::string error) {
        watch_id_ = 0;
        if (stopped_) return;
        spdlog::warn("cluster: watch at {} ended: {}", client_->endpoint(), error);
        client_->Failover();
        struct Again {
          void operator()(EtcdStore& s) { s.StartWatch(); }
        };
        StartTimer(watch_retry_timer_, kRetryMs, 0, Again{});
      });
}

void EtcdStore::OnWatchLine(std::string_view line) {
  Json j = Json::parse(line, nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("error")) {
    spdlog::warn("cluster: watch error: {}", std::string(line.substr(0, 300)));
    client_->Cancel(watch_id_);
    watch_id_ = 0;
    struct Again {
      void operator()(EtcdStore& s) { s.StartWatch(); }
    };
    return StartTimer(watch_retry_timer_, kRetryMs, 0, Again{});
  }
  const Json result = j.value("result", Json::object());
  if (result.value("canceled", false)) {
    client_->Cancel(watch_id_);
    watch_id_ = 0;
    const int64_t compacted = JsonInt(result, "compact_revision");
    spdlog::warn("cluster: watch canceled (compacted up to {}): reloading", compacted);
    return Load(/*first=*/false);
  }
  const Json events = result.value("events", Json::array());
  for (const Json& ev : events) {
    const Json kv = ev.value("kv", Json::object());
    Event e;
    e.put = ev.value("type", "PUT") != "DELETE";
    e.key = Base64Decode(kv.value("key", "")).value_or("");
    e.value = Base64Decode(kv.value("value", "")).value_or("");
    e.revision = static_cast<uint64_t>(JsonInt(kv, "mod_revision"));
    e.lease = JsonInt(kv, "lease");
    // Disconnected: a delete of an owned instance may be etcd dropping the lease while
    // it was away; held back until the write-back has read what this replica owns.
    if (connecting_ || probing_) {
      buffered_.push_back(std::move(e));
    } else {
      Apply(e);
    }
  }
  if (!events.empty() && !connecting_ && !probing_) AnswerWaiters();
}

void EtcdStore::Apply(const Event& e) {
  ParsedKey k = ParseKey(options_.prefix, e.key);
  applied_ = std::max(applied_, e.revision);
  if (k.kind == ParsedKey::Kind::kNode) {
    e.put ? (void)nodes_.insert(k.node) : (void)nodes_.erase(k.node);
    return;
  }
  if (k.kind != ParsedKey::Kind::kInstance) return;
  applying_ = e.key;
  if (!e.put) {
    meta_.erase(e.key);
    registry_.RemoveAt(k.service, k.id, e.revision);
  } else if (registry::Result<InstanceValue> v = DecodeValue(e.value); !v) {
    spdlog::warn("cluster: ignoring {} at revision {}: {}", e.key, e.revision, v.error().message);
  } else {
    meta_[e.key] = KeyMeta{v->owner, e.lease, e.revision};
    const bool owned = MineMeta(v->owner, e.lease);
    registry_.ApplyAt(std::move(v->instance), e.revision, owned);
  }
  applying_.clear();
}

}  // namespace dnsd::cluster
