#include "dnsd/data_dir_loader.h"

#include <utility>

namespace dnsd {

DataDirLoader::DataDirLoader(uv_loop_t* loop, store::DataDirStore& store)
    : loop_(loop), store_(store) {}

DataDirLoader::~DataDirLoader() { Stop(); }

void DataDirLoader::Stop() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
  wake_.Reset();
}

int DataDirLoader::Start(Apply apply, Finished finished) {
  apply_ = std::move(apply);
  finished_ = std::move(finished);
  int rc = wake_.Init([&](uv_async_t* h) {
    return uv_async_init(loop_, h, [](uv_async_t* a) {
      if (auto* self = static_cast<DataDirLoader*>(a->data)) self->Drain();
    });
  });
  if (rc != 0) return rc;
  wake_.get()->data = this;
  thread_ = std::thread([this] {
    store::Loaded result = store_.ReadAll([this](store::Batch batch) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        batches_.push_back(std::move(batch));
      }
      uv_async_send(wake_.get());
      return !cancel_.load();
    });
    {
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(result);
      done_ = true;
    }
    uv_async_send(wake_.get());
  });
  return 0;
}

// Runs on the loop: libuv coalesces wake-ups, so each call takes every batch queued.
void DataDirLoader::Drain() {
  std::vector<store::Batch> batches;
  bool done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batches.swap(batches_);
    done = done_;
  }
  for (store::Batch& batch : batches) {
    if (error_.empty() && !apply_(std::move(batch), error_)) cancel_ = true;
  }
  if (!done) return;
  Stop();
  store::Loaded result = std::move(result_);
  if (result.error.empty()) result.error = error_;
  Finished finished = std::move(finished_);
  finished(std::move(result));
}

}  // namespace dnsd
