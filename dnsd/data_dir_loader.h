// DataDirLoader: startup from the data dir without stalling the control loop. A thread
// of its own reads and checks the records (DataDirStore::ReadAll) and hands each batch
// to the loop through a uv_async_t; the loop inserts it into the registry (Restore)
// while the next batch is read, so reading and inserting share the machine's cores.
// When the last batch is in, `finished` runs on the loop with how the reading ended.
//
// Thread: construct, Start and destroy on the loop thread. Destroying it stops the
// reading at the next batch and joins the thread; no callback runs after that.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dnsd/store/data_dir_store.h"
#include "dnsd/uv/uv_handle.h"

namespace dnsd {

class DataDirLoader {
 public:
  // Returns false (with error) when a record cannot go into the registry: loading stops.
  using Apply = std::function<bool(store::Batch, std::string& error)>;
  using Finished = std::function<void(store::Loaded)>;

  DataDirLoader(uv_loop_t* loop, store::DataDirStore& store);
  ~DataDirLoader();
  DataDirLoader(const DataDirLoader&) = delete;
  DataDirLoader& operator=(const DataDirLoader&) = delete;

  // Returns a libuv status (0 on success).
  int Start(Apply apply, Finished finished);

 private:
  void Drain();
  void Stop();

  uv_loop_t* loop_;
  store::DataDirStore& store_;
  Apply apply_;
  Finished finished_;
  uv::UvHandle<uv_async_t> wake_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::vector<store::Batch> batches_;  // guarded by mu_
  bool done_ = false;                  // guarded by mu_
  store::Loaded result_;               // guarded by mu_ until the thread is joined
  std::string error_;                  // the first refusal of apply_
};

}  // namespace dnsd
