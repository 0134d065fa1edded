// Registry micro-benchmark at 10^6 instances (100,000 services x 10 instances):
// register, heartbeat (renew), the Tick that re-queues renewed leases, expiry (lapse,
// then removal, via Tick with a fake clock), Publish after one change, and memory per
// instance. Each benchmark builds its own registry and times one pass over all
// instances, so the figures are per operation at full size. The reported time is the
// thread's CPU time (stable on a loaded machine); wall_ns_per_op gives wall time.
// Memory: live heap bytes (mallinfo2, exact on every run) and VmRSS/VmHWM deltas from
// /proc/self/status (meaningful only on the first run in a process, since freed
// memory is reused: run without --benchmark_repetitions for those).
//
//   cmake -S . -B build-registry-rel -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-registry-rel -j2 --target registry_bench
//   build-registry-rel/bench/registry_bench
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

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

double HeapBytes() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<double>(mi.uordblks + mi.hblkhd);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double cpu = 0;
  double wall = 0;
};

template <typename F>
Timing Measure(F&& f) {
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  f();
  return {ThreadCpuSeconds() - cpu0,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count()};
}

void Report(benchmark::State& state, Timing t, double ops) {
  state.SetIterationTime(t.cpu);
  state.counters["ns_per_op"] = t.cpu * 1e9 / ops;
  state.counters["wall_ns_per_op"] = t.wall * 1e9 / ops;
}

void BM_Register(benchmark::State& state) {
  for (auto _ : state) {
    dnsd::testing::FakeClock clock;
    const double heap0 = HeapBytes(), rss0 = ProcStatus("VmRSS"), hwm0 = ProcStatus("VmHWM");
    Registry reg(clock, BenchConfig());
    const Timing t = Measure([&] { Fill(reg, 30s); });
    const double heap1 = HeapBytes(), rss1 = ProcStatus("VmRSS"), hwm1 = ProcStatus("VmHWM");
    const Timing pub = Measure([&] { reg.Publish(); });  // first, full publish
    const double heap2 = HeapBytes(), rss2 = ProcStatus("VmRSS"), hwm2 = ProcStatus("VmHWM");
    Report(state, t, kInstances);
    state.counters["heap_B_per_inst"] = (heap1 - heap0) / kInstances;
    state.counters["heap_B_per_inst_published"] = (heap2 - heap0) / kInstances;
    state.counters["rss_B_per_inst"] = (rss1 - rss0) / kInstances;
    state.counters["hwm_B_per_inst"] = (hwm1 - hwm0) / kInstances;
    state.counters["rss_B_per_inst_published"] = (rss2 - rss0) / kInstances;
    state.counters["hwm_B_per_inst_published"] = (hwm2 - hwm0) / kInstances;
    state.counters["full_publish_ms"] = pub.cpu * 1e3;
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
    const Timing t = Measure([&] {
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
    const Timing t = Measure([&] { reg.Tick(); });
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
    const Timing t = Measure([&] { reg.Tick(); });
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
    const Timing t = Measure([&] { reg.Tick(); });
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
  double wall = 0;
  for (auto _ : state) {
    const int k = static_cast<int>((n++ * 7919LL) % kInstances);
    const auto health = n % 2 ? registry::Health::kWarning : registry::Health::kPassing;
    if (!reg.SetStatus(ServiceName(k / kPerService), InstanceId(k % kPerService), health).ok()) {
      std::abort();
    }
    const Timing t = Measure([&] { reg.Publish(); });
    state.SetIterationTime(t.cpu);
    wall += t.wall;
  }
  state.counters["wall_us"] = benchmark::Counter(wall * 1e6, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_PublishAfterOneChange)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
