// TcpConnection: one DNS-over-TCP client connection on a worker (RFC 7766): 2-byte
// length framing, any number of queries, pipelined (each answered as soon as it is
// ready, so forwarded ones may overtake or trail local ones), an idle timeout, and
// bounded buffers: reading pauses while more than kMaxQueuedWrite bytes of answers wait
// to be written, so a client that does not read cannot make dnsd buffer without limit.
//
// Thread: the worker's loop thread. Owned by the Worker's connection table; a closed
// connection is removed from it (Worker::Reap) once no callback of it is on the stack.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dnsd/uv/uv_handle.h"

namespace dnsd::net {

class Worker;

class TcpConnection {
 public:
  static constexpr size_t kMaxQueuedWrite = 256 * 1024;  // pause reading above this
  static constexpr size_t kResumeWrite = 64 * 1024;      // resume below this

  TcpConnection(Worker& worker, uint64_t id, uv::UvHandle<uv_tcp_t> tcp);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  bool Start();  // begins reading and the idle timer; false: closed already
  const sockaddr* peer() const;  // the client's address (null when unknown)

 private:
  // Keeps the connection alive while one of its callbacks runs; the outermost one
  // reaps it when it was closed meanwhile.
  class Scope;

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnIdle(uv_timer_t* timer);

  void Receive(std::span<const uint8_t> data);
  size_t HandleFrames(std::span<const uint8_t> data);  // returns bytes consumed
  void HandleQuery(std::span<const uint8_t> query);
  void OnForwarded(std::span<const uint8_t> response);
  void Send(std::span<const uint8_t> message);
  void AfterWrite();
  void FinishIfDone();
  void TouchIdle();
  void PauseReading();
  void Close();
  size_t QueuedBytes() const;

  Worker& worker_;
  uint64_t id_;
  uv::UvHandle<uv_tcp_t> tcp_;
  uv::UvHandle<uv_timer_t> idle_;
  sockaddr_storage peer_{};  // read once at accept; ss_family 0 when unknown
  std::vector<uint8_t> inbuf_;  // bytes read but not yet handled (bounded, see .cc)
  size_t pending_forwards_ = 0;
  int depth_ = 0;
  bool reading_ = false;
  bool paused_ = false;  // by write backpressure
  bool eof_ = false;
  bool closed_ = false;
};

}  // namespace dnsd::net
