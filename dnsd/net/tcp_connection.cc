#include "dnsd/net/tcp_connection.h"

#include <memory>

#include "dnsd/net/worker.h"
#include "dnsd/wire/wire.h"

namespace dnsd::net {
namespace {

struct WriteRequest {
  uv_write_t req{};
  std::vector<uint8_t> data;
};

}  // namespace

class TcpConnection::Scope {
 public:
  explicit Scope(TcpConnection& c) : c_(c) { ++c_.depth_; }
  ~Scope() {
    if (--c_.depth_ == 0 && c_.closed_) c_.worker_.Reap(c_.id_);  // destroys c_
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  TcpConnection& c_;
};

TcpConnection::TcpConnection(Worker& worker, uint64_t id, uv::UvHandle<uv_tcp_t> tcp)
    : worker_(worker), id_(id), tcp_(std::move(tcp)) {
  tcp_.get()->data = this;
  int length = sizeof peer_;
  if (uv_tcp_getpeername(tcp_.get(), reinterpret_cast<sockaddr*>(&peer_), &length) != 0) {
    peer_.ss_family = AF_UNSPEC;
  }
}

TcpConnection::~TcpConnection() { Close(); }

const sockaddr* TcpConnection::peer() const {
  return peer_.ss_family == AF_UNSPEC ? nullptr : reinterpret_cast<const sockaddr*>(&peer_);
}

bool TcpConnection::Start() {
  if (idle_.Init([&](uv_timer_t* h) { return uv_timer_init(worker_.loop(), h); }) != 0) {
    Close();
    return false;
  }
  idle_.get()->data = this;
  uv_tcp_nodelay(tcp_.get(), 1);
  if (uv_read_start(tcp_.stream(), &TcpConnection::OnAlloc, &TcpConnection::OnRead) != 0) {
    Close();
    return false;
  }
  reading_ = true;
  TouchIdle();
  return true;
}

void TcpConnection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<TcpConnection*>(handle->data);
  if (self == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  std::span<uint8_t> b = self->worker_.tcp_read_buffer();  // shared: reads never overlap
  *buf = uv_buf_init(reinterpret_cast<char*>(b.data()), static_cast<unsigned>(b.size()));
}

void TcpConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpConnection*>(stream->data);
  if (self == nullptr || nread == 0) return;
  Scope scope(*self);
  try {
    if (nread > 0) {
      self->Receive({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
    } else if (nread == UV_EOF) {
      // The client finished sending; answer what is pending, then close.
      self->eof_ = true;
      uv_read_stop(stream);
      self->reading_ = false;
      self->FinishIfDone();
    } else {
      self->Close();
    }
  } catch (...) {
    self->Close();
  }
}

void TcpConnection::Receive(std::span<const uint8_t> data) {
  if (inbuf_.empty()) {
    size_t used = HandleFrames(data);
    if (!closed_) inbuf_.assign(data.begin() + used, data.end());
  } else {
    // inbuf_ holds at most a partial frame here (reading was paused otherwise), so it
    // stays below one frame (65537 bytes) plus one read buffer.
    inbuf_.insert(inbuf_.end(), data.begin(), data.end());
    size_t used = HandleFrames(inbuf_);
    if (!closed_) inbuf_.erase(inbuf_.begin(), inbuf_.begin() + used);
  }
}

size_t TcpConnection::HandleFrames(std::span<const uint8_t> data) {
  size_t offset = 0;
  while (!closed_ && !paused_ && data.size() - offset >= 2) {
    const size_t length = wire::Get16(&data[offset]);  // RFC 7766 8: the length prefix
    if (data.size() - offset - 2 < length) break;      // partial frame: wait for more
    HandleQuery(data.subspan(offset + 2, length));
    offset += 2 + length;
  }
  return offset;
}

void TcpConnection::HandleQuery(std::span<const uint8_t> query) {
  SteadyTime start = std::chrono::steady_clock::now();
  TouchIdle();
  dns::AnswerResult r = worker_.Process(query, dns::Transport::kTcp, peer(), start);
  if (r.disposition == dns::Disposition::kReply) {
    Send(worker_.answer(r.size));
  } else if (r.disposition == dns::Disposition::kForward) {
    ++pending_forwards_;
    Worker* worker = &worker_;
    uint64_t id = id_;
    // The connection may be gone when the answer comes back: look it up by id.
    worker_.Forward(query, peer(), forward::Protocol::kTcp, r.qtype, start,
                    [worker, id](std::span<const uint8_t> response) {
                      if (TcpConnection* c = worker->FindConnection(id)) c->OnForwarded(response);
                    });
  }
}

void TcpConnection::OnForwarded(std::span<const uint8_t> response) {
  Scope scope(*this);
  --pending_forwards_;
  if (!response.empty()) Send(response);
  FinishIfDone();
}

void TcpConnection::Send(std::span<const uint8_t> message) {
  if (closed_ || message.size() > 65535) return;
  uint8_t prefix[2];
  wire::Put16(prefix, static_cast<uint16_t>(message.size()));
  uv_buf_t bufs[2] = {uv_buf_init(reinterpret_cast<char*>(prefix), 2),
                      uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(message.data())),
                                  static_cast<unsigned>(message.size()))};
  size_t total = 2 + message.size();
  size_t written = 0;
  int rc = uv_try_write(tcp_.stream(), bufs, 2);
  if (rc > 0) {
    written = static_cast<size_t>(rc);
  } else if (rc != UV_EAGAIN) {
    Close();
    return;
  }
  if (written == total) return;
  // Queue the rest; libuv keeps it in order behind earlier queued writes.
  auto request = std::make_unique<WriteRequest>();
  request->data.reserve(total - written);
  for (size_t i = written; i < 2; ++i) request->data.push_back(prefix[i]);
  size_t from = written > 2 ? written - 2 : 0;
  request->data.insert(request->data.end(), message.begin() + from, message.end());
  uv_buf_t rest = uv_buf_init(reinterpret_cast<char*>(request->data.data()),
                              static_cast<unsigned>(request->data.size()));
  if (uv_write(&request->req, tcp_.stream(), &rest, 1, &TcpConnection::OnWrite) != 0) {
    Close();
    return;
  }
  request.release();  // owned by OnWrite now
  if (QueuedBytes() > kMaxQueuedWrite) PauseReading();
}

void TcpConnection::OnWrite(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(reinterpret_cast<WriteRequest*>(req));
  auto* self = static_cast<TcpConnection*>(req->handle->data);
  if (self == nullptr) return;  // connection closed; the write was cancelled
  Scope scope(*self);
  try {
    if (status < 0) {
      self->Close();
      return;
    }
    self->AfterWrite();
  } catch (...) {
    self->Close();
  }
}

void TcpConnection::AfterWrite() {
  if (paused_ && QueuedBytes() < kResumeWrite) {
    paused_ = false;
    size_t used = HandleFrames(inbuf_);  // frames that arrived while paused
    if (closed_) return;
    inbuf_.erase(inbuf_.begin(), inbuf_.begin() + used);
    if (!paused_ && !eof_ && !reading_) {
      if (uv_read_start(tcp_.stream(), &TcpConnection::OnAlloc, &TcpConnection::OnRead) != 0) {
        Close();
        return;
      }
      reading_ = true;
    }
  }
  FinishIfDone();
}

void TcpConnection::PauseReading() {
  paused_ = true;
  if (reading_) {
    uv_read_stop(tcp_.stream());
    reading_ = false;
  }
}

void TcpConnection::FinishIfDone() {
  if (closed_ || !eof_ || pending_forwards_ > 0 || QueuedBytes() > 0) return;
  if (!inbuf_.empty() && paused_) return;  // frames still to answer
  Close();
}

void TcpConnection::TouchIdle() {
  if (closed_) return;
  auto ms = static_cast<uint64_t>(worker_.context().tcp_idle_timeout.count());
  uv_timer_start(idle_.get(), &TcpConnection::OnIdle, ms, 0);
}

void TcpConnection::OnIdle(uv_timer_t* timer) {
  auto* self = static_cast<TcpConnection*>(timer->data);
  if (self == nullptr) return;
  Scope scope(*self);
  // A connection waiting for an upstream or a slow reader is not idle (RFC 7766 6.2.3).
  if (self->pending_forwards_ > 0 || self->QueuedBytes() > 0) {
    self->TouchIdle();
  } else {
    self->Close();
  }
}

size_t TcpConnection::QueuedBytes() const {
  return tcp_ ? uv_stream_get_write_queue_size(tcp_.stream()) : 0;
}

void TcpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  tcp_.Reset();  // cancels queued writes; their callbacks see data == nullptr
  idle_.Reset();
  worker_.context().tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace dnsd::net
