// Internal to dnsd/http: HttpServer::Impl, shared by http_server.cc (listening,
// accepting, serving requests) and http_server_wait.cc (blocking queries, the timer,
// shutdown). See http_server.cc for the lifetime rules.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dnsd/http/blocking_queries.h"
#include "dnsd/http/eureka_delta.h"
#include "dnsd/http/registry_feed.h"
#include "dnsd/http/h2o_glue.h"
#include "dnsd/http/http1_conn.h"
#include "dnsd/http/http_server.h"
#include "dnsd/http/router.h"
#include "dnsd/http/tls_context.h"
#include "dnsd/metrics/text.h"
#include "dnsd/uv/uv_handle.h"

namespace dnsd::http {

namespace internal {
// What a request gets when handling it threw (allocation failure): a 500 with no detail.
HttpResponse InternalError();
}  // namespace internal

struct HttpServer::Impl final : registry::RegistryObserver, internal::Http1Host {
  enum class State { kIdle, kListening, kClosing, kDisposed, kClosed };
  static constexpr std::string_view kServerName = "dnsd";  // the Server header, h2o's and ours
  static constexpr uint64_t kIdleSweepMs = 250;  // at most; header_timeout / 4 when shorter

  struct Handler {
    h2o_handler_t super;
    Impl* impl;
  };
  struct ParkedToken {  // lives in the request's pool; its dispose callback unparks
    Impl* impl;
    BlockingQueries::Id id;
  };
  struct WriteToken {  // likewise for a write waiting for its store
    Impl* impl;
    uint64_t id;
  };
  struct H2oRequestToken {  // in every h2o request's pool: the request is over when freed
    Impl* impl;
    void* socket;  // h2o_socket_t* of its connection
  };
  struct Awaiting {  // who gets the answer of a write once its store calls back
    internal::Http1Conn* conn;
    h2o_req_t* req;
  };

  Impl(uv_loop_t* loop, const registry::Registry& registry, registry::Store& store,
       HttpServerOptions options)
      : loop_(loop),
        registry_(registry),
        store_(store),
        options_(std::move(options)),
        header_timeout_ms_(static_cast<uint64_t>(std::max<int64_t>(1, options_.header_timeout.count()))) {
    router_.clock = &clock_;
    router_.tokens = options_.tokens;
    router_.max_body = options_.max_body;
    router_.include_warning = options_.include_warning;
    router_.version = options_.version;
    router_.datacenter = options_.datacenter;
    router_.node = options_.node;
    router_.started = clock_.Now();
    router_.http_metrics = &http_metrics_;
    router_.store = &store_;
    router_.render_metrics = [this](std::string& out) {
      metrics::Header(out, "dnsd_http_blocking_queries", "gauge",
                      "Blocking queries parked until a change or their wait.");
      metrics::Sample(out, "dnsd_http_blocking_queries", "", waiters_.size());
      RenderConnectionMetrics(out);
      if (options_.render_metrics) options_.render_metrics(out);
    };
    router_.feed = &feed_;
    router_.eureka = &eureka_;
    registry_.AddObserver(this);
  }
  ~Impl() override { registry_.RemoveObserver(this); }

  std::vector<std::string> Listen(std::string& error);
  void Shutdown(std::function<void()> on_closed);
  bool closed() const { return state_ == State::kIdle || state_ == State::kClosed; }

  void OnRegistryEvent(const registry::RegistryEvent& event) override {
    if (event.service.empty()) return;
    if (event.kind == registry::RegistryEvent::Kind::kRestored) {
      feed_.Restored();
      return;
    }
    feed_.Touch(event.service, event.index);
    eureka_.OnEvent(event, clock_.Now());
    // No registry calls here: the waiters are answered from the timer, next iteration.
    if (waiters_.OnChange(event.service, event.index)) ScheduleTimer(0);
  }

  uv_loop_t* loop() const { return loop_; }
  RouterOptions router_;

  // internal::Http1Host: the fast path's connections.
  std::optional<HttpResponse> Serve(const HttpRequest& request,
                                    internal::Http1Conn& conn) override;
  void HandOver(internal::Http1Conn& conn, std::string_view unread) override;
  void OnClosed(internal::Http1Conn& conn) override;
  bool ShuttingDown() const override { return state_ != State::kListening; }
  std::string_view Date() override { return date_.Now(); }

 private:
  void InitH2o();
  void RenderConnectionMetrics(std::string& out) const;
  void TrackH2oRequest(h2o_req_t* req);
  static void OnH2oRequestDisposedCb(void* token);
  bool ListenOn(const addr::Address& address, std::string& bound, std::string& error);
  void HandleRequest(h2o_req_t* req);
  void Respond(h2o_req_t* req, const HttpResponse& response);
  void Park(h2o_req_t* req, const BlockingQuery& query);
  std::optional<HttpResponse> Submit(HttpResponse accepted, uint64_t id);
  void SubmitFor(h2o_req_t* req, HttpResponse accepted);
  void Deliver(uint64_t id, HttpResponse response);
  void AnswerWaiters(std::vector<BlockingQueries::Waiter> waiters);
  void ArmWaiterTimer();
  void ScheduleTimer(uint64_t ms) { uv_timer_start(&timer_, &Impl::OnTimerCb, ms, 0); }
  void OnTimer();

  static int OnRequestCb(h2o_handler_t* self, h2o_req_t* req);
  static void OnAcceptCb(uv_stream_t* listener, int status);
  static void OnIdleTimerCb(uv_timer_t* timer);
  static void OnParkedDisposedCb(void* token);
  static void OnWriteDisposedCb(void* token);
  static void OnTimerCb(uv_timer_t* timer);
  static void OnTimerClosedCb(uv_handle_t* handle);

  uv_loop_t* loop_;
  const registry::Registry& registry_;
  registry::Store& store_;
  HttpServerOptions options_;
  registry::SteadyClock clock_;  // same time base as the registry's SteadyClock
  metrics::HttpMetrics http_metrics_;
  BlockingQueries waiters_;
  RegistryFeed feed_;
  EurekaDelta eureka_;  // GET /eureka/apps/delta's last 3 minutes
  State state_ = State::kIdle;
  std::function<void()> on_closed_;

  h2o_globalconf_t config_{};
  h2o_context_t context_{};
  h2o_accept_ctx_t accept_ctx_{};
  // Embedded, not a UvHandle: its close callback is the server's last event (kClosed),
  // after h2o's own handles inside context_ have closed.
  uv_timer_t timer_{};
  // The sweep (OnIdleTimerCb), until every connection has closed.
  uv::UvHandle<uv_timer_t> idle_timer_;
  internal::HttpDate date_;
  std::vector<uv::UvHandle<uv_tcp_t>> listeners_;  // data = Impl*
  // Every accepted connection until its handle has closed, handed over to h2o or not.
  std::unordered_map<internal::Http1Conn*, std::unique_ptr<internal::Http1Conn>> connections_;
  // Handed-over connections by h2o's socket (h2o_socket_t*), for H2oRequestToken.
  std::unordered_map<void*, internal::Http1Conn*> h2o_conns_;
  internal::TlsContext tls_;      // set: HTTPS only, every connection goes to h2o
  uint64_t header_timeout_ms_;    // http.header_timeout
  uint64_t rejected_ = 0;         // connections closed at once at max_connections
  uint64_t header_timeouts_ = 0;  // connections closed by the header timeout
  uint64_t stalled_closes_ = 0;   // h2o sockets whose refused write the sweep failed
  std::unordered_map<uint64_t, Awaiting> awaiting_;  // writes submitted, not yet answered
  uint64_t last_write_id_ = 0;
  uint64_t serving_ = 0;  // the write being submitted: a synchronous answer lands here
  std::optional<HttpResponse> sync_answer_;
};

}  // namespace dnsd::http
