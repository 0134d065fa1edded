#include "dnsd/net/udp_socket.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "dnsd/net/worker.h"
#include "dnsd/wire/wire.h"

namespace dnsd::net {

UdpBatchBuffers::UdpBatchBuffers() : slots(std::make_unique<uint8_t[]>(kBatch * kSlotStride)) {
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {slots.get() + i * kSlotStride, kSlotBytes};
    msghdr& h = msgs[i].msg_hdr;
    h.msg_name = &peers[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov[i];
    h.msg_iovlen = 1;
  }
}

UdpSocket::UdpSocket(Worker& worker, UdpBatchBuffers& buffers, int fd)
    : worker_(worker), buffers_(buffers), fd_(fd) {}

UdpSocket::~UdpSocket() {
  poll_.Reset();  // stops polling (and leaves epoll) before the fd goes away
  if (fd_ >= 0) close(fd_);
}

int UdpSocket::Start(uv_loop_t* loop) {
  int rc = poll_.Init([&](uv_poll_t* h) { return uv_poll_init_socket(loop, h, fd_); });
  if (rc != 0) return rc;
  poll_.get()->data = this;
  rc = uv_poll_start(poll_.get(), UV_READABLE, &UdpSocket::OnPoll);
  if (rc == 0) events_ = UV_READABLE;
  return rc;
}

void UdpSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (self == nullptr) return;
  try {
    self->OnEvents(status, events);
  } catch (...) {
    // Nothing crosses into libuv; clients retry what was lost.
  }
}

void UdpSocket::OnEvents(int status, int) {
  if (status < 0) {
    // libuv stopped the poll on POLLERR. Reading SO_ERROR clears the pending error;
    // then watch the socket again.
    int error = 0;
    socklen_t length = sizeof error;
    (void)getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    events_ = 0;
    Watch(queue_.empty() ? UV_READABLE : UV_WRITABLE);
    return;
  }
  if (Flush()) {  // replies still blocked: read nothing whose answer could not go out
    int batches = 0;
    while (batches++ < kBatchesPerWakeup && ServeBatch()) {
    }
  }
  Watch(queue_.empty() ? UV_READABLE : UV_WRITABLE);
}

bool UdpSocket::ServeBatch() {
  const int n = Receive();
  if (n <= 0) return false;
  const SteadyTime start = std::chrono::steady_clock::now();
  size_t replies = 0;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) HandleDatagram(i, replies, start);
  const bool sent = Flush();
  // One clock read times the whole batch: receipt to send, for each of its answers.
  worker_.RecordUdpReplies({buffers_.replies.data(), replies}, start);
  worker_.metrics().udp_batches.Inc();
  worker_.metrics().udp_datagrams.Inc(static_cast<uint64_t>(n));
  // A short batch drained the socket; the next wakeup will tell when more arrive.
  return sent && static_cast<size_t>(n) == UdpBatchBuffers::kBatch;
}

int UdpSocket::Receive() {
  for (auto& m : buffers_.msgs) m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  for (;;) {
    int n = recvmmsg(fd_, buffers_.msgs.data(), UdpBatchBuffers::kBatch, MSG_DONTWAIT, nullptr);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    // EAGAIN: nothing to read. Other errors (ENOMEM, ...) are transient for an
    // unconnected UDP socket: the next wakeup tries again.
    return 0;
  }
}

void UdpSocket::HandleDatagram(size_t slot, size_t& replies, SteadyTime start) {
  const mmsghdr& m = buffers_.msgs[slot];
  size_t length = m.msg_len;
  // Cut by the slot: not a whole message, so only its header is looked at.
  if (m.msg_hdr.msg_flags & MSG_TRUNC) length = std::min(length, wire::kHeaderSize);
  std::span<const uint8_t> query(buffers_.slots.get() + slot * UdpBatchBuffers::kSlotStride,
                                 length);
  const auto* from = reinterpret_cast<const sockaddr*>(&buffers_.peers[slot]);
  PeerAddress peer;
  const socklen_t peer_length = CopyPeer(from, peer);
  if (peer_length == 0) return;  // not IPv4/IPv6: nowhere to answer
  dns::AnswerResult r = worker_.Process(query, dns::Transport::kUdp, from, start);
  switch (r.disposition) {
    case dns::Disposition::kReply:
      Queue(worker_.answer(r.size), peer, peer_length);
      buffers_.replies[replies++] = {r.qtype, r.rcode};
      break;
    case dns::Disposition::kForward:
      worker_.Forward(query, from, forward::Protocol::kUdp, r.qtype, start,
                      [this, peer, peer_length](std::span<const uint8_t> response) {
                        if (!response.empty()) Send(response, peer, peer_length);
                      });
      break;
    case dns::Disposition::kDrop:
      break;
  }
}

void UdpSocket::Send(std::span<const uint8_t> message, const PeerAddress& peer,
                     socklen_t peer_length) {
  Queue(message, peer, peer_length);
  if (!Flush()) Watch(UV_WRITABLE);
}

void UdpSocket::Queue(std::span<const uint8_t> message, const PeerAddress& peer,
                      socklen_t peer_length) {
  if (queue_.Push(message, peer, peer_length)) return;
  // Full: make room by sending what waits, unless the kernel still refuses it.
  if (Flush() && queue_.Push(message, peer, peer_length)) return;
  worker_.metrics().udp_replies_dropped.Inc();
}

bool UdpSocket::Flush() {
  if (queue_.empty()) return true;
  const uint64_t errors = queue_.send_errors();
  const bool empty = queue_.Flush(fd_) == UdpSendQueue::FlushResult::kEmpty;
  if (queue_.send_errors() != errors) {
    worker_.metrics().udp_send_errors.Inc(queue_.send_errors() - errors);
  }
  return empty;
}

void UdpSocket::Watch(int events) {
  if (events == events_ || !poll_) return;
  if (uv_poll_start(poll_.get(), events, &UdpSocket::OnPoll) == 0) events_ = events;
}

}  // namespace dnsd::net
