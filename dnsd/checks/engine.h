// Engine: runs active health checks (SPEC §9) on one libuv loop, the control loop,
// never on a DNS worker and with no thread per check. HTTP(S) goes through libcurl's
// multi-socket interface on the loop, TCP through uv_tcp_connect, exec through uv_spawn
// (exec specs are accepted from the configuration file only; the engine runs what it
// is given). Each check first runs at a random offset in [0, interval), then once per
// interval; a run still in flight when the next is due makes that one skipped, so a
// check never runs more than once per interval.
//
// Results: HTTP 2xx passes, 429 warns, any other status, a timeout or a connection
// error fails; TCP passes when the connect completes; exec exit 0 passes, 1 warns, other
// fails. Threshold (threshold.h) turns runs into the reported status.
//
// Users: the registry adapter (registry_checks.h) for registered instances, and the
// agent for its local services (any key it likes, no registry needed).
//
// Thread: the loop's thread only. Callbacks run from the loop, never from inside
// libcurl or libuv's own bookkeeping, and may call Watch/Unwatch (their own key too).
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnsd/curl/curl_multi.h"
#include "registry/check.h"
#include "registry/instance.h"

namespace dnsd::checks {

struct CheckResult {
  registry::Health status = registry::Health::kPassing;  // the reported status
  std::string output;                                    // what the reported run said
  int64_t last_run_ms = 0;  // wall clock of the last completed run (ms since epoch); 0 = never
};

// The worst of the results' statuses (passing when there is none).
registry::Health Aggregate(const std::vector<CheckResult>& results);

class Engine {
 public:
  // A check's reported status or output changed: `changed` is its number.
  using OnChange = std::function<void(const std::string& key, registry::Health aggregate,
                                      const std::vector<CheckResult>& results, size_t changed)>;
  // Every completed run (last_run_ms moved), after OnChange if that ran too.
  using OnRun = std::function<void(const std::string& key, size_t check, const CheckResult& result)>;

  explicit Engine(uv_loop_t* loop);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs `specs` under `key`, replacing what ran under it (their runs in flight are
  // dropped). initial: each check's starting status (missing entries: passing).
  void Watch(const std::string& key, std::vector<registry::CheckSpec> specs, OnChange on_change,
             OnRun on_run = {}, std::vector<CheckResult> initial = {});
  void Unwatch(const std::string& key);
  bool Watching(const std::string& key) const { return watches_.count(key) != 0; }
  // The current results under key (empty when not watched).
  std::vector<CheckResult> Results(const std::string& key) const;
  size_t checks() const { return live_.size(); }

  // dnsd_check_runs_total{kind,result}, dnsd_check_duration_seconds (histogram).
  void RenderMetrics(std::string& out) const;

  struct Check;
  struct Watched;

 private:
  friend struct Check;
  void StartHttp(Check& c);
  void StartTcp(Check& c);
  void StartExec(Check& c);
  void ConnectTcp(Check& c, const struct sockaddr* addr);
  void ArmDeadline(Check& c, void (*expire)(Check&));
 public:
  void FinishTcp(uint64_t check_id, int status);  // for the connect callback
 private:
  void Finish(uint64_t check_id, registry::Health raw, std::string output);
  void OnHttpDone(std::vector<curl::CurlMulti::Finished>& finished);

  static constexpr std::array<double, 10> kDurationBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,  0.1,    0.5,   1.0,  10.0};
  uv_loop_t* loop_;
  std::unique_ptr<curl::CurlMulti> multi_;  // outlives watches_ (declared first)
  std::unordered_map<std::string, std::unique_ptr<Watched>> watches_;
  std::unordered_map<uint64_t, Check*> live_;  // by check id: runs find their check here
  uint64_t next_id_ = 1;
  std::mt19937_64 rng_;
  // runs_[kind][status]: kind http/tcp/exec, status passing/warning/critical
  std::array<std::array<uint64_t, 3>, 3> runs_{};
  std::array<uint64_t, kDurationBounds.size()> duration_buckets_{};
  uint64_t duration_count_ = 0;
  double duration_sum_ = 0;
};

}  // namespace dnsd::checks
