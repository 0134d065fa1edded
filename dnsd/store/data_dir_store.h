// DataDirStore: the registry persisted in storage.data_dir (SPEC §7), in SQLite (WAL mode)
// as one row per instance plus the registry index (docs/DESIGN.md, "The data dir").
//
// Write path: a command is applied to the registry and published at once; the rows of
// every instance it changed (found through the registry's events, lapses and removals
// included) are written by the next Flush(), one transaction and one sync for every change
// since the last Flush (group commit), and only then is each covered write answered. A
// heartbeat that changes nothing writes nothing and is answered at once.
//
// Startup: the constructor creates and locks the directory and opens the database
// (throwing std::runtime_error with the path on failure); ReadAll() reads and checks
// every record and may run on another thread, before any write; Restore() then loads
// them into the registry on its thread. Writes before Restore() are refused (503).
// Everything else runs on the registry's thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::store {

struct Loaded {
  std::vector<registry::Instance> instances;
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

  Loaded ReadAll();
  // Applies what ReadAll returned; false (with error) when the registry refuses a record.
  bool Restore(Loaded loaded, std::string& error);

  void Submit(registry::Command cmd, Done done) override;
  registry::StoreStatus Status() const override;
  // Writes every change since the last call and answers the writes it covers.
  void Flush();
  bool pending() const { return !dirty_.empty() || !waiting_.empty(); }

 private:
  void OnRegistryEvent(const registry::RegistryEvent& event) override;
  void Lock();
  void Open();
  std::string TornTailWarning() const;
  bool WriteDirty(std::string& error);
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
  uint64_t syncs_ = 0;
  double sync_seconds_ = 0;
  double last_sync_ms_ = 0;
};

}  // namespace dnsd::store
