// Http1Conn: one accepted HTTP connection on the control thread's libuv loop.
//
// It serves plain keep-alive HTTP/1.1 requests itself (http1_codec.h: read, parse, route,
// one write, and reading never stops between requests), and at the first request that is
// not one it hands the socket, with every byte read but not yet served, to h2o for the rest
// of the connection's life. The server owns it (unique_ptr) and frees it in its OnClosed,
// which the handle's close callback calls, after libuv is done with the handle and with
// any write request of the connection, whoever closed it (this class, or h2o after the
// hand-over). The handle is a uv::UvHandle. Loop thread only; no exception leaves its
// libuv callbacks.
#pragma once

#include <uv.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dnsd/http/http1_codec.h"
#include "dnsd/http/router.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/instance.h"

namespace dnsd::http::internal {

class Http1Conn;

// What a connection needs from its server.
class Http1Host {
 public:
  // Routes, counts and logs one request. The answer is immediate (no query string here,
  // so no blocking query), except for a write its store has not made durable yet: then
  // nullopt, and the host calls conn.Complete() later (or never, if conn closes first).
  virtual std::optional<HttpResponse> Serve(const HttpRequest& request, Http1Conn& conn) = 0;
  // h2o takes the socket over; `unread` must be copied before returning.
  virtual void HandOver(Http1Conn& conn, std::string_view unread) = 0;
  virtual void OnClosed(Http1Conn& conn) = 0;  // just before the connection is freed
  virtual bool ShuttingDown() const = 0;      // answers then say Connection: close
  virtual std::string_view Date() = 0;        // the Date header's value for now

 protected:
  ~Http1Host() = default;
};

// The Date header's text, formatted once per second (as h2o caches it).
class HttpDate {
 public:
  std::string_view Now();

 private:
  time_t at_ = -1;
  char text_[64] = {};
  size_t len_ = 0;
};

class Http1Conn {
 public:
  Http1Conn(Http1Host& host, uint64_t max_entity, std::string_view server_name);
  Http1Conn(const Http1Conn&) = delete;
  Http1Conn& operator=(const Http1Conn&) = delete;
  ~Http1Conn();

  // Opens the connection's handle on loop (uv_tcp_init); 0 or a libuv error.
  int Init(uv_loop_t* loop);
  uv_tcp_t* handle() { return handle_; }  // valid until the host's OnClosed
  // After uv_accept: reads and serves requests.
  void Start();
  // Starts closing (idempotent; not after the hand-over, when h2o closes it).
  void Close();
  // For the host's HandOver: the socket, for h2o to close with
  // uv::UvHandle<uv_tcp_t>::CloseCallback; the host is still told OnClosed then.
  uv_tcp_t* ReleaseSocket() { return tcp_.Release(); }
  bool handed_over() const { return handed_over_; }
  // The host's id of the write this connection waits for (0: none); reading stops meanwhile.
  uint64_t awaiting() const { return awaiting_; }
  void set_awaiting(uint64_t id) { awaiting_ = id; }
  // The answer of the awaited write: sent, then serving resumes.
  void Complete(HttpResponse response);
  // http.header_timeout (h2o's request timeout) for a connection still served here: closes
  // it when no request has been completed within timeout_ms of the last answer (or of the
  // accept); true when it did.
  bool CloseIfIdle(uint64_t now_ms, uint64_t timeout_ms);
  // Hands the socket to h2o before reading anything (HTTPS: h2o does the handshake).
  void StartWithH2o();

  // After the hand-over, kept by the server to tell h2o's timeout closes from others: h2o's
  // socket, the requests h2o is serving, and when the last one ended (or the hand-over).
  struct H2oState {
    void* socket = nullptr;  // h2o_socket_t*
    uint32_t in_flight = 0;
    uint64_t since_ms = 0;
    bool stalled = false;  // seen by the previous sweep with a write libuv refused
  };
  H2oState& h2o() { return h2o_; }

 private:
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(handle_); }
  void Reserve();
  void OnRead(ssize_t nread);
  void ServeBuffered();
  void Answer(Http1Request& parsed);
  void Write(const HttpResponse& response, const Http1Request& parsed);
  void Resume();
  void Send(bool keep_alive);
  void Sent(bool keep_alive);
  void OnWritten(int status);
  void HandOver();

  static void OnAllocCb(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrittenCb(uv_write_t* req, int status);
  static void OnHandleClosed(void* conn);

  uv::UvHandle<uv_tcp_t> tcp_;  // empty once closing or handed over
  uv_tcp_t* handle_ = nullptr;  // the handle, even then (h2o's after the hand-over)
  Http1Host& host_;
  uint64_t max_entity_;
  std::string_view server_name_;
  std::optional<registry::IpAddress> peer_;
  std::unique_ptr<char[]> in_;  // bytes read: [in_begin_, in_end_) not served yet
  size_t in_capacity_ = 0;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  Http1Request parsed_;  // reused for every request (keeps its strings' capacity)
  std::string out_;      // the answer being written
  uv_write_t write_req_{};
  uv_buf_t write_buf_{};
  uint64_t idle_since_ms_ = 0;
  uint64_t awaiting_ = 0;
  H2oState h2o_;
  bool writing_ = false;  // a uv_write is in flight (reading is stopped meanwhile)
  bool close_after_write_ = false;
  bool handed_over_ = false;
  bool closing_ = false;
};

}  // namespace dnsd::http::internal
