// Published<T>: one writer thread swaps in immutable values of T; any number of reader
// threads read the newest one without taking a lock on the hot path.
//
// The writer calls Publish(). Each reader thread owns a Reader, whose Get() compares an
// atomic version with the one it last saw (one acquire load) and only on a change takes
// the mutex to copy the new shared_ptr. A Reader keeps the value it returned alive until
// its next Get(), so a worker can hold a reference for the whole of one query.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace registry {

template <typename T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}

  // Writer thread only (any single thread at a time).
  void Publish(std::shared_ptr<const T> next) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      value_ = std::move(next);
    }
    version_.fetch_add(1, std::memory_order_release);
  }

  // Any thread; takes the mutex. For readers off the hot path.
  std::shared_ptr<const T> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }

  class Reader {
   public:
    explicit Reader(const Published& source) : source_(&source) { Refresh(); }
    // Lock-free unless a new value was published since the last call.
    const T& Get() {
      if (source_->version_.load(std::memory_order_acquire) != seen_) Refresh();
      return *cached_;
    }
    const std::shared_ptr<const T>& Shared() { Get(); return cached_; }

   private:
    void Refresh() {
      seen_ = source_->version_.load(std::memory_order_acquire);
      cached_ = source_->Load();
    }
    const Published* source_;
    uint64_t seen_ = 0;
    std::shared_ptr<const T> cached_;
  };

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> value_;
  std::atomic<uint64_t> version_{1};
};

}  // namespace registry
