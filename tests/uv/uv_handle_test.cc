#include "dnsd/uv/uv_handle.h"

#include <catch2/catch.hpp>

namespace dnsd::uv {
namespace {

// A private loop, closed at the end of each test: uv_loop_close fails (EBUSY) while any
// handle is still open, so a leaked or unclosed handle fails the test.
struct Loop {
  uv_loop_t loop{};
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() { CHECK(uv_loop_close(&loop) == 0); }
  void Run() { uv_run(&loop, UV_RUN_DEFAULT); }
};

void CountClose(void* counter) { ++*static_cast<int*>(counter); }

TEST_CASE("a reset handle is closed, then freed, and says so once", "[uv]") {
  Loop l;
  int closed = 0;
  UvHandle<uv_timer_t> timer;
  REQUIRE(timer.Init([&](uv_timer_t* t) { return uv_timer_init(&l.loop, t); }) == 0);
  timer.get()->data = &l;
  timer.OnClosed(&CountClose, &closed);
  timer.Reset();
  CHECK_FALSE(timer);
  CHECK(closed == 0);  // only in the close callback, on the loop
  l.Run();
  CHECK(closed == 1);
  timer.Reset();  // idempotent
}

TEST_CASE("a released handle is freed by whoever closes it with CloseCallback", "[uv]") {
  Loop l;
  int closed = 0;
  UvHandle<uv_tcp_t> tcp;
  REQUIRE(tcp.Init([&](uv_tcp_t* t) { return uv_tcp_init(&l.loop, t); }) == 0);
  tcp.OnClosed(&CountClose, &closed);
  tcp.get()->data = &closed;
  uv_tcp_t* raw = tcp.Release();
  CHECK_FALSE(tcp);
  CHECK(raw->data == &closed);  // left as it was, for the new owner
  uv_close(reinterpret_cast<uv_handle_t*>(raw), &UvHandle<uv_tcp_t>::CloseCallback);
  l.Run();
  CHECK(closed == 1);
}

TEST_CASE("a handle whose init fails is never opened and leaves the owner empty", "[uv]") {
  Loop l;
  UvHandle<uv_timer_t> timer;
  CHECK(timer.Init([](uv_timer_t*) { return UV_EINVAL; }) == UV_EINVAL);
  CHECK_FALSE(timer);
}

TEST_CASE("a moved-from owner no longer closes the handle", "[uv]") {
  Loop l;
  int closed = 0;
  UvHandle<uv_timer_t> a;
  REQUIRE(a.Init([&](uv_timer_t* t) { return uv_timer_init(&l.loop, t); }) == 0);
  a.OnClosed(&CountClose, &closed);
  UvHandle<uv_timer_t> b = std::move(a);
  a.Reset();
  l.Run();
  CHECK(closed == 0);
  b = UvHandle<uv_timer_t>();
  l.Run();
  CHECK(closed == 1);
}

}  // namespace
}  // namespace dnsd::uv
