// HttpServer::Impl, continued: parked blocking queries, the one timer that answers them
// (and drives shutdown), and shutdown itself.
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

#include "dnsd/http/http_server_impl.h"

namespace dnsd::http {

void HttpServer::Impl::Park(h2o_req_t* req, const BlockingQuery& query) {
  auto* token = static_cast<ParkedToken*>(
      h2o_mem_alloc_shared(&req->pool, sizeof(ParkedToken), &Impl::OnParkedDisposedCb));
  token->impl = this;
  token->id = waiters_.Add(query, req);
  ArmWaiterTimer();
}

void HttpServer::Impl::OnParkedDisposedCb(void* p) {
  // The request's pool is being cleared: answered already (no-op) or the client is gone.
  auto* token = static_cast<ParkedToken*>(p);
  if (token->impl->waiters_.Remove(token->id)) spdlog::debug("http: blocking query abandoned");
}

void HttpServer::Impl::AnswerWaiters(std::vector<BlockingQueries::Waiter> waiters) {
  for (BlockingQueries::Waiter& w : waiters) {
    auto* req = static_cast<h2o_req_t*>(w.context);
    try {
      Respond(req, AnswerServiceQuery(w.query, registry_, router_));
    } catch (const std::exception& e) {
      spdlog::error("http: answering a blocking query failed: {}", e.what());
      Respond(req, internal::InternalError());
    }
  }
}

void HttpServer::Impl::ArmWaiterTimer() {
  if (state_ != State::kListening) return;
  if (waiters_.HasReady()) return ScheduleTimer(0);
  std::optional<registry::TimePoint> next = waiters_.NextDeadline();
  if (!next) {
    uv_timer_stop(&timer_);
    return;
  }
  auto ms = std::max<int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(*next - clock_.Now()).count(), 0);
  ScheduleTimer(static_cast<uint64_t>(ms));
}

void HttpServer::Impl::OnTimerCb(uv_timer_t* timer) { static_cast<Impl*>(timer->data)->OnTimer(); }

void HttpServer::Impl::OnTimer() {
  switch (state_) {
    case State::kListening:
      AnswerWaiters(waiters_.TakeReady());
      AnswerWaiters(waiters_.TakeExpired(clock_.Now()));
      ArmWaiterTimer();
      return;
    case State::kClosing:
      if (!connections_.empty()) return;
      idle_timer_.Reset();
      if (!internal::ContextIdle(context_)) return ScheduleTimer(10);
      // Closes h2o's own timers (embedded in context_); they finish this iteration.
      h2o_context_dispose(&context_);
      h2o_config_dispose(&config_);
      state_ = State::kDisposed;
      ScheduleTimer(0);
      return;
    case State::kDisposed:
      uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Impl::OnTimerClosedCb);
      return;
    default:
      return;
  }
}

void HttpServer::Impl::OnTimerClosedCb(uv_handle_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  self->state_ = State::kClosed;
  spdlog::debug("http: closed");
  if (self->on_closed_) {
    std::function<void()> done = std::move(self->on_closed_);
    done();  // may destroy the server
  }
}

void HttpServer::Impl::Shutdown(std::function<void()> on_closed) {
  if (state_ == State::kIdle || state_ == State::kClosed) {
    state_ = State::kClosed;
    if (on_closed) on_closed();
    return;
  }
  if (state_ != State::kListening) {  // already shutting down: keep the newest callback
    on_closed_ = std::move(on_closed);
    return;
  }
  on_closed_ = std::move(on_closed);
  AnswerWaiters(waiters_.TakeAll());
  state_ = State::kClosing;
  listeners_.clear();  // UvHandles: closed, and freed once libuv is done with them
  h2o_context_request_shutdown(&context_);
  // Idle keep-alive connections would otherwise linger until h2o's request timeout:
  // a read shutdown makes h2o see end-of-stream and close each one through its own path,
  // after the response it may still be writing.
  for (const auto& [conn, owned] : connections_) {
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(conn->handle()), &fd) == 0) {
      ::shutdown(fd, SHUT_RD);
    }
  }
  ScheduleTimer(0);
}

}  // namespace dnsd::http
