// Embedded store comparison for the data dir (SPEC §7): SQLite in WAL mode against LMDB.
//
// Every run, for every engine, on one store of `--records` instances (default 10^6,
// keys "svc-N/inst-M", values = 4-byte CRC32 + compact JSON, 250 bytes in all):
//   1. fill: insert every record in a shuffled order, `--fill-batch` per transaction,
//      syncs off (the file layout does not depend on fsync); close; bytes on disk.
//   2. load: evict the files from the page cache (fdatasync + POSIX_FADV_DONTNEED on
//      each file), then open + read every record + verify its CRC32 ("cold"); close,
//      open and read again with the cache warm ("warm").
//   3. durable writes: on that open store (engine's durable mode), batches of 1, 4, 16,
//      64 upserts of random existing keys per committed transaction, each also updating
//      the registry index row; writes/s and commit latency (Begin .. Commit returns).
//      Each case stops after `--case-seconds` or `--max-commits` commits.
//   4. churn: `--rounds` rounds of deleting `--churn` random live records and inserting
//      as many new ones (new instance ids), `--churn-batch` per transaction, syncs off;
//      close; bytes on disk (is the file still proportional to the live set?).
// Engines: sqlite-full (WAL, synchronous=FULL: the planned one), sqlite-normal (WAL,
// synchronous=NORMAL: not durable against power loss, for reference), sqlite-norowid
// (WAL, FULL, `WITHOUT ROWID` table: one B-tree instead of table + key index),
// sqlite-bgckpt (WAL, FULL, checkpoints on a second connection's thread instead of inside
// the COMMIT that crosses wal_autocheckpoint, not run by default), lmdb
// (default flags: a commit is fdatasync of the data pages, then of the meta page).
// Runs are interleaved (run r visits the engines in a rotated order) and the report
// gives the median and min-max over the runs, and ratios to LMDB.
//
//   bench/store/run                     # builds, runs in a temp dir, deletes it
//   store_compare --dir DIR [--runs 3] [--records 1000000] [--engines a,b,...]
#include <fcntl.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "store_compare: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// ---------------------------------------------------------------- records

constexpr size_t kValueSize = 250;  // 4-byte CRC32 + JSON

std::string Key(uint32_t svc, uint32_t inst) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "svc-%u/inst-%u", svc, inst);
  return std::string(buf, n);
}

// The instance as dnsd would store it: CRC32 (little endian) of the JSON, then the JSON.
std::string Value(uint32_t svc, uint32_t inst, uint64_t index) {
  char json[512];
  int n = std::snprintf(json, sizeof json,
                        "{\"service\":\"svc-%u\",\"id\":\"inst-%u\",\"address\":\"10.%u.%u.%u\","
                        "\"port\":%u,\"tags\":[\"v2\",\"primary\"],\"meta\":{\"zone\":\"eu-west-1a\","
                        "\"version\":\"1.4.2\"},\"status\":\"passing\",\"ttl\":\"30s\","
                        "\"index\":%" PRIu64 ",\"pad\":\"",
                        svc, inst, (svc >> 8) & 255, svc & 255, inst & 255, 8000 + inst % 1000,
                        index);
  std::string v(4, '\0');
  v.append(json, n);
  const size_t tail = 2;  // "}
  if (v.size() + tail > kValueSize) Die("value template too long");
  v.append(kValueSize - tail - v.size(), 'x');
  v.append("\"}");
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(v.data() + 4), v.size() - 4);
  for (int i = 0; i < 4; ++i) v[i] = static_cast<char>((crc >> (8 * i)) & 255);
  return v;
}

bool ValueOk(const void* data, size_t size) {
  if (size < 4) return false;
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t stored = p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
  return crc32(0, p + 4, size - 4) == stored;
}

struct LoadResult {
  size_t records = 0;
  size_t bad = 0;
  uint64_t bytes = 0;
};

// ---------------------------------------------------------------- stores

class Store {
 public:
  virtual ~Store() = default;
  virtual void Begin() = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Del(std::string_view key) = 0;
  virtual void PutIndex(uint64_t index) = 0;  // the registry index, once per transaction
  virtual void Commit() = 0;
  virtual LoadResult Load() = 0;  // every record, CRC verified
};

enum class Sync { kDurable, kOff };

struct EngineSpec {
  std::string name;
  bool lmdb = false;
  const char* synchronous = "FULL";  // SQLite, in durable mode
  bool without_rowid = false;
  bool bg_checkpoint = false;  // SQLite: checkpoints on a thread of their own, not in COMMIT
};

class SqliteStore : public Store {
 public:
  SqliteStore(const std::string& dir, const EngineSpec& spec, Sync sync) {
    const std::string path = dir + "/registry.db";
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      Die("sqlite3_open " + path);
    Exec("PRAGMA journal_mode=WAL");
    Exec(std::string("PRAGMA synchronous=") + (sync == Sync::kDurable ? spec.synchronous : "OFF"));
    Exec(std::string("CREATE TABLE IF NOT EXISTS instances(key TEXT PRIMARY KEY, value BLOB)") +
         (spec.without_rowid ? " WITHOUT ROWID" : ""));
    Exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB)");
    Exec("INSERT OR IGNORE INTO meta VALUES('index', x'0000000000000000')");
    put_ = Prepare(
        "INSERT INTO instances(key, value) VALUES(?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    del_ = Prepare("DELETE FROM instances WHERE key = ?1");
    index_ = Prepare("UPDATE meta SET value = ?1 WHERE key = 'index'");
    begin_ = Prepare("BEGIN IMMEDIATE");
    commit_ = Prepare("COMMIT");
    if (spec.bg_checkpoint && sync == Sync::kDurable) {
      // No checkpoint inside COMMIT: a second connection copies the WAL into the database
      // (PASSIVE: never blocks the writer) every 20 ms, so a commit waits for one WAL sync.
      Exec("PRAGMA wal_autocheckpoint=0");
      checkpointer_ = std::thread([this, path, s = std::string(spec.synchronous)] {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
          Die("sqlite3_open (checkpointer)");
        sqlite3_exec(db, ("PRAGMA synchronous=" + s).c_str(), nullptr, nullptr, nullptr);
        while (!stop_.load()) {
          int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                             nullptr);
          if (rc != SQLITE_OK && rc != SQLITE_BUSY) Die("checkpoint: " + std::to_string(rc));
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        sqlite3_close(db);
      });
    }
  }
  ~SqliteStore() override {
    stop_ = true;
    if (checkpointer_.joinable()) checkpointer_.join();
    for (sqlite3_stmt* s : {put_, del_, index_, begin_, commit_}) sqlite3_finalize(s);
    if (sqlite3_close(db_) != SQLITE_OK) Die("sqlite3_close");
  }
  void Begin() override { Step(begin_); }
  void Put(std::string_view key, std::string_view value) override {
    sqlite3_bind_text(put_, 1, key.data(), int(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(put_, 2, value.data(), int(value.size()), SQLITE_STATIC);
    Step(put_);
  }
  void Del(std::string_view key) override {
    sqlite3_bind_text(del_, 1, key.data(), int(key.size()), SQLITE_STATIC);
    Step(del_);
  }
  void PutIndex(uint64_t index) override {
    sqlite3_bind_blob(index_, 1, &index, sizeof index, SQLITE_TRANSIENT);
    Step(index_);
  }
  void Commit() override { Step(commit_); }
  LoadResult Load() override {
    LoadResult r;
    sqlite3_stmt* s = Prepare("SELECT key, value FROM instances");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const void* v = sqlite3_column_blob(s, 1);
      size_t n = sqlite3_column_bytes(s, 1);
      sqlite3_column_text(s, 0);  // the key, as the loader would read it
      r.bytes += n + sqlite3_column_bytes(s, 0);
      ++r.records;
      if (!ValueOk(v, n)) ++r.bad;
    }
    if (rc != SQLITE_DONE) Die(std::string("sqlite scan: ") + sqlite3_errmsg(db_));
    sqlite3_finalize(s);
    return r;
  }

 private:
  void Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK)
      Die(sql + ": " + (err ? err : "?"));
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      Die(std::string(sql) + ": " + sqlite3_errmsg(db_));
    return s;
  }
  void Step(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) Die(std::string("sqlite: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
  }

  sqlite3* db_ = nullptr;
  std::thread checkpointer_;
  std::atomic<bool> stop_{false};
  sqlite3_stmt *put_ = nullptr, *del_ = nullptr, *index_ = nullptr, *begin_ = nullptr,
               *commit_ = nullptr;
};

void Mdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) Die(std::string(what) + ": " + mdb_strerror(rc));
}

class LmdbStore : public Store {
 public:
  LmdbStore(const std::string& dir, Sync sync) {
    Mdb(mdb_env_create(&env_), "mdb_env_create");
    Mdb(mdb_env_set_mapsize(env_, size_t(32) << 30), "mdb_env_set_mapsize");
    Mdb(mdb_env_set_maxdbs(env_, 2), "mdb_env_set_maxdbs");
    Mdb(mdb_env_open(env_, dir.c_str(), sync == Sync::kDurable ? 0 : MDB_NOSYNC, 0644),
        "mdb_env_open");
    sync_off_ = sync == Sync::kOff;
    MDB_txn* txn;
    Mdb(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    Mdb(mdb_dbi_open(txn, "instances", MDB_CREATE, &instances_), "mdb_dbi_open instances");
    Mdb(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta_), "mdb_dbi_open meta");
    Mdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  ~LmdbStore() override {
    if (sync_off_) Mdb(mdb_env_sync(env_, 1), "mdb_env_sync");
    mdb_env_close(env_);
  }
  void Begin() override { Mdb(mdb_txn_begin(env_, nullptr, 0, &txn_), "mdb_txn_begin"); }
  void Put(std::string_view key, std::string_view value) override {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    Mdb(mdb_put(txn_, instances_, &k, &v, 0), "mdb_put");
  }
  void Del(std::string_view key) override {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    Mdb(mdb_del(txn_, instances_, &k, nullptr), "mdb_del");
  }
  void PutIndex(uint64_t index) override {
    MDB_val k{5, const_cast<char*>("index")};
    MDB_val v{sizeof index, &index};
    Mdb(mdb_put(txn_, meta_, &k, &v, 0), "mdb_put meta");
  }
  void Commit() override {
    Mdb(mdb_txn_commit(txn_), "mdb_txn_commit");
    txn_ = nullptr;
  }
  LoadResult Load() override {
    LoadResult r;
    MDB_txn* txn;
    MDB_cursor* c;
    Mdb(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin ro");
    Mdb(mdb_cursor_open(txn, instances_, &c), "mdb_cursor_open");
    MDB_val k, v;
    int rc;
    while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
      r.bytes += k.mv_size + v.mv_size;
      ++r.records;
      if (!ValueOk(v.mv_data, v.mv_size)) ++r.bad;
    }
    if (rc != MDB_NOTFOUND) Mdb(rc, "mdb_cursor_get");
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return r;
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi instances_ = 0, meta_ = 0;
  bool sync_off_ = false;
};

std::unique_ptr<Store> Open(const std::string& dir, const EngineSpec& spec, Sync sync) {
  if (spec.lmdb) return std::make_unique<LmdbStore>(dir, sync);
  return std::make_unique<SqliteStore>(dir, spec, sync);
}

// ---------------------------------------------------------------- files

struct DiskUse {
  uint64_t apparent = 0;   // st_size
  uint64_t allocated = 0;  // st_blocks * 512 (what du counts)
};

DiskUse Usage(const std::string& dir) {
  DiskUse u;
  for (const auto& e : fs::directory_iterator(dir)) {
    struct stat st;
    if (stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    u.apparent += st.st_size;
    u.allocated += uint64_t(st.st_blocks) * 512;
  }
  return u;
}

// Push the files to disk and drop them from the page cache, so that the next open reads
// from the device (the closest to a cold start that does not drop the whole machine's cache).
void Evict(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    int fd = open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

// ---------------------------------------------------------------- the run

struct Options {
  std::string dir;
  int runs = 3;
  size_t records = 1'000'000;
  size_t fill_batch = 1000;
  size_t churn = 100'000;
  int rounds = 10;
  size_t churn_batch = 64;
  double case_seconds = 5;
  size_t max_commits = 20'000;
  std::vector<size_t> batches{1, 4, 16, 64};
  std::vector<std::string> engines{"sqlite-full", "sqlite-normal", "sqlite-norowid", "lmdb"};
};

EngineSpec Spec(const std::string& name) {
  if (name == "sqlite-full") return {name, false, "FULL", false};
  if (name == "sqlite-normal") return {name, false, "NORMAL", false};
  if (name == "sqlite-norowid") return {name, false, "FULL", true};
  if (name == "sqlite-bgckpt") return {name, false, "FULL", false, true};
  if (name == "lmdb") return {name, true, "", false};
  Die("unknown engine " + name);
}

// metric -> engine -> one value per run
using Results = std::map<std::string, std::map<std::string, std::vector<double>>>;
std::vector<std::string> metric_order;

void Record(Results& res, const std::string& metric, const std::string& engine, double v) {
  if (std::find(metric_order.begin(), metric_order.end(), metric) == metric_order.end())
    metric_order.push_back(metric);
  res[metric][engine].push_back(v);
  std::printf("  %-14s %-34s %.6g\n", engine.c_str(), metric.c_str(), v);
  std::fflush(stdout);
}

struct Live {
  std::vector<std::pair<uint32_t, uint32_t>> ids;  // (svc, inst) of every live record
  uint32_t next_inst = 10;
};

void RunEngine(const Options& o, const EngineSpec& spec, int run, Results& res) {
  const std::string dir = o.dir + "/" + spec.name + "-" + std::to_string(run);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::mt19937_64 rng(1234 + run);
  uint64_t index = 0;
  const std::string& E = spec.name;
  const double n = double(o.records);

  // 1. fill
  Live live;
  const uint32_t services = uint32_t(std::max<size_t>(1, o.records / 10));
  for (uint32_t i = 0; i < o.records; ++i) live.ids.emplace_back(i % services, i / services);
  std::shuffle(live.ids.begin(), live.ids.end(), rng);
  {
    auto t0 = Clock::now();
    auto s = Open(dir, spec, Sync::kOff);
    for (size_t i = 0; i < live.ids.size(); i += o.fill_batch) {
      s->Begin();
      for (size_t j = i; j < std::min(live.ids.size(), i + o.fill_batch); ++j) {
        auto [svc, inst] = live.ids[j];
        s->Put(Key(svc, inst), Value(svc, inst, ++index));
      }
      s->PutIndex(index);
      s->Commit();
    }
    s.reset();
    Record(res, "fill, syncs off (s)", E, Seconds(t0, Clock::now()));
  }
  DiskUse filled = Usage(dir);
  Record(res, "bytes/record after fill", E, filled.allocated / n);

  // 2. load
  Evict(dir);
  LoadResult lr;
  std::unique_ptr<Store> s;
  {
    auto t0 = Clock::now();
    s = Open(dir, spec, Sync::kDurable);
    lr = s->Load();
    Record(res, "load, cold (s)", E, Seconds(t0, Clock::now()));
    if (lr.records != o.records || lr.bad != 0)
      Die(E + ": loaded " + std::to_string(lr.records) + " records, " + std::to_string(lr.bad) +
          " bad");
    s.reset();
    t0 = Clock::now();
    s = Open(dir, spec, Sync::kDurable);
    lr = s->Load();
    Record(res, "load, warm (s)", E, Seconds(t0, Clock::now()));
  }

  // 3. durable writes on the full store
  std::uniform_int_distribution<size_t> pick(0, live.ids.size() - 1);
  for (size_t b : o.batches) {
    std::vector<double> lat;
    const size_t warmup = 10;
    Clock::time_point start{}, end{};
    for (size_t c = 0; c < o.max_commits + warmup; ++c) {
      if (c == warmup) start = Clock::now();
      auto t0 = Clock::now();
      s->Begin();
      for (size_t j = 0; j < b; ++j) {
        auto [svc, inst] = live.ids[pick(rng)];
        s->Put(Key(svc, inst), Value(svc, inst, ++index));
      }
      s->PutIndex(index);
      s->Commit();
      end = Clock::now();
      if (c >= warmup) lat.push_back(Seconds(t0, end) * 1e3);
      if (c >= warmup && Seconds(start, end) >= o.case_seconds) break;
    }
    std::sort(lat.begin(), lat.end());
    const std::string tag = "batch " + std::to_string(b) + ": ";
    Record(res, tag + "writes/s", E, double(lat.size() * b) / Seconds(start, end));
    Record(res, tag + "commit p50 (ms)", E, lat[lat.size() / 2]);
    Record(res, tag + "commit p99 (ms)", E, lat[std::min(lat.size() - 1, lat.size() * 99 / 100)]);
  }
  std::printf("    %s after the writes: %.1f MB on disk (open, WAL included)\n", E.c_str(),
              Usage(dir).allocated / 1e6);
  s.reset();

  // 4. churn
  {
    auto t0 = Clock::now();
    s = Open(dir, spec, Sync::kOff);
    for (int round = 0; round < o.rounds; ++round) {
      // delete o.churn random live records (moved to the tail, then dropped)
      size_t m = std::min(o.churn, live.ids.size());
      for (size_t i = 0; i < m; ++i) {
        std::uniform_int_distribution<size_t> d(0, live.ids.size() - 1 - i);
        std::swap(live.ids[d(rng)], live.ids[live.ids.size() - 1 - i]);
      }
      std::vector<std::pair<uint32_t, uint32_t>> gone(live.ids.end() - m, live.ids.end());
      live.ids.resize(live.ids.size() - m);
      for (size_t i = 0; i < gone.size(); i += o.churn_batch) {
        s->Begin();
        for (size_t j = i; j < std::min(gone.size(), i + o.churn_batch); ++j)
          s->Del(Key(gone[j].first, gone[j].second));
        s->PutIndex(++index);
        s->Commit();
      }
      // insert as many new instances (new ids, random services)
      std::uniform_int_distribution<uint32_t> svc_pick(0, services - 1);
      for (size_t i = 0; i < m; i += o.churn_batch) {
        s->Begin();
        for (size_t j = i; j < std::min(m, i + o.churn_batch); ++j) {
          uint32_t svc = svc_pick(rng), inst = live.next_inst++;
          live.ids.emplace_back(svc, inst);
          s->Put(Key(svc, inst), Value(svc, inst, ++index));
        }
        s->PutIndex(index);
        s->Commit();
      }
      std::printf("    %s churn round %d: %.1f bytes/record (open)\n", E.c_str(), round + 1,
                  Usage(dir).allocated / n);
    }
    s.reset();
    Record(res, "churn, syncs off (s)", E, Seconds(t0, Clock::now()));
  }
  DiskUse churned = Usage(dir);
  Record(res, "bytes/record after churn", E, churned.allocated / n);
  Record(res, "growth after churn (x)", E, double(churned.allocated) / double(filled.allocated));
  s = Open(dir, spec, Sync::kDurable);
  lr = s->Load();
  s.reset();
  if (lr.records != o.records || lr.bad != 0) Die(E + ": bad reload after churn");
  fs::remove_all(dir);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string Fmt(double v) {
  char buf[32];
  if (v >= 10000) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (v >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (v >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void Report(const Options& o, const Results& res) {
  std::printf("\n| measure |");
  for (const auto& e : o.engines) std::printf(" %s |", e.c_str());
  bool has_lmdb = std::find(o.engines.begin(), o.engines.end(), "lmdb") != o.engines.end();
  if (has_lmdb)
    for (const auto& e : o.engines)
      if (e != "lmdb") std::printf(" %s / lmdb |", e.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < o.engines.size() + (has_lmdb ? o.engines.size() - 1 : 0); ++i)
    std::printf("---:|");
  std::printf("\n");
  for (const auto& m : metric_order) {
    const auto& by = res.at(m);
    std::printf("| %s |", m.c_str());
    for (const auto& e : o.engines) {
      const auto& v = by.at(e);
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      std::printf(" %s (%s-%s) |", Fmt(Median(v)).c_str(), Fmt(*lo).c_str(), Fmt(*hi).c_str());
    }
    if (has_lmdb) {
      const auto& l = by.at("lmdb");
      for (const auto& e : o.engines) {
        if (e == "lmdb") continue;
        const auto& v = by.at(e);
        std::vector<double> r;  // per-run ratios (the runs are interleaved)
        for (size_t i = 0; i < std::min(v.size(), l.size()); ++i) r.push_back(v[i] / l[i]);
        auto [lo, hi] = std::minmax_element(r.begin(), r.end());
        std::printf(" %.2f (%.2f-%.2f) |", Median(v) / Median(l), *lo, *hi);
      }
    }
    std::printf("\n");
  }
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    if (q > p) out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--dir") o.dir = next();
    else if (a == "--runs") o.runs = std::stoi(next());
    else if (a == "--records") o.records = std::stoul(next());
    else if (a == "--fill-batch") o.fill_batch = std::stoul(next());
    else if (a == "--churn") o.churn = std::stoul(next());
    else if (a == "--rounds") o.rounds = std::stoi(next());
    else if (a == "--churn-batch") o.churn_batch = std::stoul(next());
    else if (a == "--case-seconds") o.case_seconds = std::stod(next());
    else if (a == "--max-commits") o.max_commits = std::stoul(next());
    else if (a == "--engines") o.engines = Split(next());
    else if (a == "--batches") {
      o.batches.clear();
      for (const auto& b : Split(next())) o.batches.push_back(std::stoul(b));
    } else Die("unknown option " + a + " (see the header of bench/store_compare.cc)");
  }
  if (o.dir.empty()) Die("--dir DIR is required");
  for (const auto& e : o.engines) Spec(e);
  std::printf("store_compare: %zu records of %zu bytes, %d runs, sqlite %s, %s, dir %s\n",
              o.records, kValueSize, o.runs, sqlite3_libversion(),
              mdb_version(nullptr, nullptr, nullptr), o.dir.c_str());
  Results res;
  for (int run = 0; run < o.runs; ++run) {
    std::printf("run %d\n", run + 1);
    for (size_t k = 0; k < o.engines.size(); ++k) {
      const auto& e = o.engines[(k + run) % o.engines.size()];
      RunEngine(o, Spec(e), run, res);
    }
  }
  Report(o, res);
  return 0;
}
