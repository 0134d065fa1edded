// Registry micro-benchmark at 10^6 instances (100,000 services x 10 instances):
// register, heartbeat (renew), the Tick that re-queues renewed leases, expiry (lapse,
// then removal, via Tick with a fake clock), Publish after one change, and memory per
// instance. Each benchmark builds its own registry and times one pass over all
// instances (manual time), so the figures are per operation at full size.
//
//   cmake -S . -B build-registry-rel -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-registry-rel -j2 --target registry_bench
//   build-registry-rel/bench/registry_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <string>

#include "registry/registry.h"
#include "tests/support/fake_clock.h"

namespace {

using namespace std::chrono_literals;
using registry::Registry;
using registry::RegistryConfig;

constexpr int kServices = 100'000;
constexpr int kPerService = 10;
constexpr int kInstances = kServices * kPerService;

std::string ServiceName(int s) { return "svc" + std::to_string(s); }
std::string InstanceId(int i) { return "i" + std::to_string(i); }

registry::InstanceSpec MakeSpec(int n, registry::Duration ttl) {
  registry::InstanceSpec spec;
  spec.service = ServiceName(n / kPerService);
  spec.id = InstanceId(n % kPerService);
  registry::IpAddress ip;
  ip.bytes = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
              static_cast<uint8_t>(n)};
  spec.address = ip;
  spec.port = 8080;
  spec.tags = {"v1"};
  spec.ttl = ttl;
  return spec;
}

RegistryConfig BenchConfig() {
  RegistryConfig c;
  c.max_instances = kInstances;
  c.deregister_after = 60s;
  c.self_preservation.enabled = false;  // expiry must apply every lapse
  return c;
}

void Fill(Registry& reg, registry::Duration ttl) {
  for (int n = 0; n < kInstances; ++n) {
    if (!reg.Register(MakeSpec(n, ttl)).ok()) std::abort();
  }
}

// Reads a "VmRSS:  1234 kB" style line of /proc/self/status, in bytes.
double ProcStatus(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) * 1024;
  }
  return 0;
}

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Report(benchmark::State& state, double seconds, double ops) {
  state.SetIterationTime(seconds);
  state.counters["ns_per_op"] = seconds * 1e9 / ops;
  state.counters["ops"] = ops;
}

void BM_Register(benchmark::State& state) {
  for (auto _ : state) {
    dnsd::testing::FakeClock clock;
    const double rss0 = ProcStatus("VmRSS"), hwm0 = ProcStatus("VmHWM");
    Registry reg(clock, BenchConfig());
    const double t = Seconds([&] { Fill(reg, 30s); });
    const double rss1 = ProcStatus("VmRSS"), hwm1 = ProcStatus("VmHWM");
    const double pub = Seconds([&] { reg.Publish(); });  // first, full publish
    const double rss2 = ProcStatus("VmRSS"), hwm2 = ProcStatus("VmHWM");
    Report(state, t, kInstances);
    state.counters["rss_bytes_per_instance"] = (rss1 - rss0) / kInstances;
    state.counters["hwm_bytes_per_instance"] = (hwm1 - hwm0) / kInstances;
    state.counters["rss_bytes_per_instance_published"] = (rss2 - rss0) / kInstances;
    state.counters["hwm_bytes_per_instance_published"] = (hwm2 - hwm0) / kInstances;
    state.counters["full_publish_ms"] = pub * 1e3;
  }
}
// First, so that the memory figures start from a fresh heap.
BENCHMARK(BM_Register)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_Heartbeat(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig());
  Fill(reg, 30s);
  std::vector<std::pair<std::string, std::string>> names;
  names.reserve(kInstances);
  for (int n = 0; n < kInstances; ++n) {
    names.emplace_back(ServiceName(n / kPerService), InstanceId(n % kPerService));
  }
  for (auto _ : state) {
    clock.Advance(10s);
    const double t = Seconds([&] {
      for (const auto& [s, i] : names) {
        if (!reg.Heartbeat(s, i).ok()) std::abort();
      }
    });
    Report(state, t, kInstances);
  }
}
BENCHMARK(BM_Heartbeat)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// After every lease was renewed once, its old heap entry comes up and is re-queued.
void BM_TickRequeueRenewed(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig());
  Fill(reg, 30s);
  clock.Advance(10s);
  for (int n = 0; n < kInstances; ++n) {
    if (!reg.Heartbeat(ServiceName(n / kPerService), InstanceId(n % kPerService)).ok()) {
      std::abort();
    }
  }
  for (auto _ : state) {
    clock.Advance(20s);  // the first deadlines, not the renewed ones
    const double t = Seconds([&] { reg.Tick(); });
    if (reg.Stats().passing != kInstances) std::abort();
    Report(state, t, kInstances);
  }
}
BENCHMARK(BM_TickRequeueRenewed)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_ExpiryLapse(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig());
  Fill(reg, 30s);
  for (auto _ : state) {
    clock.Advance(30s);
    const double t = Seconds([&] { reg.Tick(); });
    if (reg.Stats().critical != kInstances) std::abort();
    Report(state, t, kInstances);
  }
}
BENCHMARK(BM_ExpiryLapse)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_ExpiryRemoval(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig());
  Fill(reg, 30s);
  clock.Advance(30s);
  reg.Tick();
  for (auto _ : state) {
    clock.Advance(60s);
    const double t = Seconds([&] { reg.Tick(); });
    if (reg.Stats().instances != 0) std::abort();
    Report(state, t, kInstances);
  }
}
BENCHMARK(BM_ExpiryRemoval)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// One instance changes (passing <-> warning), then Publish: rebuilds one service's
// snapshot and copies one shard (~390 services) and the shard array. Only Publish is
// timed (the old view is released inside it, as in the server).
void BM_PublishAfterOneChange(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig());
  Fill(reg, 30s);
  reg.Publish();
  int n = 0;
  for (auto _ : state) {
    const int k = static_cast<int>((n++ * 7919LL) % kInstances);
    const auto health = n % 2 ? registry::Health::kWarning : registry::Health::kPassing;
    if (!reg.SetStatus(ServiceName(k / kPerService), InstanceId(k % kPerService), health).ok()) {
      std::abort();
    }
    state.SetIterationTime(Seconds([&] { reg.Publish(); }));
  }
}
BENCHMARK(BM_PublishAfterOneChange)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
