// The check engine: timers per check on the loop, dnsd/curl's CurlMulti (libcurl's
// multi-socket API on libuv) for HTTP, uv_tcp_connect
// for TCP, uv_spawn for exec. A run names its check by id, never by pointer, so that a
// check replaced or removed meanwhile makes its late completion a no-op.
#include "dnsd/checks/engine.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <utility>

#include "dnsd/checks/threshold.h"
#include "dnsd/metrics/text.h"
#include "dnsd/uv/uv_handle.h"

namespace dnsd::checks {

using registry::CheckKind;
using registry::Health;

registry::Health Aggregate(const std::vector<CheckResult>& results) {
  Health worst = Health::kPassing;
  for (const CheckResult& r : results) worst = std::max(worst, r.status);
  return worst;
}

namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

void CloseProcess(uv_process_t* h) {
  h->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* x) { delete reinterpret_cast<uv_process_t*>(x); });
}

// A TCP connect or a name lookup in flight: libuv owns it until its callback, which may
// come after the check is gone (check_id then finds nothing).
struct ConnectReq {
  uv_connect_t req;
  Engine* engine;
  uint64_t check_id;
};
struct LookupReq {
  uv_getaddrinfo_t req;
  Engine* engine;
  uint64_t check_id;
};

}  // namespace

struct Engine::Watched {
  std::string key;
  std::vector<std::unique_ptr<Check>> checks;
  OnChange on_change;
  OnRun on_run;
};

struct Engine::Check {
  Engine* engine = nullptr;
  Watched* watched = nullptr;
  uint64_t id = 0;
  size_t n = 0;
  registry::CheckSpec spec;
  Threshold threshold{1, 1};
  CheckResult result;
  uv::UvHandle<uv_timer_t> timer;     // the interval
  uv::UvHandle<uv_timer_t> deadline;  // TCP and exec timeouts
  bool running = false;
  uint64_t started_ns = 0;  // uv_hrtime at the run's start
  CURL* easy = nullptr;     // HTTP: one easy handle per check, reused run after run
  bool in_multi = false;
  uv::UvHandle<uv_tcp_t> tcp;
  ConnectReq* connect = nullptr;
  uv_process_t* process = nullptr;  // closed by CloseProcess (uv_spawn's failure too)
  void (*on_deadline)(Check&) = nullptr;

  ~Check() {
    if (connect) connect->check_id = 0;
    if (process) {
      uv_process_kill(process, SIGKILL);
      CloseProcess(process);
    }
    if (easy) {
      if (in_multi) engine->multi_->Remove(easy);
      curl_easy_cleanup(easy);
    }
  }
};

Engine::Engine(uv_loop_t* loop) : loop_(loop), rng_(std::random_device{}()) {
  multi_ = std::make_unique<curl::CurlMulti>(
      loop_, [this](std::vector<curl::CurlMulti::Finished>& finished) { OnHttpDone(finished); });
}

Engine::~Engine() {
  watches_.clear();  // removes every easy handle from the multi handle first
  live_.clear();
}

void Engine::Watch(const std::string& key, std::vector<registry::CheckSpec> specs,
                   OnChange on_change, OnRun on_run, std::vector<CheckResult> initial) {
  Unwatch(key);
  if (specs.empty()) return;
  auto w = std::make_unique<Watched>();
  w->key = key;
  w->on_change = std::move(on_change);
  w->on_run = std::move(on_run);
  for (size_t i = 0; i < specs.size(); ++i) {
    auto c = std::make_unique<Check>();
    c->engine = this;
    c->watched = w.get();
    c->id = next_id_++;
    c->n = i;
    c->spec = std::move(specs[i]);
    if (i < initial.size()) c->result = initial[i];
    if (c->spec.kind == CheckKind::kTtl) {  // the client renews it; the registry runs it out
      w->checks.push_back(std::move(c));
      continue;
    }
    c->threshold = Threshold(c->spec.success_before_passing, c->spec.failures_before_critical,
                             c->result.status);
    if (c->timer.Init([&](uv_timer_t* h) { return uv_timer_init(loop_, h); }) != 0) continue;
    c->timer.get()->data = c.get();
    const uint64_t interval = static_cast<uint64_t>(c->spec.interval.count());
    const uint64_t offset = std::uniform_int_distribution<uint64_t>(0, interval - 1)(rng_);
    uv_timer_start(
        c->timer.get(),
        [](uv_timer_t* h) {
          auto* check = static_cast<Check*>(h->data);
          if (!check || check->running) return;  // at most once per interval
          check->running = true;
          check->started_ns = uv_hrtime();
          switch (check->spec.kind) {
            case CheckKind::kHttp:
              return check->engine->StartHttp(*check);
            case CheckKind::kTcp:
              return check->engine->StartTcp(*check);
            case CheckKind::kExec:
              return check->engine->StartExec(*check);
            case CheckKind::kTtl:
              return;
          }
        },
        offset, interval);
    live_[c->id] = c.get();
    w->checks.push_back(std::move(c));
  }
  watches_[key] = std::move(w);
}

void Engine::Unwatch(const std::string& key) {
  auto it = watches_.find(key);
  if (it == watches_.end()) return;
  for (const auto& c : it->second->checks) live_.erase(c->id);
  watches_.erase(it);
}

std::vector<CheckResult> Engine::Results(const std::string& key) const {
  std::vector<CheckResult> out;
  auto it = watches_.find(key);
  if (it == watches_.end()) return out;
  for (const auto& c : it->second->checks) out.push_back(c->result);
  return out;
}

// ---- HTTP ----

void Engine::StartHttp(Check& c) {
  if (!c.easy) {
    c.easy = curl_easy_init();
    CURL* e = c.easy;
    const long timeout = static_cast<long>(c.spec.EffectiveTimeout().count());
    curl_easy_setopt(e, CURLOPT_URL, c.spec.target.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<void*>(static_cast<uintptr_t>(c.id)));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);  // as Consul's (Go's) client
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "dnsd-health-check");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  }
  c.in_multi = true;
  multi_->Add(c.easy);
}

void Engine::OnHttpDone(std::vector<curl::CurlMulti::Finished>& finished) {
  struct Done {
    uint64_t id;
    Health raw;
    std::string output;
  };
  std::vector<Done> done;
  for (const curl::CurlMulti::Finished& f : finished) {
    void* priv = nullptr;
    curl_easy_getinfo(f.easy, CURLINFO_PRIVATE, &priv);
    const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(priv));
    long status = 0;
    curl_easy_getinfo(f.easy, CURLINFO_RESPONSE_CODE, &status);
    const auto code = static_cast<CURLcode>(f.code);
    auto it = live_.find(id);
    if (it != live_.end()) it->second->in_multi = false;
    const std::string what = "HTTP GET " + (it != live_.end() ? it->second->spec.target : "") + ": ";
    if (code != CURLE_OK) {
      done.push_back({id, Health::kCritical, what + curl_easy_strerror(code)});
    } else {
      const Health raw = status >= 200 && status < 300 ? Health::kPassing
                         : status == 429              ? Health::kWarning
                                                      : Health::kCritical;
      done.push_back({id, raw, what + std::to_string(status)});
    }
  }
  // Finish runs user code, which may remove checks: after every result is read.
  for (Done& d : done) Finish(d.id, d.raw, std::move(d.output));
}

// ---- TCP ----

namespace {

void TcpConnected(uv_connect_t* req, int status) {
  auto* r = reinterpret_cast<ConnectReq*>(req);
  Engine* engine = r->engine;
  const uint64_t id = r->check_id;
  delete r;
  if (id == 0) return;  // timed out or removed: already finished
  engine->FinishTcp(id, status);
}

}  // namespace

void Engine::StartTcp(Check& c) {
  const std::string& t = c.spec.target;
  const size_t colon = t.rfind(':');
  std::string host = t.substr(0, colon);
  const std::string port = t.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  sockaddr_storage addr{};
  int port_num = 0;
  std::from_chars(port.data(), port.data() + port.size(), port_num);
  if (uv_ip4_addr(host.c_str(), port_num, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port_num, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    auto* lookup = new LookupReq{{}, this, c.id};
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(
        loop_, &lookup->req,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
          auto* l = reinterpret_cast<LookupReq*>(req);
          Engine* engine = l->engine;
          const uint64_t id = l->check_id;
          delete l;
          auto it = engine->live_.find(id);
          if (it == engine->live_.end() || status != 0 || !res) {
            if (it != engine->live_.end()) {
              engine->Finish(id, Health::kCritical,
                             "TCP connect " + it->second->spec.target + ": " + uv_strerror(status));
            }
            uv_freeaddrinfo(res);
            return;
          }
          engine->ConnectTcp(*it->second, res->ai_addr);
          uv_freeaddrinfo(res);
        },
        host.c_str(), port.c_str(), &hints);
    if (rc != 0) {
      delete lookup;
      Finish(c.id, Health::kCritical, "TCP connect " + t + ": " + uv_strerror(rc));
    }
    return;
  }
  ConnectTcp(c, reinterpret_cast<const sockaddr*>(&addr));
}

void Engine::ConnectTcp(Check& c, const sockaddr* addr) {
  const uint64_t id = c.id;
  int rc = c.tcp.Init([&](uv_tcp_t* h) { return uv_tcp_init(loop_, h); });
  if (rc == 0) {
    c.connect = new ConnectReq{{}, this, id};
    rc = uv_tcp_connect(&c.connect->req, c.tcp.get(), addr, &TcpConnected);
    if (rc != 0) {
      delete c.connect;
      c.connect = nullptr;
    }
  }
  if (rc != 0) {
    c.tcp.Reset();
    return Finish(id, Health::kCritical, "TCP connect " + c.spec.target + ": " + uv_strerror(rc));
  }
  ArmDeadline(c, [](Check& check) {
    if (check.connect) check.connect->check_id = 0;  // its callback comes with ECANCELED
    check.connect = nullptr;
    check.tcp.Reset();
    check.engine->Finish(check.id, Health::kCritical,
                         "TCP connect " + check.spec.target + ": timed out");
  });
}

void Engine::FinishTcp(uint64_t id, int status) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Check& c = *it->second;
  c.connect = nullptr;
  c.tcp.Reset();
  c.deadline.Reset();
  Finish(id, status == 0 ? Health::kPassing : Health::kCritical,
         "TCP connect " + c.spec.target + ": " + (status == 0 ? "success" : uv_strerror(status)));
}

void Engine::ArmDeadline(Check& c, void (*expire)(Check&)) {
  if (c.deadline.Init([&](uv_timer_t* h) { return uv_timer_init(loop_, h); }) != 0) return;
  c.deadline.get()->data = &c;
  c.on_deadline = expire;
  uv_timer_start(
      c.deadline.get(),
      [](uv_timer_t* h) {
        auto* check = static_cast<Check*>(h->data);
        if (!check) return;
        void (*fn)(Check&) = check->on_deadline;
        check->deadline.Reset();
        fn(*check);
      },
      static_cast<uint64_t>(c.spec.EffectiveTimeout().count()), 0);
}

// ---- exec ----

void Engine::StartExec(Check& c) {
  std::vector<char*> argv;
  for (std::string& a : c.spec.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  for (auto& s : stdio) s.flags = UV_IGNORE;
  uv_process_options_t options{};
  options.file = argv[0];
  options.args = argv.data();
  options.stdio_count = 3;
  options.stdio = stdio;
  options.exit_cb = [](uv_process_t* h, int64_t exit_status, int term_signal) {
    auto* check = static_cast<Check*>(h->data);
    CloseProcess(h);
    if (!check) return;
    check->process = nullptr;
    check->deadline.Reset();
    const Health raw = term_signal != 0 ? Health::kCritical
                       : exit_status == 0 ? Health::kPassing
                       : exit_status == 1 ? Health::kWarning
                                          : Health::kCritical;
    std::string out = term_signal != 0 ? "killed by signal " + std::to_string(term_signal)
                                       : "exit status " + std::to_string(exit_status);
    check->engine->Finish(check->id, raw, check->spec.args[0] + ": " + out);
  };
  auto* h = new uv_process_t{};
  int rc = uv_spawn(loop_, h, &options);
  if (rc != 0) {
    CloseProcess(h);  // initialised even when the spawn failed
    return Finish(c.id, Health::kCritical, c.spec.args[0] + ": " + uv_strerror(rc));
  }
  h->data = &c;
  c.process = h;
  ArmDeadline(c, [](Check& check) {
    uv_process_kill(check.process, SIGKILL);
    CloseProcess(check.process);
    check.process = nullptr;
    check.engine->Finish(check.id, Health::kCritical, check.spec.args[0] + ": timed out");
  });
}

// ---- results ----

void Engine::Finish(uint64_t check_id, Health raw, std::string output) {
  auto it = live_.find(check_id);
  if (it == live_.end()) return;
  Check& c = *it->second;
  c.running = false;
  const double seconds = static_cast<double>(uv_hrtime() - c.started_ns) / 1e9;
  ++runs_[static_cast<size_t>(c.spec.kind)][static_cast<size_t>(raw)];
  for (size_t i = 0; i < kDurationBounds.size(); ++i) {
    if (seconds <= kDurationBounds[i]) {
      ++duration_buckets_[i];
      break;
    }
  }
  ++duration_count_;
  duration_sum_ += seconds;
  c.result.last_run_ms = registry::WallClockMs();
  bool changed = false;
  if (c.threshold.Observe(raw)) {
    changed = c.result.status != c.threshold.status() || c.result.output != output;
    c.result.status = c.threshold.status();
    c.result.output = std::move(output);
  }
  // Copies: a callback may Unwatch this key, which frees c and its Watched.
  const std::string key = c.watched->key;
  const size_t n = c.n;
  const CheckResult result = c.result;
  OnChange on_change = c.watched->on_change;
  OnRun on_run = c.watched->on_run;
  if (changed && on_change) {
    std::vector<CheckResult> results;
    for (const auto& other : c.watched->checks) results.push_back(other->result);
    on_change(key, Aggregate(results), results, n);
  }
  if (on_run) on_run(key, n, result);
}

void Engine::RenderMetrics(std::string& out) const {
  static constexpr std::array<std::string_view, 3> kKinds = {"http", "tcp", "exec"};
  static constexpr std::array<std::string_view, 3> kResults = {"passing", "warning", "critical"};
  metrics::Header(out, "dnsd_check_runs_total", "counter",
                  "Active health check runs by kind and raw result.");
  for (size_t k = 0; k < kKinds.size(); ++k) {
    for (size_t r = 0; r < kResults.size(); ++r) {
      const std::string labels =
          "kind=\"" + std::string(kKinds[k]) + "\",result=\"" + std::string(kResults[r]) + "\"";
      metrics::Sample(out, "dnsd_check_runs_total", labels, runs_[k][r]);
    }
  }
  metrics::Header(out, "dnsd_checks", "gauge", "Active health checks running on this dnsd.");
  metrics::Sample(out, "dnsd_checks", "", live_.size());
  metrics::Header(out, "dnsd_check_duration_seconds", "histogram",
                  "Duration of active health check runs.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kDurationBounds.size(); ++i) {
    cumulative += duration_buckets_[i];
    char le[32];
    std::snprintf(le, sizeof le, "le=\"%g\"", kDurationBounds[i]);
    metrics::Sample(out, "dnsd_check_duration_seconds_bucket", le, cumulative);
  }
  metrics::Sample(out, "dnsd_check_duration_seconds_bucket", "le=\"+Inf\"", duration_count_);
  char sum[64];
  std::snprintf(sum, sizeof sum, "dnsd_check_duration_seconds_sum %.6f\n", duration_sum_);
  out += sum;
  metrics::Sample(out, "dnsd_check_duration_seconds_count", "", duration_count_);
}

}  // namespace dnsd::checks
