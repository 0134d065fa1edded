// HttpServer: h2o on the control thread's libuv loop, in front of the pure Route().
//
// Lifetime: listeners, the idle timer and accepted connections' sockets are UvHandles,
// freed once closed; a connection (Http1Conn) is freed when its socket has closed; the h2o
// context (whose timers are embedded uv handles) is disposed only after
// every connection has closed, and on_closed runs two loop iterations later, when the
// context's handles are surely closed too. Blocking queries are parked in
// BlockingQueries; a shared object in the request's pool unparks a request whose stream
// h2o disposes of (client gone), so a parked request is never touched after h2o freed it.
#include "dnsd/http/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

#include "dnsd/http/http_server_impl.h"

namespace dnsd::http {

HttpResponse internal::InternalError() {
  HttpResponse r;
  r.status = 500;
  r.body = "{\"error\":\"internal error\"}\n";
  r.route = kUnmatchedRoute;
  return r;
}

void HttpServer::Impl::InitH2o() {
  h2o_config_init(&config_);
  config_.server_name = h2o_iovec_init(kServerName.data(), kServerName.size());
  // h2o answers bodies beyond its own limit with a plain-text 413; keep that limit above
  // max_body so that the router's JSON 413 is what clients normally see.
  config_.max_request_entity_size = std::max<uint64_t>(options_.max_body * 2, 4096);
  // http.header_timeout on h2o's connections: a request head (HTTP/1), the TLS handshake,
  // an HTTP/2 connection without streams. The fast path keeps the same timeout itself.
  config_.http1.req_timeout = header_timeout_ms_;
  config_.handshake_timeout = header_timeout_ms_;
  config_.http2.idle_timeout = header_timeout_ms_;
  h2o_hostconf_t* host =
      h2o_config_register_host(&config_, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* path = h2o_config_register_path(host, "/", 0);
  auto* handler = reinterpret_cast<Handler*>(h2o_create_handler(path, sizeof(Handler)));
  handler->super.on_req = &Impl::OnRequestCb;
  handler->impl = this;
  h2o_context_init(&context_, loop_, &config_);
  accept_ctx_.ctx = &context_;
  accept_ctx_.hosts = config_.hosts;
  accept_ctx_.ssl_ctx = tls_.get();  // nullptr: plain HTTP
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  idle_timer_.Init([this](uv_timer_t* t) { return uv_timer_init(loop_, t); });
  idle_timer_.get()->data = this;
  const uint64_t sweep = std::clamp<uint64_t>(header_timeout_ms_ / 4, 1, kIdleSweepMs);
  uv_timer_start(idle_timer_.get(), &Impl::OnIdleTimerCb, sweep, sweep);
}

void HttpServer::Impl::RenderConnectionMetrics(std::string& out) const {
  metrics::Header(out, "dnsd_http_connections", "gauge",
                  "Open HTTP connections (fast path and h2o), at most http.max_connections.");
  metrics::Sample(out, "dnsd_http_connections", "", connections_.size());
  metrics::Header(out, "dnsd_http_connections_rejected_total", "counter",
                  "HTTP connections closed at once because http.max_connections were open.");
  metrics::Sample(out, "dnsd_http_connections_rejected_total", "", rejected_);
  metrics::Header(out, "dnsd_http_header_timeouts_total", "counter",
                  "HTTP connections closed because no complete request head arrived within "
                  "http.header_timeout.");
  metrics::Sample(out, "dnsd_http_header_timeouts_total", "", header_timeouts_);
  metrics::Header(out, "dnsd_http_stalled_closes_total", "counter",
                  "HTTP connections reset by their client while h2o was closing them, "
                  "closed by the sweep.");
  metrics::Sample(out, "dnsd_http_stalled_closes_total", "", stalled_closes_);
}

std::vector<std::string> HttpServer::Impl::Listen(std::string& error) {
  if (state_ != State::kIdle) {
    error = "http: Listen called twice";
    return {};
  }
  if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
    tls_ = internal::LoadTlsContext(options_.tls_cert, options_.tls_key, error);
    if (!tls_) return {};
  }
  InitH2o();
  state_ = State::kListening;
  std::vector<std::string> bound;
  for (const addr::Address& address : options_.listen) {
    std::string name;
    if (!ListenOn(address, name, error)) return {};
    bound.push_back(std::move(name));
  }
  router_.http_listeners = bound;
  return bound;
}

bool HttpServer::Impl::ListenOn(const addr::Address& address, std::string& bound,
                                std::string& error) {
  struct sockaddr_storage ss {};
  auto* sa = reinterpret_cast<struct sockaddr*>(&ss);
  if (address.ToSockaddr(ss) == 0) {
    error = "http listen " + address.ToString() + ": not an IP address";
    return false;
  }
  uv::UvHandle<uv_tcp_t> listener;
  int rc = listener.Init([this](uv_tcp_t* t) { return uv_tcp_init(loop_, t); });
  if (rc == 0) {
    listener.get()->data = this;
    rc = uv_tcp_bind(listener.get(), sa, address.v6() ? UV_TCP_IPV6ONLY : 0);
  }
  if (rc == 0) rc = uv_listen(listener.stream(), 511, &Impl::OnAcceptCb);
  if (rc != 0) {
    error = "http listen " + address.ToString() + ": " + uv_strerror(rc);
    return false;  // the listener closes as it goes out of scope
  }
  int len = sizeof ss;
  uv_tcp_getsockname(listener.get(), sa, &len);
  listeners_.push_back(std::move(listener));  // closed by Shutdown
  bound = internal::FormatSockaddr(sa);
  spdlog::info("http: listening on {}{}", bound, tls_ ? " (https)" : "");
  return true;
}

void HttpServer::Impl::OnAcceptCb(uv_stream_t* stream, int status) {
  auto* self = static_cast<Impl*>(stream->data);
  if (status != 0) {
    spdlog::warn("http: accept: {}", uv_strerror(status));
    return;
  }
  if (self->connections_.size() >= self->options_.max_connections) {
    // Closed at once (SPEC §12): accepted only to be closed, so that the backlog does not
    // fill up with clients left waiting. Connections already open are untouched.
    uv::UvHandle<uv_tcp_t> extra;
    if (extra.Init([self](uv_tcp_t* t) { return uv_tcp_init(self->loop_, t); }) == 0 &&
        uv_accept(stream, extra.stream()) == 0) {
      ++self->rejected_;
    }
    return;  // `extra` closes here
  }
  auto owned = std::make_unique<internal::Http1Conn>(*self, self->config_.max_request_entity_size,
                                                     kServerName);
  internal::Http1Conn* conn = owned.get();
  if (int rc = conn->Init(self->loop_); rc != 0) {
    spdlog::warn("http: accept: {}", uv_strerror(rc));
    return;
  }
  self->connections_.emplace(conn, std::move(owned));  // until OnClosed
  if (uv_accept(stream, reinterpret_cast<uv_stream_t*>(conn->handle())) != 0 ||
      self->state_ != State::kListening) {
    conn->Close();
    return;
  }
  // Answers go out in one write each; no Nagle delay behind an unacknowledged segment
  // (h2o's own server sets TCP_NODELAY too).
  uv_tcp_nodelay(conn->handle(), 1);
  // The fast path reads plaintext: with TLS every connection is h2o's from the start.
  if (self->tls_) return conn->StartWithH2o();
  conn->Start();
}

void HttpServer::Impl::HandOver(internal::Http1Conn& conn, std::string_view unread) {
  h2o_socket_t* sock = h2o_uv_socket_create(reinterpret_cast<uv_stream_t*>(conn.ReleaseSocket()),
                                            &uv::UvHandle<uv_tcp_t>::CloseCallback);
  if (!unread.empty()) {
    h2o_iovec_t room = h2o_buffer_reserve(&sock->input, unread.size());
    std::memcpy(room.base, unread.data(), unread.size());
    sock->input->size += unread.size();
  }
  conn.h2o() = internal::Http1Conn::H2oState{sock, 0, uv_now(loop_)};
  h2o_conns_[sock] = &conn;
  h2o_accept(&accept_ctx_, sock);  // h2o serves the buffered request(s) from here on
}

// h2o closes a connection at its timeouts without telling why; one it closes with no
// request in progress at least header_timeout after the last one ended was closed by them
// (the client did not get to close it first: h2o's timer fired at exactly that age).
void HttpServer::Impl::OnClosed(internal::Http1Conn& conn) {
  if (conn.handed_over()) {
    const internal::Http1Conn::H2oState& h = conn.h2o();
    h2o_conns_.erase(h.socket);
    if (h.in_flight == 0 && uv_now(loop_) - h.since_ms >= header_timeout_ms_ &&
        state_ == State::kListening) {
      ++header_timeouts_;
    }
  }
  if (conn.awaiting() != 0) awaiting_.erase(conn.awaiting());
  connections_.erase(&conn);  // frees conn
  if (state_ == State::kClosing) ScheduleTimer(0);
}

// Every sweep: the fast path's idle connections are closed at the header timeout, and an
// h2o socket whose write libuv refused (see internal::WriteStalled) in this sweep and the
// previous one has that write failed, so that h2o closes it.
void HttpServer::Impl::OnIdleTimerCb(uv_timer_t* timer) {
  auto* self = static_cast<Impl*>(timer->data);
  uint64_t now = uv_now(self->loop_);
  std::vector<h2o_socket_t*> stalled;
  // Close() only starts uv_close; the set changes in the close callbacks, later.
  for (const auto& [conn, owned] : self->connections_) {
    if (!conn->handed_over()) {
      if (conn->CloseIfIdle(now, self->header_timeout_ms_)) ++self->header_timeouts_;
      continue;
    }
    internal::Http1Conn::H2oState& h = conn->h2o();
    auto* sock = static_cast<h2o_socket_t*>(h.socket);
    bool now_stalled =
        internal::WriteStalled(sock, reinterpret_cast<const uv_stream_t*>(conn->handle()));
    if (now_stalled && h.stalled) stalled.push_back(sock);
    h.stalled = now_stalled;
  }
  for (h2o_socket_t* sock : stalled) {
    ++self->stalled_closes_;
    spdlog::debug("http: a connection reset by its client is closed");
    internal::FailStalledWrite(sock);
  }
}

void HttpServer::Impl::TrackH2oRequest(h2o_req_t* req) {
  h2o_socket_t* sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn)
                                                        : nullptr;
  auto it = h2o_conns_.find(sock);
  if (it == h2o_conns_.end()) return;
  ++it->second->h2o().in_flight;
  auto* token = static_cast<H2oRequestToken*>(
      h2o_mem_alloc_shared(&req->pool, sizeof(H2oRequestToken), &Impl::OnH2oRequestDisposedCb));
  token->impl = this;
  token->socket = sock;
}

void HttpServer::Impl::OnH2oRequestDisposedCb(void* p) {
  auto* token = static_cast<H2oRequestToken*>(p);
  auto it = token->impl->h2o_conns_.find(token->socket);
  if (it == token->impl->h2o_conns_.end()) return;
  internal::Http1Conn::H2oState& h = it->second->h2o();
  if (h.in_flight > 0) --h.in_flight;
  h.since_ms = uv_now(token->impl->loop_);
}

int HttpServer::Impl::OnRequestCb(h2o_handler_t* self, h2o_req_t* req) {
  reinterpret_cast<Handler*>(self)->impl->HandleRequest(req);
  return 0;
}

std::optional<HttpResponse> HttpServer::Impl::Serve(const HttpRequest& request,
                                                    internal::Http1Conn& conn) {
  std::optional<HttpResponse> response;
  try {
    response = Route(request, registry_, router_);
    // Only a query string makes a blocking query, and those go to h2o; never park here.
    if (response->block) response = AnswerServiceQuery(*response->block, registry_, router_);
    if (response->write) {
      const uint64_t id = ++last_write_id_;
      response = Submit(std::move(*response), id);
      if (!response) {
        awaiting_[id] = Awaiting{&conn, nullptr};
        conn.set_awaiting(id);
        return std::nullopt;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("http: request failed: {}", e.what());
    response = internal::InternalError();
  }
  spdlog::debug("http: {} {} -> {}", request.method, request.path, response->status);
  http_metrics_.Record(response->route, response->status);
  return response;
}

void HttpServer::Impl::HandleRequest(h2o_req_t* req) {
  // No exception may reach h2o: anything thrown (allocation) becomes a 500.
  try {
    TrackH2oRequest(req);
    HttpRequest request = internal::ToHttpRequest(req);
    HttpResponse response = Route(request, registry_, router_);
    spdlog::debug("http: {} {} -> {}{}", request.method, request.path, response.status,
                  response.block ? " (parked)" : response.write ? " (write)" : "");
    if (response.write) return SubmitFor(req, std::move(response));
    if (!response.block) return Respond(req, response);
    if (state_ == State::kListening) return Park(req, *response.block);
    Respond(req, AnswerServiceQuery(*response.block, registry_, router_));
  } catch (const std::exception& e) {
    spdlog::error("http: request failed: {}", e.what());
    Respond(req, internal::InternalError());
  }
}

// A write accepted by the router goes to the store; its answer is built when the store
// calls back, which the memory store does before Submit returns (then it is returned
// here and sent by the caller at once), a data dir store after its sync (then Deliver
// finds the waiting connection or request by id, unless it is gone).
std::optional<HttpResponse> HttpServer::Impl::Submit(HttpResponse accepted, uint64_t id) {
  PendingWrite write = std::move(*accepted.write);
  registry::Command command = std::move(write.command);
  std::string_view route = accepted.route;
  serving_ = id;
  store_.Submit(std::move(command),
                [this, id, route, write = std::move(write)](registry::Result<uint64_t> result) {
                  HttpResponse r;
                  try {
                    r = AnswerWrite(write, result, registry_);
                  } catch (const std::exception& e) {
                    spdlog::error("http: answering a write failed: {}", e.what());
                    r = internal::InternalError();
                  }
                  r.route = route;
                  Deliver(id, std::move(r));
                });
  serving_ = 0;
  std::optional<HttpResponse> now = std::move(sync_answer_);
  sync_answer_.reset();
  return now;
}

void HttpServer::Impl::SubmitFor(h2o_req_t* req, HttpResponse accepted) {
  const uint64_t id = ++last_write_id_;
  std::optional<HttpResponse> now = Submit(std::move(accepted), id);
  if (now) return Respond(req, *now);
  auto* token = static_cast<WriteToken*>(
      h2o_mem_alloc_shared(&req->pool, sizeof(WriteToken), &Impl::OnWriteDisposedCb));
  token->impl = this;
  token->id = id;
  awaiting_[id] = Awaiting{nullptr, req};
}

void HttpServer::Impl::OnWriteDisposedCb(void* p) {
  // The request's pool is being cleared: answered already (no-op) or the client is gone.
  auto* token = static_cast<WriteToken*>(p);
  token->impl->awaiting_.erase(token->id);
}

void HttpServer::Impl::Deliver(uint64_t id, HttpResponse response) {
  if (id == serving_) {
    sync_answer_ = std::move(response);
    return;
  }
  auto it = awaiting_.find(id);
  if (it == awaiting_.end()) return;  // the client went away; the write stands
  Awaiting a = it->second;
  awaiting_.erase(it);
  if (a.req) return Respond(a.req, response);
  http_metrics_.Record(response.route, response.status);
  a.conn->Complete(std::move(response));
}

void HttpServer::Impl::Respond(h2o_req_t* req, const HttpResponse& response) {
  http_metrics_.Record(response.route, response.status);
  internal::SendResponse(req, response);
}

std::string CheckTls(const std::string& cert_file, const std::string& key_file) {
  std::string error;
  internal::TlsContext ctx = internal::LoadTlsContext(cert_file, key_file, error);
  return ctx ? std::string() : error;
}

std::string CheckCaFile(const std::string& key, const std::string& file) {
  return internal::CheckCaFile(key, file);
}

HttpServer::HttpServer(uv_loop_t* loop, const registry::Registry& registry,
                       registry::Store& store, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(loop, registry, store, std::move(options))) {}

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
