// DataDirStore: the registry persisted in storage.data_dir (SPEC §7), in SQLite (WAL mode)
// as one row per instance plus the registry index (docs/DESIGN.md, "The data dir").
//
// Write path: a command is applied to the registry and published at once; the rows of
// every instance it changed (found through the registry's events, lapses and removals
// included) are written by the next Flush(), one transaction and one sync for every change
// since the last batch (group commit), and only then is each covered write answered. A
// heartbeat that changes nothing writes nothing and is answered at once. With a notifier
// (SetNotifier) the transaction and its sync run on a writer thread of the store's own,
// so that the registry's thread keeps taking writes into the next batch meanwhile; the
// notifier is called on that thread when a batch is on disk, and the registry's thread
// then calls Completed(), which answers it and hands over the next. Without one, Flush()
// commits inline.
//
// Startup: the constructor creates and locks the directory and opens the database
// (throwing std::runtime_error with the path on failure); ReadAll() reads and checks
// every record and may run on another thread, before any write, handing them over in
// batches, so that the registry's thread can Restore() one batch while the next is read;
// FinishRestore() then makes the store writable. Writes before it are refused (503).
// Everything else runs on the registry's thread.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::store {

using Batch = std::vector<registry::Instance>;

// How a ReadAll ended. The instances went to its batch callback.
struct Loaded {
  uint64_t count = 0;
  uint64_t index = 0;
  std::string error;    // damage, naming the file and the place: startup must stop
  std::string warning;  // a torn last record that was dropped
};

struct DataDirOptions {
  std::string dir;
  bool fsync = true;  // false: SQLite synchronous=OFF (tests, throw-away caches)
};

class DataDirStore final : public registry::Store, private registry::RegistryObserver {
 public:
  DataDirStore(registry::Registry& registry, DataDirOptions options);
  ~DataDirStore() override;
  DataDirStore(const DataDirStore&) = delete;
  DataDirStore& operator=(const DataDirStore&) = delete;

  // Calls batch with every kBatchSize records read and checked, and once more with the
  // rest; a batch callback that returns false stops the reading (error is then empty).
  static constexpr size_t kBatchSize = 16384;
  Loaded ReadAll(const std::function<bool(Batch)>& batch);
  // Inserts a batch into the registry; false (with error) when it refuses a record.
  bool Restore(Batch batch, std::string& error);
  // After the last batch: the index and the format on disk; the store takes writes.
  bool FinishRestore(const Loaded& loaded, std::string& error);

  void Submit(registry::Command cmd, Done done) override;
  registry::StoreStatus Status() const override;
  // Starts the thread that commits; notify runs on it after every batch (thread-safe
  // wake-up of the registry's thread, e.g. uv_async_send).
  void SetNotifier(std::function<void()> notify);
  // Hands every change since the last batch to the writer (or commits it inline), unless
  // a batch is in flight: Completed() then flushes what came meanwhile.
  void Flush();
  void Completed();
  // Lets the batch in flight finish, stops the writer thread and commits the rest
  // inline: every write submitted so far is answered (shutdown).
  void Drain();

 private:
  void OnRegistryEvent(const registry::RegistryEvent& event) override;
  void Lock();
  void Open();
  std::string TornTailWarning() const;
  std::string ReadMeta(uint64_t& index, bool& versioned);
  struct Row {
    std::string key;
    std::string record;
    bool erase = false;
  };
  struct WriteBatch {
    std::vector<Row> rows;
    uint64_t index = 0;
    std::vector<std::pair<Done, registry::Result<uint64_t>>> waiting;
    std::string error;  // set by Commit when the transaction failed
    double seconds = 0;
  };
  std::unique_ptr<WriteBatch> TakeBatch();
  void Commit(WriteBatch& batch);
  void Answer(std::unique_ptr<WriteBatch> batch);
  void WriterLoop();
  void StopWriter();
  void Exec(const char* sql);
  uint64_t BytesOnDisk() const;

  registry::Registry& registry_;
  DataDirOptions options_;
  std::string db_path_;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* put_index_ = nullptr;
  bool ready_ = false;
  bool damaged_ = false;  // never checkpoint a damaged database on close
  std::unordered_set<std::string> dirty_;  // row keys changed since the last Flush
  std::vector<std::pair<Done, registry::Result<uint64_t>>> waiting_;
  bool in_flight_ = false;  // a batch is with the writer thread

  // The writer thread and what it shares with the registry's thread.
  std::function<void()> notify_;
  std::thread writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<WriteBatch> handed_;     // guarded by mu_: the next batch to commit
  std::unique_ptr<WriteBatch> committed_;  // guarded by mu_: the batch just committed
  bool stop_writer_ = false;          // guarded by mu_
  uint64_t syncs_ = 0;
  double sync_seconds_ = 0;
  double last_sync_ms_ = 0;
};

}  // namespace dnsd::store
