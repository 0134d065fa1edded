// Registry micro-benchmark. At 10^6 instances (100,000 services x 10 instances):
// register, heartbeat (renew), the Tick that re-queues renewed leases, expiry (lapse,
// then removal, via Tick with a fake clock) and memory per instance (also at 10^6
// services x 1 instance). At 10^3 .. 10^6 services: Publish after one change, and
// RegistryView::Find (the DNS workers' lookup) of known and unknown names. Each
// whole-registry benchmark builds its own registry and times one pass over all
// instances, so the figures are per operation at full size. The reported time is the
// thread's CPU time (stable on a loaded machine); wall_ns_per_op gives wall time.
// Memory: live heap bytes (mallinfo2, exact on every run) and VmRSS/VmHWM deltas from
// /proc/self/status (meaningful only on the first run in a process, since freed
// memory is reused: run each BM_Register size in its own process for those).
//
//   cmake -S . -B build-reg-rel -DCMAKE_BUILD_TYPE=Release -DDNSD_BUILD_BENCH=ON
//   cmake --build build-reg-rel -j2 --target registry_bench
//   build-reg-rel/bench/registry_bench --benchmark_filter='BM_Register/100000/10'
//   build-reg-rel/bench/registry_bench --benchmark_filter='Publish|Find'
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

#include <array>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry/registry.h"
#include "tests/support/fake_clock.h"

namespace {

using namespace std::chrono_literals;
using registry::Registry;
using registry::RegistryConfig;

// The shape of a benchmark registry: services x instances per service.
struct Shape {
  int services = 100'000;
  int per_service = 10;
  int instances() const { return services * per_service; }
};
constexpr Shape kFull;  // 10^6 instances

Shape ShapeOf(const benchmark::State& state) {
  return {static_cast<int>(state.range(0)), static_cast<int>(state.range(1))};
}

std::string ServiceName(int s) { return "svc" + std::to_string(s); }
std::string InstanceId(int i) { return "i" + std::to_string(i); }

registry::InstanceSpec MakeSpec(Shape shape, int n, registry::Duration ttl) {
  registry::InstanceSpec spec;
  spec.service = ServiceName(n / shape.per_service);
  spec.id = InstanceId(n % shape.per_service);
  registry::IpAddress ip;
  ip.bytes = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
              static_cast<uint8_t>(n)};
  spec.address = ip;
  spec.port = 8080;
  spec.tags = {"v1"};
  spec.ttl = ttl;
  return spec;
}

RegistryConfig BenchConfig(Shape shape) {
  RegistryConfig c;
  c.max_instances = static_cast<uint64_t>(shape.instances());
  c.deregister_after = 60s;
  c.self_preservation.enabled = false;  // expiry must apply every lapse
  return c;
}

void Fill(Registry& reg, Shape shape, registry::Duration ttl) {
  for (int n = 0; n < shape.instances(); ++n) {
    if (!reg.Register(MakeSpec(shape, n, ttl)).ok()) std::abort();
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
  const Shape shape = ShapeOf(state);
  const double n = shape.instances();
  for (auto _ : state) {
    dnsd::testing::FakeClock clock;
    const double heap0 = HeapBytes(), rss0 = ProcStatus("VmRSS"), hwm0 = ProcStatus("VmHWM");
    Registry reg(clock, BenchConfig(shape));
    const Timing t = Measure([&] { Fill(reg, shape, 30s); });
    const double heap1 = HeapBytes(), rss1 = ProcStatus("VmRSS"), hwm1 = ProcStatus("VmHWM");
    const Timing pub = Measure([&] { reg.Publish(); });  // first, full publish
    const double heap2 = HeapBytes(), rss2 = ProcStatus("VmRSS"), hwm2 = ProcStatus("VmHWM");
    Report(state, t, n);
    state.counters["heap_B_per_inst"] = (heap1 - heap0) / n;
    state.counters["heap_B_per_inst_published"] = (heap2 - heap0) / n;
    state.counters["rss_B_per_inst"] = (rss1 - rss0) / n;
    state.counters["hwm_B_per_inst"] = (hwm1 - hwm0) / n;
    state.counters["rss_B_per_inst_published"] = (rss2 - rss0) / n;
    state.counters["hwm_B_per_inst_published"] = (hwm2 - hwm0) / n;
    state.counters["full_publish_ms"] = pub.cpu * 1e3;
  }
}
// First, so that the memory figures start from a fresh heap (10^6 instances).
BENCHMARK(BM_Register)
    ->Args({100'000, 10})
    ->Args({1'000'000, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_Heartbeat(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(kFull));
  Fill(reg, kFull, 30s);
  std::vector<std::pair<std::string, std::string>> names;
  names.reserve(kFull.instances());
  for (int n = 0; n < kFull.instances(); ++n) {
    names.emplace_back(ServiceName(n / kFull.per_service), InstanceId(n % kFull.per_service));
  }
  for (auto _ : state) {
    clock.Advance(10s);
    const Timing t = Measure([&] {
      for (const auto& [s, i] : names) {
        if (!reg.Heartbeat(s, i).ok()) std::abort();
      }
    });
    Report(state, t, kFull.instances());
  }
}
BENCHMARK(BM_Heartbeat)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// After every lease was renewed once, its old heap entry comes up and is re-queued.
void BM_TickRequeueRenewed(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(kFull));
  Fill(reg, kFull, 30s);
  clock.Advance(10s);
  for (int n = 0; n < kFull.instances(); ++n) {
    if (!reg.Heartbeat(ServiceName(n / kFull.per_service), InstanceId(n % kFull.per_service))
             .ok()) {
      std::abort();
    }
  }
  for (auto _ : state) {
    clock.Advance(20s);  // the first deadlines, not the renewed ones
    const Timing t = Measure([&] { reg.Tick(); });
    if (reg.Stats().passing != static_cast<uint64_t>(kFull.instances())) std::abort();
    Report(state, t, kFull.instances());
  }
}
BENCHMARK(BM_TickRequeueRenewed)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_ExpiryLapse(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(kFull));
  Fill(reg, kFull, 30s);
  for (auto _ : state) {
    clock.Advance(30s);
    const Timing t = Measure([&] { reg.Tick(); });
    if (reg.Stats().critical != static_cast<uint64_t>(kFull.instances())) std::abort();
    Report(state, t, kFull.instances());
  }
}
BENCHMARK(BM_ExpiryLapse)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_ExpiryRemoval(benchmark::State& state) {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(kFull));
  Fill(reg, kFull, 30s);
  clock.Advance(30s);
  reg.Tick();
  for (auto _ : state) {
    clock.Advance(60s);
    const Timing t = Measure([&] { reg.Tick(); });
    if (reg.Stats().instances != 0) std::abort();
    Report(state, t, kFull.instances());
  }
}
BENCHMARK(BM_ExpiryRemoval)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// Sizes for the benchmarks that depend on the number of services.
void ServiceSizes(benchmark::internal::Benchmark* b) {
  b->Args({1'000, 10})->Args({100'000, 10})->Args({1'000'000, 1});
}

// One instance changes (passing <-> warning), then Publish: rebuilds that service's
// snapshot and swaps in a new view that shares everything else with the old one. Only
// Publish is timed (the old view is released inside it, as in the server when no
// reader holds it).
void BM_PublishAfterOneChange(benchmark::State& state) {
  const Shape shape = ShapeOf(state);
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(shape));
  Fill(reg, shape, 30s);
  reg.Publish();
  int n = 0;
  auto change_one = [&] {
    const int k = static_cast<int>((n++ * 7919LL) % shape.instances());
    const auto health = n % 2 ? registry::Health::kWarning : registry::Health::kPassing;
    if (!reg.SetStatus(ServiceName(k / shape.per_service), InstanceId(k % shape.per_service),
                       health)
             .ok()) {
      std::abort();
    }
  };
  // Untimed warm-up: the first small allocation after the bulk load's frees makes glibc
  // consolidate its free lists (hundreds of ms at 10^6), which is not Publish's cost.
  for (int i = 0; i < 3; ++i) {
    change_one();
    reg.Publish();
  }
  double wall = 0;
  for (auto _ : state) {
    change_one();
    const Timing t = Measure([&] { reg.Publish(); });
    state.SetIterationTime(t.cpu);
    wall += t.wall;
  }
  state.counters["wall_us"] = benchmark::Counter(wall * 1e6, benchmark::Counter::kAvgIterations);
  // What reading the thread's CPU clock twice adds to each figure (~0.3 us in a VM).
  double empty = 0;
  for (int i = 0; i < 1000; ++i) empty += Measure([] {}).cpu;
  state.counters["clock_us"] = empty * 1e6 / 1000;
}
BENCHMARK(BM_PublishAfterOneChange)
    ->Apply(ServiceSizes)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The read view dnsd had before issue 6, kept as a baseline for BM_ViewFind: 256 shards,
// each an unordered_map name -> shared_ptr<const ServiceSnapshot>, the shard picked by
// hashing the name once and the map hashing it again.
class ShardedBaseline {
 public:
  // Copies every snapshot of view, in the scrambled order the old Publish's hash set gave,
  // allocating snapshot and map node together as it did.
  ShardedBaseline(const registry::RegistryView& view, int services) {
    for (auto& shard : shards_) shard = std::make_shared<Shard>();
    for (int i = 0; i < services; ++i) {
      const std::string name = ServiceName(static_cast<int>((i * 7'919LL) % services));
      auto snapshot = std::make_shared<const registry::ServiceSnapshot>(*view.Find(name));
      shards_[ShardOf(name)]->insert_or_assign(name, std::move(snapshot));
    }
  }
  const registry::ServiceSnapshot* Find(std::string_view lower_name) const {
    const Shard& shard = *shards_[ShardOf(lower_name)];
    auto it = shard.find(lower_name);
    return it == shard.end() ? nullptr : it->second.get();
  }

 private:
  using Shard = std::unordered_map<std::string, std::shared_ptr<const registry::ServiceSnapshot>,
                                   registry::StringHash, std::equal_to<>>;
  static size_t ShardOf(std::string_view name) { return registry::StringHash{}(name) % 256; }
  std::array<std::shared_ptr<Shard>, 256> shards_;
};

// RegistryView::Find of 2^16 names in a scrambled order (range(2) = 1: names that are not
// registered), then a look at the snapshot found, as a DNS answer does. Per lookup; the
// view mostly misses the CPU caches at 10^5 services and up. Each iteration also times
// the same lookups on ShardedBaseline (baseline_ns_per_find), so that the two figures
// share the machine's conditions: on a shared machine, memory latency drifts between runs.
void BM_ViewFind(benchmark::State& state) {
  const Shape shape = ShapeOf(state);
  const bool missing = state.range(2) != 0;
  dnsd::testing::FakeClock clock;
  Registry reg(clock, BenchConfig(shape));
  Fill(reg, shape, 30s);
  reg.Publish();
  const auto view = reg.view().Load();
  const ShardedBaseline baseline(*view, shape.services);
  std::vector<std::string> names;
  constexpr int kNames = 1 << 16;
  for (int i = 0; i < kNames; ++i) {
    const int s = static_cast<int>((i * 104'729LL) % shape.services);
    names.push_back(missing ? "nx" + std::to_string(s) : ServiceName(s));
  }
  size_t found = 0;
  auto lookups = [&](const auto& map) {
    return Measure([&] {
      for (const std::string& name : names) {
        const registry::ServiceSnapshot* s = map.Find(name);
        found += s && !s->instances.empty();  // a DNS answer reads the snapshot next
      }
    });
  };
  double batches = 0, cpu = 0, baseline_cpu = 0;
  for (auto _ : state) {
    const Timing t = lookups(*view);
    baseline_cpu += lookups(baseline).cpu;
    state.SetIterationTime(t.cpu);
    cpu += t.cpu;
    ++batches;
  }
  if (found != (missing ? 0 : static_cast<size_t>(2 * batches) * kNames)) std::abort();
  state.counters["ns_per_find"] = cpu * 1e9 / (batches * kNames);
  state.counters["baseline_ns_per_find"] = baseline_cpu * 1e9 / (batches * kNames);
}
BENCHMARK(BM_ViewFind)
    ->ArgsProduct({{1'000}, {10}, {0, 1}})
    ->ArgsProduct({{100'000}, {10}, {0, 1}})
    ->ArgsProduct({{1'000'000}, {1}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
