// The fast path's connection: read into one buffer, serve every complete request in it,
// answer each with a single uv_try_write. The rare slow cases (a write the kernel does
// not take at once, a request for h2o) leave this path: reading stops until the write
// is done, and a handed-over socket is never touched here again.
#include "dnsd/http/http1_conn.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "dnsd/http/h2o_glue.h"

namespace dnsd::http::internal {
namespace {

constexpr size_t kReadRoom = 4096;  // free space offered to each read

}  // namespace

std::string_view HttpDate::Now() {
  time_t now = time(nullptr);
  if (now != at_) {
    struct tm gmt {};
    gmtime_r(&now, &gmt);
    h2o_time2str_rfc1123(text_, &gmt);
    len_ = std::strlen(text_);
    at_ = now;
  }
  return {text_, len_};
}

Http1Conn::Http1Conn(Http1Host& host, uint64_t max_entity, std::string_view server_name)
    : host_(host), max_entity_(max_entity), server_name_(server_name) {}

Http1Conn::~Http1Conn() {
  // Still open only when the server is torn down before it closed (its destructor
  // leaks rather than do that): the close must not call back into freed memory.
  if (tcp_) tcp_.OnClosed(nullptr, nullptr);
}

int Http1Conn::Init(uv_loop_t* loop) {
  int rc = tcp_.Init([loop](uv_tcp_t* h) { return uv_tcp_init(loop, h); });
  if (rc != 0) return rc;
  handle_ = tcp_.get();
  handle_->data = this;
  tcp_.OnClosed(&Http1Conn::OnHandleClosed, this);
  return 0;
}

void Http1Conn::Start() {
  struct sockaddr_storage ss {};
  int len = sizeof ss;
  if (uv_tcp_getpeername(handle_, reinterpret_cast<struct sockaddr*>(&ss), &len) == 0) {
    peer_ = ToIpAddress(reinterpret_cast<struct sockaddr*>(&ss));
  }
  idle_since_ms_ = uv_now(handle_->loop);
  if (uv_read_start(stream(), &OnAllocCb, &OnReadCb) != 0) Close();
}

bool Http1Conn::CloseIfIdle(uint64_t now_ms, uint64_t timeout_ms) {
  if (handed_over_ || writing_ || closing_ || awaiting_ != 0) return false;
  if (now_ms - idle_since_ms_ < timeout_ms) return false;
  Close();
  return true;
}

void Http1Conn::StartWithH2o() { HandOver(); }

void Http1Conn::OnHandleClosed(void* p) {
  auto* conn = static_cast<Http1Conn*>(p);
  conn->host_.OnClosed(*conn);  // frees conn
}

void Http1Conn::OnAllocCb(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Http1Conn*>(handle->data);
  try {
    conn->Reserve();
    *buf = uv_buf_init(conn->in_.get() + conn->in_end_,
                       static_cast<unsigned>(conn->in_capacity_ - conn->in_end_));
  } catch (const std::exception&) {
    *buf = uv_buf_init(nullptr, 0);  // libuv reports UV_ENOBUFS to OnReadCb
  }
}

// Room for the next read: unserved bytes move to the front, the buffer grows when a
// request is larger than it. The parser hands a request over before it exceeds h2o's own
// limits, so the buffer stays below one maximal request plus one read.
void Http1Conn::Reserve() {
  if (in_capacity_ - in_end_ >= kReadRoom) return;
  if (in_begin_ > 0) {
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_capacity_ - in_end_ >= kReadRoom) return;
  size_t capacity = std::max(in_capacity_ * 2, in_end_ + kReadRoom);
  auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
  if (in_end_ > 0) std::memcpy(bigger.get(), in_.get(), in_end_);
  in_ = std::move(bigger);
  in_capacity_ = capacity;
}

void Http1Conn::OnReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  static_cast<Http1Conn*>(stream->data)->OnRead(nread);
}

void Http1Conn::OnRead(ssize_t nread) {
  if (nread < 0) {  // end of stream, reset or no buffer: as h2o, close (nothing in flight)
    Close();
    return;
  }
  in_end_ += static_cast<size_t>(nread);
  try {
    ServeBuffered();
  } catch (const std::exception& e) {  // allocation failure while answering
    spdlog::error("http: connection failed: {}", e.what());
    Close();
  }
}

void Http1Conn::ServeBuffered() {
  while (!writing_ && !closing_ && !handed_over_ && awaiting_ == 0 && in_begin_ < in_end_) {
    std::string_view input(in_.get() + in_begin_, in_end_ - in_begin_);
    switch (ParseHttp1Request(input, max_entity_, parsed_)) {
      case Http1Parse::kIncomplete:
        return;
      case Http1Parse::kHandOver:
        HandOver();
        return;
      case Http1Parse::kRequest:
        in_begin_ += parsed_.size;
        Answer(parsed_);
        break;
    }
  }
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
}

void Http1Conn::Answer(Http1Request& parsed) {
  parsed.request.peer = peer_;
  std::optional<HttpResponse> response = host_.Serve(parsed.request, *this);
  if (response) return Write(*response, parsed);
  // A write waits for its store: parsed_ is kept as is (the loop in ServeBuffered stops
  // at awaiting_), and reading pauses so that a pipelining client cannot grow the buffer.
  uv_read_stop(stream());
}

void Http1Conn::Write(const HttpResponse& response, const Http1Request& parsed) {
  bool keep_alive = parsed.keep_alive && !host_.ShuttingDown();
  out_.clear();
  AppendHttp1Response(response, parsed.head, keep_alive, host_.Date(), server_name_, out_);
  Send(keep_alive);
}

void Http1Conn::Complete(HttpResponse response) {
  awaiting_ = 0;
  if (closing_ || handed_over_) return;
  try {
    Write(response, parsed_);
    if (writing_ || closing_) return;  // OnWritten resumes
    Resume();
  } catch (const std::exception& e) {
    spdlog::error("http: connection failed: {}", e.what());
    Close();
  }
}

void Http1Conn::Resume() {
  if (uv_read_start(stream(), &OnAllocCb, &OnReadCb) != 0) return Close();
  ServeBuffered();  // requests that arrived while the answer was being made or written
}

// One write syscall when the kernel takes the whole answer (the usual case); otherwise the
// rest goes through uv_write and reading pauses, so that answers stay in order and the
// input buffer does not grow behind a client that does not read.
void Http1Conn::Send(bool keep_alive) {
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int n = uv_try_write(stream(), &buf, 1);
  if (n >= 0 && static_cast<size_t>(n) == out_.size()) return Sent(keep_alive);
  if (n < 0 && n != UV_EAGAIN) return Close();
  size_t done = n > 0 ? static_cast<size_t>(n) : 0;
  write_buf_ = uv_buf_init(out_.data() + done, static_cast<unsigned>(out_.size() - done));
  write_req_.data = this;
  close_after_write_ = !keep_alive;
  uv_read_stop(stream());
  if (uv_write(&write_req_, stream(), &write_buf_, 1, &OnWrittenCb) != 0) return Close();
  writing_ = true;
}

void Http1Conn::Sent(bool keep_alive) {
  idle_since_ms_ = uv_now(handle_->loop);
  if (!keep_alive) Close();
}

void Http1Conn::OnWrittenCb(uv_write_t* req, int status) {
  static_cast<Http1Conn*>(req->data)->OnWritten(status);
}

void Http1Conn::OnWritten(int status) {
  writing_ = false;
  if (closing_) return;  // cancelled by Close
  if (status != 0) return Close();
  Sent(!close_after_write_);
  if (closing_) return;
  try {
    Resume();
  } catch (const std::exception& e) {
    spdlog::error("http: connection failed: {}", e.what());
    Close();
  }
}

void Http1Conn::HandOver() {
  handed_over_ = true;
  uv_read_stop(stream());
  // Nothing read yet (StartWithH2o): no buffer at all.
  host_.HandOver(*this, in_ ? std::string_view(in_.get() + in_begin_, in_end_ - in_begin_)
                            : std::string_view());
  // h2o owns the socket now (and its data pointer); only the memory is left to free.
  in_.reset();
  in_capacity_ = in_begin_ = in_end_ = 0;
  std::string().swap(out_);
}

void Http1Conn::Close() {
  if (closing_ || handed_over_) return;
  closing_ = true;
  tcp_.Reset();  // OnHandleClosed follows, after any write request's callback
}

}  // namespace dnsd::http::internal
