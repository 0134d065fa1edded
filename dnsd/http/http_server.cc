// HttpServer: h2o on the control thread's libuv loop, in front of the pure Route().
//
// Lifetime: listeners and accepted connections are heap structs freed by their uv_close
// callbacks; the h2o context (whose timers are embedded uv handles) is disposed only after
// every connection has closed, and on_closed runs two loop iterations later, when the
// context's handles are surely closed too. Blocking queries are parked in
// BlockingQueries; a shared object in the request's pool unparks a request whose stream
// h2o disposes of (client gone), so a parked request is never touched after h2o freed it.
#include "dnsd/http/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "dnsd/http/blocking_queries.h"
#include "dnsd/http/h2o_glue.h"
#include "dnsd/http/http1_conn.h"
#include "dnsd/http/router.h"

namespace dnsd::http {
namespace {

enum class State { kIdle, kListening, kClosing, kDisposed, kClosed };

constexpr std::string_view kServerName = "dnsd";  // the Server header, h2o's and ours
constexpr uint64_t kIdleSweepMs = 250;  // idle keep-alive connections close 10-10.25 s idle

// What a request gets when handling it threw (allocation failure): a 500 with no detail.
HttpResponse InternalError() {
  HttpResponse r;
  r.status = 500;
  r.body = "{\"error\":\"internal error\"}\n";
  r.route = kUnmatchedRoute;
  return r;
}

}  // namespace

struct HttpServer::Impl final : registry::RegistryObserver, internal::Http1Host {
  struct Handler {
    h2o_handler_t super;
    Impl* impl;
  };
  struct Listener {
    uv_tcp_t tcp;  // tcp.data = Impl*
  };
  struct ParkedToken {  // lives in the request's pool; its dispose callback unparks
    Impl* impl;
    BlockingQueries::Id id;
  };

  Impl(uv_loop_t* loop, registry::Registry& registry, HttpServerOptions options)
      : loop_(loop), registry_(registry), options_(std::move(options)) {
    router_.clock = &clock_;
    router_.tokens = options_.tokens;
    router_.max_body = options_.max_body;
    router_.include_warning = options_.include_warning;
    router_.version = options_.version;
    router_.started = clock_.Now();
    router_.http_metrics = &http_metrics_;
    router_.render_metrics = options_.render_metrics;
    registry_.AddObserver(this);
  }
  ~Impl() override { registry_.RemoveObserver(this); }

  std::vector<std::string> Listen(std::string& error);
  void Shutdown(std::function<void()> on_closed);
  bool closed() const { return state_ == State::kIdle || state_ == State::kClosed; }

  void OnRegistryEvent(const registry::RegistryEvent& event) override {
    if (event.service.empty()) return;
    // No registry calls here: the waiters are answered from the timer, next iteration.
    if (waiters_.OnChange(event.service, event.index)) ScheduleTimer(0);
  }

  uv_loop_t* loop() const { return loop_; }
  RouterOptions router_;

  // internal::Http1Host: the fast path's connections.
  HttpResponse Serve(const HttpRequest& request) override;
  void HandOver(internal::Http1Conn& conn, std::string_view unread) override;
  void OnClosed(internal::Http1Conn& conn) override;
  bool ShuttingDown() const override { return state_ != State::kListening; }
  std::string_view Date() override { return date_.Now(); }

 private:
  void InitH2o();
  bool ListenOn(const config::ListenAddress& address, std::string& bound, std::string& error);
  void HandleRequest(h2o_req_t* req);
  void Respond(h2o_req_t* req, const HttpResponse& response);
  void Park(h2o_req_t* req, const BlockingQuery& query);
  void AnswerWaiters(std::vector<BlockingQueries::Waiter> waiters);
  void ArmWaiterTimer();
  void ScheduleTimer(uint64_t ms) { uv_timer_start(&timer_, &Impl::OnTimerCb, ms, 0); }
  void OnTimer();

  static int OnRequestCb(h2o_handler_t* self, h2o_req_t* req);
  static void OnAcceptCb(uv_stream_t* listener, int status);
  static void OnIdleTimerCb(uv_timer_t* timer);
  static void OnIdleTimerClosedCb(uv_handle_t* handle);
  static void OnListenerClosedCb(uv_handle_t* handle);
  static void OnParkedDisposedCb(void* token);
  static void OnTimerCb(uv_timer_t* timer);
  static void OnTimerClosedCb(uv_handle_t* handle);

  uv_loop_t* loop_;
  registry::Registry& registry_;
  HttpServerOptions options_;
  registry::SteadyClock clock_;  // same time base as the registry's SteadyClock
  metrics::HttpMetrics http_metrics_;
  BlockingQueries waiters_;
  State state_ = State::kIdle;
  std::function<void()> on_closed_;

  h2o_globalconf_t config_{};
  h2o_context_t context_{};
  h2o_accept_ctx_t accept_ctx_{};
  uv_timer_t timer_{};
  uv_timer_t idle_timer_{};  // h2o's request timeout, for connections served by Http1Conn
  internal::HttpDate date_;
  std::vector<Listener*> listeners_;
  size_t closing_handles_ = 0;  // listeners and the idle timer
  std::unordered_set<internal::Http1Conn*> connections_;
};

void HttpServer::Impl::InitH2o() {
  h2o_config_init(&config_);
  config_.server_name = h2o_iovec_init(kServerName.data(), kServerName.size());
  // h2o answers bodies beyond its own limit with a plain-text 413; keep that limit above
  // max_body so that the router's JSON 413 is what clients normally see.
  config_.max_request_entity_size = std::max<uint64_t>(options_.max_body * 2, 4096);
  h2o_hostconf_t* host =
      h2o_config_register_host(&config_, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* path = h2o_config_register_path(host, "/", 0);
  auto* handler = reinterpret_cast<Handler*>(h2o_create_handler(path, sizeof(Handler)));
  handler->super.on_req = &Impl::OnRequestCb;
  handler->impl = this;
  h2o_context_init(&context_, loop_, &config_);
  accept_ctx_.ctx = &context_;
  accept_ctx_.hosts = config_.hosts;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_init(loop_, &idle_timer_);
  idle_timer_.data = this;
  uv_timer_start(&idle_timer_, &Impl::OnIdleTimerCb, kIdleSweepMs, kIdleSweepMs);
}

std::vector<std::string> HttpServer::Impl::Listen(std::string& error) {
  if (state_ != State::kIdle) {
    error = "http: Listen called twice";
    return {};
  }
  InitH2o();
  state_ = State::kListening;
  std::vector<std::string> bound;
  for (const config::ListenAddress& address : options_.listen) {
    std::string name;
    if (!ListenOn(address, name, error)) return {};
    bound.push_back(std::move(name));
  }
  router_.http_listeners = bound;
  return bound;
}

bool HttpServer::Impl::ListenOn(const config::ListenAddress& address, std::string& bound,
                                std::string& error) {
  struct sockaddr_storage ss {};
  auto* sa = reinterpret_cast<struct sockaddr*>(&ss);
  bool v6 = address.host.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in6*>(sa))
              : uv_ip4_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in*>(sa));
  std::string shown =
      (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
  if (rc != 0) {
    error = "http listen " + shown + ": not an IP address";
    return false;
  }
  auto* listener = new Listener{};
  uv_tcp_init(loop_, &listener->tcp);
  listener->tcp.data = this;
  listeners_.push_back(listener);  // closed by Shutdown, whatever happens next
  rc = uv_tcp_bind(&listener->tcp, sa, v6 ? UV_TCP_IPV6ONLY : 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->tcp), 511, &Impl::OnAcceptCb);
  if (rc != 0) {
    error = "http listen " + shown + ": " + uv_strerror(rc);
    return false;
  }
  int len = sizeof ss;
  uv_tcp_getsockname(&listener->tcp, sa, &len);
  bound = internal::FormatSockaddr(sa);
  spdlog::info("http: listening on {}", bound);
  return true;
}

void HttpServer::Impl::OnAcceptCb(uv_stream_t* stream, int status) {
  auto* self = static_cast<Impl*>(stream->data);
  if (status != 0) {
    spdlog::warn("http: accept: {}", uv_strerror(status));
    return;
  }
  auto* conn = new internal::Http1Conn(*self, self->config_.max_request_entity_size,
                                       kServerName);
  uv_tcp_init(self->loop_, conn->handle());
  self->connections_.insert(conn);
  auto* handle = reinterpret_cast<uv_handle_t*>(conn->handle());
  if (uv_accept(stream, reinterpret_cast<uv_stream_t*>(conn->handle())) != 0 ||
      self->state_ != State::kListening) {
    uv_close(handle, &internal::Http1Conn::OnClosedCb);
    return;
  }
  // Answers go out in one write each; no Nagle delay behind an unacknowledged segment
  // (h2o's own server sets TCP_NODELAY too).
  uv_tcp_nodelay(conn->handle(), 1);
  conn->Start();
}

void HttpServer::Impl::HandOver(internal::Http1Conn& conn, std::string_view unread) {
  h2o_socket_t* sock = h2o_uv_socket_create(reinterpret_cast<uv_stream_t*>(conn.handle()),
                                            &internal::Http1Conn::OnClosedCb);
  if (!unread.empty()) {
    h2o_iovec_t room = h2o_buffer_reserve(&sock->input, unread.size());
    std::memcpy(room.base, unread.data(), unread.size());
    sock->input->size += unread.size();
  }
  h2o_accept(&accept_ctx_, sock);  // h2o serves the buffered request(s) from here on
}

void HttpServer::Impl::OnClosed(internal::Http1Conn& conn) {
  connections_.erase(&conn);
  if (state_ == State::kClosing) ScheduleTimer(0);
}

void HttpServer::Impl::OnIdleTimerCb(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  uint64_t now = uv_now(self->loop_);
  // Close() only starts uv_close; the set changes in the close callbacks, later.
  for (internal::Http1Conn* conn : self->connections_) {
    conn->CloseIfIdle(now, H2O_DEFAULT_HTTP1_REQ_TIMEOUT);
  }
}

void HttpServer::Impl::OnIdleTimerClosedCb(uv_handle_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  --self->closing_handles_;
  if (self->state_ == State::kClosing) self->ScheduleTimer(0);
}

void HttpServer::Impl::OnListenerClosedCb(uv_handle_t* handle) {
  auto* self = static_cast<Impl*>(handle->data);
  delete reinterpret_cast<Listener*>(handle);
  --self->closing_handles_;
  if (self->state_ == State::kClosing) self->ScheduleTimer(0);
}

int HttpServer::Impl::OnRequestCb(h2o_handler_t* self, h2o_req_t* req) {
  reinterpret_cast<Handler*>(self)->impl->HandleRequest(req);
  return 0;
}

HttpResponse HttpServer::Impl::Serve(const HttpRequest& request) {
  HttpResponse response;
  try {
    response = Route(request, registry_, router_);
    // Only a query string makes a blocking query, and those go to h2o; never park here.
    if (response.block) response = AnswerServiceQuery(*response.block, registry_, router_);
  } catch (const std::exception& e) {
    spdlog::error("http: request failed: {}", e.what());
    response = InternalError();
  }
  spdlog::debug("http: {} {} -> {}", request.method, request.path, response.status);
  http_metrics_.Record(response.route, response.status);
  return response;
}

void HttpServer::Impl::HandleRequest(h2o_req_t* req) {
  // No exception may reach h2o: anything thrown (allocation) becomes a 500.
  try {
    HttpRequest request = internal::ToHttpRequest(req);
    HttpResponse response = Route(request, registry_, router_);
    spdlog::debug("http: {} {} -> {}{}", request.method, request.path, response.status,
                  response.block ? " (parked)" : "");
    if (!response.block) return Respond(req, response);
    if (state_ == State::kListening) return Park(req, *response.block);
    Respond(req, AnswerServiceQuery(*response.block, registry_, router_));
  } catch (const std::exception& e) {
    spdlog::error("http: request failed: {}", e.what());
    Respond(req, InternalError());
  }
}

void HttpServer::Impl::Respond(h2o_req_t* req, const HttpResponse& response) {
  http_metrics_.Record(response.route, response.status);
  internal::SendResponse(req, response);
}

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
      Respond(req, InternalError());
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
      if (!connections_.empty() || closing_handles_ != 0) return;
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
  for (Listener* l : listeners_) {
    ++closing_handles_;
    uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), &Impl::OnListenerClosedCb);
  }
  listeners_.clear();
  ++closing_handles_;
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_timer_), &Impl::OnIdleTimerClosedCb);
  h2o_context_request_shutdown(&context_);
  // Idle keep-alive connections would otherwise linger until h2o's request timeout:
  // a read shutdown makes h2o see end-of-stream and close each one through its own path,
  // after the response it may still be writing.
  for (internal::Http1Conn* conn : connections_) {
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(conn->handle()), &fd) == 0) {
      ::shutdown(fd, SHUT_RD);
    }
  }
  ScheduleTimer(0);
}

HttpServer::HttpServer(uv_loop_t* loop, registry::Registry& registry, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(loop, registry, std::move(options))) {}

HttpServer::~HttpServer() {
  if (impl_->closed()) return;
  // Contract breach (destroyed before on_closed): finish closing here, boundedly, so that
  // no handle outlives the memory it lives in.
  spdlog::error("http: server destroyed before Shutdown completed; closing now");
  impl_->Shutdown(nullptr);
  for (int i = 0; i < 500 && !impl_->closed(); ++i) {  // at most about half a second
    uv_run(impl_->loop(), UV_RUN_NOWAIT);
    if (!impl_->closed()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!impl_->closed()) {
    spdlog::error(
        "http: connections still open; leaking the server rather than freeing live handles");
    static_cast<void>(impl_.release());
  }
}

std::vector<std::string> HttpServer::Listen(std::string& error) { return impl_->Listen(error); }

void HttpServer::SetDnsListeners(std::vector<std::string> dns) {
  impl_->router_.dns_listeners = std::move(dns);
}

void HttpServer::SetReady(bool ready) { impl_->router_.ready = ready; }

void HttpServer::Shutdown(std::function<void()> on_closed) {
  impl_->Shutdown(std::move(on_closed));
}

}  // namespace dnsd::http
