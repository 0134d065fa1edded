// UdpSocket: one worker's bound UDP socket, served in batches. libuv watches the raw
// fd with a uv_poll_t (no busy polling); when it is readable, recvmmsg takes up to
// kBatch datagrams into preallocated slots, Worker::Process answers each, and every
// reply of the batch leaves with one sendmmsg. At most kBatchesPerWakeup batches are
// served per wakeup, so the TCP connections and the forwarder on the same loop get
// their turn (the poll is level-triggered: what is left is read on the next turn).
//
// Replies the kernel does not take (EAGAIN, partial sendmmsg) wait in a bounded
// UdpSendQueue; meanwhile the socket is polled for writability only (no new queries
// are read while their answers could not be sent). A reply that finds the queue full is
// dropped and counted (metrics::DnsMetrics). Forwarded queries are answered later
// through Send, on the same socket and queue.
//
// A datagram longer than a slot (kSlotBytes) is not a whole message: Process gets only
// its 12-byte header, so it is answered FORMERR (or dropped when even the header is
// unusable, e.g. QR=1), like any other undecodable packet.
//
// Thread: the worker's loop thread. Owned by the Worker; destroying it stops the poll
// and closes the fd. The Forwarder, whose callbacks refer to the socket, must be
// destroyed first.
#pragma once

#include <uv.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dnsd/metrics/metrics.h"
#include "dnsd/net/udp_send_queue.h"
#include "dnsd/uv/uv_handle.h"

namespace dnsd::net {

class Worker;

using SteadyTime = std::chrono::steady_clock::time_point;

// Receive slots and per-batch bookkeeping, allocated once per worker and shared by its
// UDP sockets (one batch is served at a time on a loop).
class UdpBatchBuffers {
 public:
  static constexpr size_t kBatch = 64;          // datagrams per recvmmsg
  static constexpr size_t kSlotBytes = 4096;    // largest query read whole
  // Slots start one cache line apart modulo 4 KiB, so that their first bytes do not all
  // compete for the same cache sets.
  static constexpr size_t kSlotStride = kSlotBytes + 64;

  struct ReplyStat {  // what the batch's latency record needs per answered query
    uint16_t qtype;
    uint8_t rcode;
  };

  UdpBatchBuffers();
  UdpBatchBuffers(const UdpBatchBuffers&) = delete;
  UdpBatchBuffers& operator=(const UdpBatchBuffers&) = delete;

  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> peers{};
  std::array<ReplyStat, kBatch> replies{};
  std::unique_ptr<uint8_t[]> slots;
};

class UdpSocket {
 public:
  static constexpr int kBatchesPerWakeup = 4;

  // Takes ownership of fd, a bound non-blocking UDP socket (closed by the destructor).
  UdpSocket(Worker& worker, UdpBatchBuffers& buffers, int fd);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int Start(uv_loop_t* loop);  // begins polling; a libuv status

  // Sends message to peer (copied), or queues it; drops and counts it when the queue is
  // full. For answers that come back later (forwarded queries).
  void Send(std::span<const uint8_t> message, const PeerAddress& peer, socklen_t peer_length);

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void OnEvents(int status, int events);
  // Reads and answers one batch; false when the socket had nothing (more) to read or the
  // replies are blocked.
  bool ServeBatch();
  int Receive();  // recvmmsg into the slots; datagrams read (0: none)
  // Answers the datagram in slot (through Worker::Process), queueing its reply.
  void HandleDatagram(size_t slot, size_t& replies, SteadyTime start);
  void Queue(std::span<const uint8_t> message, const PeerAddress& peer, socklen_t peer_length);
  bool Flush();  // true when nothing is left queued
  void Watch(int events);

  Worker& worker_;
  UdpBatchBuffers& buffers_;
  int fd_;
  uv::UvHandle<uv_poll_t> poll_;
  UdpSendQueue queue_;
  int events_ = 0;  // what poll_ watches now
};

}  // namespace dnsd::net
