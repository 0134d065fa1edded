// UvHandle<T>: unique ownership of one libuv handle (uv_udp_t, uv_tcp_t, uv_timer_t,
// uv_poll_t, uv_async_t, ...), uvw style: destroying the owner calls uv_close, and the
// memory is freed in the close callback, once libuv is done with it. Pending request
// callbacks (writes, sends) that run after the owner let go see handle->data == nullptr.
//
// Thread: the handle's loop thread only. Header-only (target dnsd_uv); used by dnsd/net,
// dnsd/forward and the composition root.
#pragma once

#include <uv.h>

#include <utility>

namespace dnsd::uv {

template <typename T>
class UvHandle {
 public:
  UvHandle() = default;
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  ~UvHandle() { Reset(); }

  // Allocates a handle and runs init(T*) (e.g. uv_timer_init). On a libuv error the
  // memory is released without uv_close (the handle was never initialised) and the
  // status is returned; the UvHandle stays empty.
  template <typename InitFn>
  int Init(InitFn&& init) {
    Reset();
    T* h = new T{};
    int rc = init(h);
    if (rc != 0) {
      delete h;
      return rc;
    }
    h->data = nullptr;
    h_ = h;
    return 0;
  }

  // Closes the handle (idempotent). Safe inside the handle's own callbacks.
  void Reset() {
    if (h_ == nullptr) return;
    T* h = std::exchange(h_, nullptr);
    h->data = nullptr;
    auto* base = reinterpret_cast<uv_handle_t*>(h);
    if (!uv_is_closing(base)) {
      uv_close(base, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
    }
  }

  T* get() const { return h_; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(h_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(h_); }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  T* h_ = nullptr;
};

}  // namespace dnsd::uv
