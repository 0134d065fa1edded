// UvHandle<T>: unique ownership of one libuv handle (uv_udp_t, uv_tcp_t, uv_timer_t,
// uv_poll_t, uv_async_t, ...), uvw style: destroying the owner calls uv_close, and the
// memory is freed in the close callback, once libuv is done with it. Pending request
// callbacks (writes, sends) that run after the owner let go see handle->data == nullptr.
// A handle that a library closes itself (h2o's sockets) is Release()d to it, and that
// library is given CloseCallback, which frees it the same way.
//
// Thread: the handle's loop thread only. Header-only (target dnsd_uv); used by dnsd/net,
// dnsd/forward, dnsd/http and the composition root.
#pragma once

#include <uv.h>

#include <type_traits>
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
    Box* box = new Box{};
    int rc = init(&box->handle);
    if (rc != 0) {
      delete box;
      return rc;
    }
    box->handle.data = nullptr;
    h_ = &box->handle;
    return 0;
  }

  // Closes the handle (idempotent). Safe inside the handle's own callbacks.
  void Reset() {
    if (h_ == nullptr) return;
    T* h = std::exchange(h_, nullptr);
    h->data = nullptr;
    auto* base = reinterpret_cast<uv_handle_t*>(h);
    if (!uv_is_closing(base)) uv_close(base, &CloseCallback);
  }

  // Asks for on_closed(arg) in the close callback, just before the memory is freed, for
  // an owner that must outlive the handle (a write request of its own still pending).
  // Kept across Release(). Needs a handle.
  void OnClosed(void (*on_closed)(void*), void* arg) {
    Box* box = BoxOf(handle());
    box->on_closed = on_closed;
    box->arg = arg;
  }

  // Gives the open handle up, data pointer untouched, to one that will uv_close it with
  // CloseCallback (e.g. h2o_uv_socket_create); the UvHandle is empty afterwards.
  T* Release() { return std::exchange(h_, nullptr); }

  // The close callback of every handle made by Init: runs OnClosed's callback, if any,
  // then frees the memory.
  static void CloseCallback(uv_handle_t* closed) {
    Box* box = BoxOf(closed);
    if (box->on_closed != nullptr) box->on_closed(box->arg);
    delete box;
  }

  T* get() const { return h_; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(h_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(h_); }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  struct Box {  // standard layout, handle first: a T* made by Init is a Box*
    T handle;
    void (*on_closed)(void*) = nullptr;
    void* arg = nullptr;
  };
  static_assert(std::is_standard_layout_v<Box>);
  static Box* BoxOf(uv_handle_t* handle) { return reinterpret_cast<Box*>(handle); }

  T* h_ = nullptr;
};

}  // namespace dnsd::uv
