// Where a restart with a large data dir spends its time: fills a data dir with N
// instances through the registry and the DataDirStore (storage.fsync false), then opens
// it again and times each startup phase on its own: ReadAll (SQLite scan, CRC, decode),
// Restore (into the registry) and FinishRestore (index, publish). bench/storage/run
// measures the whole restart from exec to /readyz; this says which phase to work on.
//   restore_bench [--instances N] [--dir DIR]
// Without --dir it fills a temporary dir and removes it; with --dir it fills DIR when it
// holds no registry.db yet, keeps it, and times the restart of what is there.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dnsd/store/data_dir_store.h"
#include "registry/registry.h"

namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of this process so far: the phases' figures on a machine that is shared.
double Cpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

registry::RegistryConfig Config(size_t instances) {
  registry::RegistryConfig config;
  config.max_instances = instances + 1;
  return config;
}

void Fill(const std::string& dir, size_t instances) {
  registry::SteadyClock clock;
  registry::Registry reg(clock, Config(instances));
  dnsd::store::DataDirStore store(reg, {dir, /*fsync=*/false});
  std::string error;
  if (!store.FinishRestore(store.ReadAll([](dnsd::store::Batch) { return true; }), error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  auto start = std::chrono::steady_clock::now();
  for (size_t n = 0; n < instances; ++n) {
    registry::InstanceSpec spec;
    spec.service = "svc-" + std::to_string(n / 10);
    spec.id = "inst-" + std::to_string(n);
    spec.address = registry::IpAddress::Parse("10.0." + std::to_string(n / 250 % 250) + "." +
                                              std::to_string(n % 250 + 1));
    spec.port = 8080;
    spec.tags = {"v1", "primary"};
    spec.meta = {{"version", "1.2.3"}, {"zone", "a"}};
    spec.ttl = std::chrono::seconds(30);
    store.Submit(registry::RegisterCommand{std::move(spec), {}, {}}, [](registry::Result<uint64_t> r) {
      if (!r) std::fprintf(stderr, "register: %s\n", r.error().message.c_str());
    });
    if (n % 10000 == 9999) store.Flush();
  }
  store.Flush();
  std::printf("fill: %zu instances in %.2f s\n", instances, Since(start));
}

}  // namespace

int main(int argc, char** argv) {
  size_t instances = 1'000'000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--instances") instances = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--dir") dir = argv[i + 1];
  }
  const bool temporary = dir.empty();
  if (temporary) {
    char tmpl[] = "/var/tmp/dnsd-restore-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    dir = tmpl;
  }
  if (!std::filesystem::exists(dir + "/registry.db")) Fill(dir, instances);
  registry::SteadyClock clock;
  registry::Registry reg(clock, Config(instances));
  auto total = std::chrono::steady_clock::now();
  double cpu0 = Cpu();
  auto start = total;
  dnsd::store::DataDirStore store(reg, {dir, /*fsync=*/true});
  reg.BeginRestore();
  double open = Since(start);
  start = std::chrono::steady_clock::now();
  // One thread, phase by phase (the server overlaps reading with Restore).
  std::vector<dnsd::store::Batch> batches;
  dnsd::store::Loaded loaded = store.ReadAll([&](dnsd::store::Batch b) {
    batches.push_back(std::move(b));
    return true;
  });
  double read = Since(start), cpu_read = Cpu() - cpu0;
  start = std::chrono::steady_clock::now();
  std::string error;
  for (dnsd::store::Batch& b : batches) {
    if (!store.Restore(std::move(b), error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
  }
  double restore = Since(start), cpu_restore = Cpu() - cpu0 - cpu_read;
  start = std::chrono::steady_clock::now();
  if (!store.FinishRestore(loaded, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  double finish = Since(start), cpu_finish = Cpu() - cpu0 - cpu_read - cpu_restore;
  std::printf("restart of %llu (wall / CPU seconds): open %.3f, ReadAll %.3f / %.3f, "
              "Restore %.3f / %.3f, FinishRestore %.3f / %.3f, total %.3f / %.3f\n",
              static_cast<unsigned long long>(loaded.count), open, read, cpu_read, restore,
              cpu_restore, finish, cpu_finish, Since(total), Cpu() - cpu0);
  if (temporary) std::filesystem::remove_all(dir);
  return 0;
}
