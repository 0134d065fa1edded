// EtcdStore: the registry shared through etcd (SPEC §8; docs/DESIGN.md, "Cluster mode").
//
// Every replica holds the whole registry in memory, loaded by one range read and kept
// current by a watch from the revision after it (resumed from the last applied revision
// after a reconnect, reloaded after a compaction). A write is a txn committed to etcd;
// it is applied when the watch brings it back, at its revision (Registry::ApplyAt), and
// only then answered, so the index is etcd's revision on every replica.
//
// Ownership: an instance belongs to the replica that wrote its registration or its last
// heartbeat (the value's "owner", and the key attached to that replica's etcd lease of
// session_ttl). The owner keeps its lease in memory: a heartbeat that changes nothing is
// answered there without an etcd write; lapses and removals are applied by the owner's
// registry and written by Flush(). A heartbeat on another replica moves the instance
// there (one write). Without etcd, DNS keeps answering, writes get 503 (heartbeats of
// owned instances still renew in memory), and on return the replica takes a new lease
// and writes back every instance it owns.
//
// Threading: everything runs on the registry's (control) thread and its libuv loop.
// Start() once after construction; Stop() before the loop ends (SIGTERM: nothing is
// deleted from etcd, the lease simply runs out).
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dnsd/cluster/etcd_client.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::cluster {

struct EtcdStoreOptions {
  std::vector<std::string> endpoints;
  std::string prefix = "/dnsd/";
  std::string node;
  registry::Duration session_ttl = std::chrono::seconds(10);
  registry::Duration request_timeout = std::chrono::seconds(3);
};

class EtcdStore final : public registry::Store, private registry::RegistryObserver {
 public:
  EtcdStore(uv_loop_t* loop, registry::Registry& registry, EtcdStoreOptions options);
  ~EtcdStore() override;
  EtcdStore(const EtcdStore&) = delete;
  EtcdStore& operator=(const EtcdStore&) = delete;

  void Start();  // the registry answers "loading" until the first range read is applied
  void Stop();   // stops every etcd call and timer; writes still waiting get 503

  void Submit(registry::Command cmd, Done done) override;
  registry::StoreStatus Status() const override;
  // Writes the changes this replica's registry made by itself (lapses, removals, and
  // heartbeats taken while etcd was away) to the instances it owns. Once per loop turn.
  void Flush();

 private:
  struct KeyMeta {
    std::string owner;
    int64_t lease = 0;
    uint64_t revision = 0;  // the key's mod_revision as last applied here
  };
  struct Event {
    bool put = true;
    std::string key;
    std::string value;
    uint64_t revision = 0;
    int64_t lease = 0;
  };
  struct Waiter {
    Done done;
    uint64_t deadline_ms = 0;
  };
  using Ops = std::vector<std::string>;  // txn operations, JSON

  // etcd_store.cc: the write path.
  void OnRegistryEvent(const registry::RegistryEvent& event) override;
  void SubmitRegister(registry::RegisterCommand& c, Done done);
  void SubmitHeartbeat(registry::HeartbeatCommand& c, Done done);
  void SubmitSetStatus(registry::SetStatusCommand& c, Done done);
  void SubmitDeregister(registry::DeregisterCommand& c, Done done);
  std::string PutOp(const registry::Instance& in, const std::string& owner, bool keep_lease) const;
  // This replica's own changes (lapses, removals, write-back) must not undo a change
  // another replica made since: ops that run only while the key is as last applied
  // here (or, for a write-back put, gone: its lease ran out while etcd was away).
  std::string GuardedPut(const std::string& key, const registry::Instance& in,
                         bool or_if_gone) const;
  std::string GuardedDelete(const std::string& key) const;
  // One txn: ops if the key exists (when must_exist), then done(revision) once applied.
  void Commit(const std::string& key, Ops ops, bool must_exist, Done done);
  void SendTxn(std::string key, std::string body, Done done, size_t tries_left);
  void Wait(uint64_t revision, Done done);
  void AnswerWaiters();
  void CheckWaiters();
  bool RefusesWrites() const;
  bool Mine(const std::string& key) const;
  bool MineMeta(const std::string& owner, int64_t lease) const;
  // Runs ops in txns of at most kMaxOps; done(ok) after the last one.
  void CommitMany(Ops ops, std::function<void(bool ok)> done);

  // etcd_session.cc: lease, load, watch.
  void Connect();
  void ScheduleConnect(uint64_t delay_ms);
  // etcd did not answer (or lease_gone: it no longer knows this replica's lease). A
  // transport failure first probes the next endpoint with the same lease (one member
  // down keeps the session); a lost lease reconnects: new lease and write-back.
  void Lost(const std::string& why, bool lease_gone = false);
  void Probe();
  void OnLeased();
  void Load(bool first);
  void WriteBack();
  void StartWatch();
  void OnWatchLine(std::string_view line);
  void Apply(const Event& e);
  void KeepAlive();

  uv_loop_t* loop_;
  registry::Registry& registry_;
  EtcdStoreOptions options_;
  std::unique_ptr<EtcdClient> client_;
  bool stopped_ = false;
  bool loaded_ = false;
  bool connected_ = false;
  bool connecting_ = false;  // taking a new lease and writing back: events are held
  bool probing_ = false;     // trying the next endpoint with the lease we have
  size_t probe_failures_ = 0;  // members that failed the probe in a row
  bool keepalive_in_flight_ = false;
  int64_t lease_ = 0;
  std::unordered_set<int64_t> leases_;   // every lease this process was granted
  std::unordered_set<int64_t> revoked_;  // those given up after a write-back
  uint64_t applied_ = 0;                 // the last revision applied
  uint64_t watch_id_ = 0;
  std::vector<Event> buffered_;                    // watch events held while reconnecting
  std::unordered_map<std::string, KeyMeta> meta_;  // instance key -> owner and lease
  std::set<std::string> nodes_;
  std::unordered_set<std::string> dirty_;    // instance keys changed by this registry alone
  std::multimap<uint64_t, Waiter> waiters_;  // by the revision they wait for
  std::string applying_;  // the key being applied from etcd: its events are not local
  uv::UvHandle<uv_timer_t> keepalive_timer_;
  uv::UvHandle<uv_timer_t> retry_timer_;
  uv::UvHandle<uv_timer_t> watch_retry_timer_;
  uv::UvHandle<uv_timer_t> waiter_timer_;
};

}  // namespace dnsd::cluster
