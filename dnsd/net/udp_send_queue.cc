#include "dnsd/net/udp_send_queue.h"

#include <cerrno>
#include <cstring>
#include <vector>

namespace dnsd::net {

struct UdpSendQueue::Tables {
  mmsghdr msgs[kMaxEntries];
  iovec iov[kMaxEntries];
  PeerAddress peers[kMaxEntries];
  std::vector<uint8_t> arena = std::vector<uint8_t>(kArenaBytes);
};

socklen_t CopyPeer(const sockaddr* peer, PeerAddress& out) {
  if (peer == nullptr) return 0;
  if (peer->sa_family == AF_INET) {
    std::memcpy(&out.v4, peer, sizeof(sockaddr_in));
    return sizeof(sockaddr_in);
  }
  if (peer->sa_family == AF_INET6) {
    std::memcpy(&out.v6, peer, sizeof(sockaddr_in6));
    return sizeof(sockaddr_in6);
  }
  return 0;
}

UdpSendQueue::UdpSendQueue() : t_(std::make_unique<Tables>()) {}

UdpSendQueue::~UdpSendQueue() = default;

bool UdpSendQueue::Push(std::span<const uint8_t> message, const PeerAddress& peer,
                        socklen_t peer_length) {
  if (message.size() > kArenaBytes) return false;
  if (tail_ == kMaxEntries || kArenaBytes - arena_used_ < message.size()) {
    if (head_ == 0) return false;  // full of unsent datagrams
    Compact();
    if (tail_ == kMaxEntries || kArenaBytes - arena_used_ < message.size()) return false;
  }
  const size_t i = tail_++;
  uint8_t* bytes = t_->arena.data() + arena_used_;
  if (!message.empty()) std::memcpy(bytes, message.data(), message.size());
  arena_used_ += message.size();
  std::memcpy(&t_->peers[i], &peer, peer_length);
  t_->iov[i] = {bytes, message.size()};
  msghdr& h = t_->msgs[i].msg_hdr;
  h = msghdr{};
  h.msg_name = peer_length > 0 ? &t_->peers[i] : nullptr;
  h.msg_namelen = peer_length;
  h.msg_iov = &t_->iov[i];
  h.msg_iovlen = 1;
  return true;
}

UdpSendQueue::FlushResult UdpSendQueue::Flush(int fd) {
  // Every round sends at least one datagram or drops one, so this ends.
  while (!empty()) {
    ++syscalls_;  // size() <= kMaxEntries, below the kernel's limit of 1024 per call
    int sent = sendmmsg(fd, &t_->msgs[head_], static_cast<unsigned>(size()), MSG_DONTWAIT);
    if (sent > 0) {
      head_ += static_cast<size_t>(sent);
      continue;  // a short count: the next call reports why, or sends the rest
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FlushResult::kBlocked;
    // The first datagram was refused (or, defensively, nothing was sent): drop it.
    ++send_errors_;
    ++head_;
  }
  head_ = tail_ = arena_used_ = 0;
  return FlushResult::kEmpty;
}

void UdpSendQueue::Compact() {
  const size_t count = size();
  if (count == 0) {
    head_ = tail_ = arena_used_ = 0;
    return;
  }
  // The unsent bytes are contiguous: entries take the arena in order.
  uint8_t* base = t_->arena.data();
  const size_t from = static_cast<size_t>(static_cast<uint8_t*>(t_->iov[head_].iov_base) - base);
  std::memmove(base, base + from, arena_used_ - from);
  arena_used_ -= from;
  for (size_t k = 0; k < count; ++k) {
    const size_t src = head_ + k;
    if (src != k) {
      t_->peers[k] = t_->peers[src];
      t_->msgs[k] = t_->msgs[src];
    }
    t_->iov[k] = {static_cast<uint8_t*>(t_->iov[src].iov_base) - from, t_->iov[src].iov_len};
    msghdr& h = t_->msgs[k].msg_hdr;
    if (h.msg_name != nullptr) h.msg_name = &t_->peers[k];
    h.msg_iov = &t_->iov[k];
  }
  head_ = 0;
  tail_ = count;
}

}  // namespace dnsd::net
