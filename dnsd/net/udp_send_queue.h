// UdpSendQueue: the datagrams one UDP socket still has to send, each with its peer, in
// memory allocated once (a byte arena and a fixed table of sendmmsg entries). Flush
// hands them to the kernel with sendmmsg, as many per call as are queued; what the
// kernel does not take (EAGAIN, a partial sendmmsg) stays queued, in order, for the
// next Flush. Push refuses a datagram when the queue is full; the caller decides
// whether to flush first or to drop it.
//
// Thread: the owning worker's loop thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace dnsd::net {

// An IPv4 or IPv6 peer, small enough to copy per datagram.
union PeerAddress {
  sockaddr sa;
  sockaddr_in v4;
  sockaddr_in6 v6;
};

// Copies peer into out; returns its length, or 0 for a family other than IPv4/IPv6.
socklen_t CopyPeer(const sockaddr* peer, PeerAddress& out);

class UdpSendQueue {
 public:
  static constexpr size_t kMaxEntries = 512;         // datagrams (sendmmsg takes <= 1024)
  static constexpr size_t kArenaBytes = 256 * 1024;  // >= the largest datagram (65535)

  enum class FlushResult : uint8_t {
    kEmpty,    // everything was sent (or dropped on a hard error)
    kBlocked,  // the kernel said EAGAIN: retry when the socket is writable
  };

  UdpSendQueue();
  ~UdpSendQueue();
  UdpSendQueue(const UdpSendQueue&) = delete;
  UdpSendQueue& operator=(const UdpSendQueue&) = delete;

  // Copies message and peer in. False (nothing queued) when the table or the arena is
  // full, or the message is larger than the arena.
  bool Push(std::span<const uint8_t> message, const PeerAddress& peer, socklen_t peer_length);
  // Sends the queued datagrams on fd. A datagram the kernel rejects with an error other
  // than EAGAIN/EINTR (EMSGSIZE, EPERM, ...) is dropped and counted in send_errors();
  // UDP clients retry.
  FlushResult Flush(int fd);

  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  uint64_t send_errors() const { return send_errors_; }
  uint64_t syscalls() const { return syscalls_; }  // sendmmsg calls made

 private:
  void Compact();  // moves the unsent entries and their bytes to the front

  struct Tables;
  std::unique_ptr<Tables> t_;
  size_t head_ = 0;        // first unsent entry
  size_t tail_ = 0;        // one past the last entry
  size_t arena_used_ = 0;  // bytes of the arena in use from its start
  uint64_t send_errors_ = 0;
  uint64_t syscalls_ = 0;
};

}  // namespace dnsd::net
