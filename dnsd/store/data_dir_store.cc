#include "dnsd/store/data_dir_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "dnsd/store/record.h"

namespace dnsd::store {
namespace {

constexpr const char* kDbName = "registry.db";
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS instances(key TEXT PRIMARY KEY, value BLOB NOT NULL);";

std::runtime_error Failure(const std::string& what) { return std::runtime_error(what); }

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

DataDirStore::DataDirStore(registry::Registry& registry, DataDirOptions options)
    : registry_(registry), options_(std::move(options)) {
  if (options_.dir.empty()) throw Failure("storage.data_dir is empty");
  while (options_.dir.size() > 1 && options_.dir.back() == '/') options_.dir.pop_back();
  db_path_ = options_.dir + "/" + kDbName;
  Lock();
  Open();
  registry_.AddObserver(this);
}

DataDirStore::~DataDirStore() {
  StopWriter();  // an in-flight batch is committed, never cut short
  registry_.RemoveObserver(this);
  // Writes still waiting are dropped unanswered: their front end is gone by now (the
  // server flushes at every loop iteration, shutdown included, so normally none is left).
  if (!waiting_.empty()) spdlog::warn("data dir: {} write(s) unanswered at exit", waiting_.size());
  for (sqlite3_stmt* s : {upsert_, erase_, put_index_}) sqlite3_finalize(s);
  if (db_) {
    // A damaged database is left exactly as found: no checkpoint of its WAL on close.
    if (damaged_) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_close(db_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

// One dnsd per data dir: an exclusive flock on <dir>/LOCK, held for the process's life
// (the kernel drops it when the process dies, kill -9 included).
void DataDirStore::Lock() {
  if (::mkdir(options_.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Failure(Errno("data dir " + options_.dir + " cannot be created"));
  }
  struct stat st {};
  if (::stat(options_.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Failure("data dir " + options_.dir + " is not a directory");
  }
  std::string lock = options_.dir + "/LOCK";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw Failure(Errno("data dir " + options_.dir + " is not writable (" + lock + ")"));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    throw Failure("data dir " + options_.dir + " is in use by another dnsd (" + lock +
                  " is locked)");
  }
}

void DataDirStore::Open() {
  const bool existed = FileSize(db_path_) > 0;
  if (sqlite3_open_v2(db_path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    throw Failure(db_path_ + ": " + (db_ ? sqlite3_errmsg(db_) : "cannot open"));
  }
  try {
    Exec("PRAGMA journal_mode=WAL");
    Exec(options_.fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    Exec(kSchema);
  } catch (const std::runtime_error&) {
    damaged_ = existed;
    throw;
  }
  auto prepare = [this](const char* sql, sqlite3_stmt** out) {
    if (sqlite3_prepare_v2(db_, sql, -1, out, nullptr) != SQLITE_OK) {
      throw Failure(db_path_ + ": " + sqlite3_errmsg(db_));
    }
  };
  prepare("INSERT INTO instances(key, value) VALUES(?1, ?2) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          &upsert_);
  prepare("DELETE FROM instances WHERE key = ?1", &erase_);
  prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          &put_index_);
}

void DataDirStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = db_path_ + ": " + (message ? message : sqlite3_errmsg(db_));
    sqlite3_free(message);
    throw Failure(what);
  }
}

// SQLite ignores a WAL frame that was only partly written (its checksum fails) and every
// frame after it; the file's length tells whether that happened: the WAL is a 32-byte
// header and whole frames of 24 + page-size bytes.
std::string DataDirStore::TornTailWarning() const {
  const std::string wal = db_path_ + "-wal";
  int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  unsigned char header[32] = {};
  ssize_t n = ::read(fd, header, sizeof header);
  ::close(fd);
  uint64_t size = FileSize(wal);
  if (n != static_cast<ssize_t>(sizeof header)) {
    return size == 0 ? "" : wal + ": torn header (" + std::to_string(size) + " bytes) dropped";
  }
  uint64_t page = (uint64_t{header[8]} << 24) | (header[9] << 16) | (header[10] << 8) | header[11];
  if (page == 1) page = 65536;
  const uint64_t frame = 24 + page;
  const uint64_t tail = (size - 32) % frame;
  if (page < 512 || tail == 0) return "";
  return wal + ": torn last record at offset " + std::to_string(size - tail) + " (" +
         std::to_string(tail) + " bytes) dropped";
}

Loaded DataDirStore::ReadAll(const std::function<bool(Batch)>& batch) {
  Loaded out;
  out.warning = TornTailWarning();
  auto fail = [&](std::string what) {
    damaged_ = true;
    out.error = std::move(what);
    return std::move(out);
  };
  bool versioned = false;
  if (std::string error = ReadMeta(out.index, versioned); !error.empty()) return fail(error);

  sqlite3_stmt* rows = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT rowid, key, value FROM instances", -1, &rows, nullptr) !=
      SQLITE_OK) {
    return fail(db_path_ + ": " + sqlite3_errmsg(db_));
  }
  Batch pending;
  pending.reserve(kBatchSize);
  int rc;
  while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
    int64_t rowid = sqlite3_column_int64(rows, 0);
    const unsigned char* text = sqlite3_column_text(rows, 1);
    const std::string_view key = text ? reinterpret_cast<const char*>(text) : "?";
    std::string_view value(static_cast<const char*>(sqlite3_column_blob(rows, 2)),
                           static_cast<size_t>(sqlite3_column_bytes(rows, 2)));
    registry::Result<registry::Instance> in = DecodeInstance(value);
    if (!in || RecordKey(in->service, in->id) != key) {
      std::string why = in ? "the record does not belong to its key" : in.error().message;
      std::string where = db_path_ + ": table instances, rowid " + std::to_string(rowid) +
                          " (key " + std::string(key) + "): " + why;
      sqlite3_finalize(rows);
      return fail(std::move(where));
    }
    if (!versioned) break;  // reported below
    pending.push_back(std::move(*in));
    ++out.count;
    if (pending.size() == kBatchSize) {
      if (!batch(std::exchange(pending, {}))) break;
      pending.reserve(kBatchSize);
    }
  }
  sqlite3_finalize(rows);
  if (!versioned && (rc == SQLITE_ROW || out.count > 0)) {
    return fail(db_path_ + ": table meta has no format version");
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return fail(db_path_ + ": " + sqlite3_errmsg(db_));
  if (!pending.empty()) batch(std::move(pending));
  return out;
}

// The meta table: the format version (checked) and the registry index.
std::string DataDirStore::ReadMeta(uint64_t& index, bool& versioned) {
  sqlite3_stmt* meta = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT key, value FROM meta", -1, &meta, nullptr) != SQLITE_OK) {
    return db_path_ + ": " + sqlite3_errmsg(db_);
  }
  int rc;
  std::string error;
  while (error.empty() && (rc = sqlite3_step(meta)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(meta, 0);
    const std::string_view key = text ? reinterpret_cast<const char*>(text) : "";
    int64_t value = sqlite3_column_int64(meta, 1);
    if (key == "index") index = static_cast<uint64_t>(value);
    if (key != "format") continue;
    versioned = true;
    if (value != kFormatVersion) {
      error = db_path_ + ": table meta, row format: unknown format version " +
              std::to_string(value) + " (this dnsd reads " + std::to_string(kFormatVersion) + ")";
    }
  }
  if (error.empty() && rc != SQLITE_DONE) error = db_path_ + ": " + sqlite3_errmsg(db_);
  sqlite3_finalize(meta);
  return error;
}

bool DataDirStore::Restore(Batch batch, std::string& error) {
  for (registry::Instance& in : batch) {
    std::string key = RecordKey(in.service, in.id);
    if (registry::Status s = registry_.Restore(std::move(in)); !s) {
      error = db_path_ + ": key " + key + ": " + s.error().message;
      damaged_ = true;
      return false;
    }
  }
  return true;
}

bool DataDirStore::FinishRestore(const Loaded& loaded, std::string& error) {
  registry_.FinishRestore(loaded.index);
  dirty_.clear();  // restoring changed nothing on disk
  // The format first, and the index the restart moved to: never lower at the next start.
  for (auto [key, value] : {std::pair<const char*, int64_t>{"format", kFormatVersion},
                            {"index", static_cast<int64_t>(registry_.index())}}) {
    sqlite3_bind_text(put_index_, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_index_, 2, value);
    int rc = sqlite3_step(put_index_);
    sqlite3_reset(put_index_);
    if (rc != SQLITE_DONE) {
      error = db_path_ + ": " + sqlite3_errmsg(db_);
      return false;
    }
  }
  ready_ = true;
  return true;
}

void DataDirStore::OnRegistryEvent(const registry::RegistryEvent& event) {
  if (event.service.empty() || event.kind == registry::RegistryEvent::Kind::kRestored) return;
  dirty_.insert(RecordKey(event.service, event.id));
}

void DataDirStore::Submit(registry::Command cmd, Done done) {
  if (!ready_) {
    return done(registry::Error{registry::ErrorCode::kUnavailable,
                                "the registry is still loading from " + options_.dir, ""});
  }
  registry::Result<uint64_t> result = registry::Apply(registry_, std::move(cmd));
  if (result) registry_.Publish();
  if (!result || dirty_.empty()) return done(std::move(result));
  waiting_.emplace_back(std::move(done), std::move(result));
}

void DataDirStore::SetNotifier(std::function<void()> notify) {
  notify_ = std::move(notify);
  if (notify_ && !writer_.joinable()) writer_ = std::thread([this] { WriterLoop(); });
}

// The rows of every key changed since the last batch, encoded now (on the registry's
// thread: the registry is not thread-safe), and the writes they answer.
std::unique_ptr<DataDirStore::WriteBatch> DataDirStore::TakeBatch() {
  auto batch = std::make_unique<WriteBatch>();
  batch->rows.reserve(dirty_.size());
  for (const std::string& key : dirty_) {
    size_t slash = key.find('/');
    const registry::Instance* in = registry_.Find(std::string_view(key).substr(0, slash),
                                                  std::string_view(key).substr(slash + 1));
    batch->rows.push_back({key, in ? EncodeInstance(*in) : std::string(), in == nullptr});
  }
  dirty_.clear();
  batch->index = registry_.index();
  batch->waiting.swap(waiting_);
  return batch;
}

void DataDirStore::Flush() {
  if (!ready_ || in_flight_ || (dirty_.empty() && waiting_.empty())) return;
  std::unique_ptr<WriteBatch> batch = TakeBatch();
  if (!writer_.joinable()) {
    Commit(*batch);
    return Answer(std::move(batch));
  }
  in_flight_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  handed_ = std::move(batch);
  cv_.notify_all();
}

void DataDirStore::Completed() {
  std::unique_ptr<WriteBatch> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch = std::move(committed_);
  }
  if (batch) {
    in_flight_ = false;
    Answer(std::move(batch));
  }
  Flush();  // what arrived during that sync
}

void DataDirStore::Drain() {
  StopWriter();  // commits the batch in flight, if any
  Completed();   // answers it; the rest is committed inline (no writer any more)
}

void DataDirStore::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_writer_ = true;
    cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
}

// The writer thread: one transaction, and so one sync, per batch handed over.
void DataDirStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_writer_ || handed_ != nullptr; });
    if (!handed_) return;
    std::unique_ptr<WriteBatch> batch = std::move(handed_);
    lock.unlock();
    Commit(*batch);
    lock.lock();
    committed_ = std::move(batch);
    if (notify_) notify_();
  }
}

// Answers a committed batch's writes, or refuses them (and marks their rows dirty again,
// so that the next batch writes them from the registry's state then).
void DataDirStore::Answer(std::unique_ptr<WriteBatch> batch) {
  ++syncs_;
  sync_seconds_ += batch->seconds;
  last_sync_ms_ = batch->seconds * 1000;
  if (!batch->error.empty()) {
    spdlog::error("data dir: {}", batch->error);
    for (Row& row : batch->rows) dirty_.insert(std::move(row.key));
    for (auto& [done, result] : batch->waiting) {
      done(registry::Error{registry::ErrorCode::kUnavailable,
                           "the change could not be written to the data dir: " + batch->error,
                           ""});
    }
    return;
  }
  for (auto& [done, result] : batch->waiting) done(std::move(result));
}

// Runs on the writer thread (or inline without one); touches only SQLite and the batch.
void DataDirStore::Commit(WriteBatch& batch) {
  auto start = std::chrono::steady_clock::now();
  auto check = [&](int rc, int want) {
    if (rc == want) return true;
    batch.error = db_path_ + ": " + sqlite3_errmsg(db_);
    return false;
  };
  bool ok = check(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  for (size_t i = 0; ok && i < batch.rows.size(); ++i) {
    const Row& row = batch.rows[i];
    sqlite3_stmt* s = row.erase ? erase_ : upsert_;
    sqlite3_bind_text(s, 1, row.key.data(), static_cast<int>(row.key.size()), SQLITE_STATIC);
    if (!row.erase) {
      sqlite3_bind_blob(s, 2, row.record.data(), static_cast<int>(row.record.size()),
                        SQLITE_STATIC);
    }
    ok = check(sqlite3_step(s), SQLITE_DONE);
    sqlite3_reset(s);
  }
  if (ok) {
    sqlite3_bind_text(put_index_, 1, "index", -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_index_, 2, static_cast<int64_t>(batch.index));
    ok = check(sqlite3_step(put_index_), SQLITE_DONE);
    sqlite3_reset(put_index_);
  }
  // COMMIT syncs the WAL (synchronous=FULL): the one sync of the whole batch.
  if (ok) ok = check(sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  if (!ok && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  batch.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t DataDirStore::BytesOnDisk() const {
  return FileSize(db_path_) + FileSize(db_path_ + "-wal");
}

registry::StoreStatus DataDirStore::Status() const {
  registry::StoreStatus s;
  s.persistent = true;
  s.data_dir = options_.dir;
  s.bytes = BytesOnDisk();
  s.last_sync_ms = last_sync_ms_;
  s.syncs_total = syncs_;
  s.sync_seconds_total = sync_seconds_;
  return s;
}

}  // namespace dnsd::store
