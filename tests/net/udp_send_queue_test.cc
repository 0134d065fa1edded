#include "dnsd/net/udp_send_queue.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

namespace dnsd::net {
namespace {

// A non-blocking AF_UNIX datagram pair: the sender gets EAGAIN once the receiver's
// queue or the sender's (tiny) send buffer is full, which loopback UDP never does.
struct Pair {
  int fds[2] = {-1, -1};
  explicit Pair(int sndbuf = 0) {
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds) == 0);
    if (sndbuf > 0) setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  ~Pair() {
    close(fds[0]);
    close(fds[1]);
  }
  int sender() const { return fds[0]; }
  // Reads what is waiting (bounded); each datagram's bytes.
  std::vector<std::vector<uint8_t>> Drain() const {
    std::vector<std::vector<uint8_t>> out;
    std::vector<uint8_t> buf(70000);
    for (int i = 0; i < 1000; ++i) {
      ssize_t n = recv(fds[1], buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) break;
      out.emplace_back(buf.begin(), buf.begin() + n);
    }
    return out;
  }
};

std::vector<uint8_t> Message(size_t size, uint8_t tag) {
  std::vector<uint8_t> m(size, tag);
  if (size >= 2) m[1] = static_cast<uint8_t>(size & 0xff);
  return m;
}

const PeerAddress kNoPeer{};  // AF_UNIX pair: connected, no address

TEST_CASE("a flush sends every queued datagram with one sendmmsg", "[net]") {
  Pair pair;
  UdpSendQueue q;
  for (uint8_t i = 0; i < 5; ++i) REQUIRE(q.Push(Message(100 + i, i), kNoPeer, 0));
  CHECK(q.size() == 5);
  CHECK(q.Flush(pair.sender()) == UdpSendQueue::FlushResult::kEmpty);
  CHECK(q.syscalls() == 1);
  CHECK(q.empty());
  auto got = pair.Drain();
  REQUIRE(got.size() == 5);
  for (uint8_t i = 0; i < 5; ++i) CHECK(got[i] == Message(100 + i, i));
}

TEST_CASE("what the kernel refuses with EAGAIN stays queued, in order, for the next flush",
          "[net]") {
  Pair pair(1);  // the smallest send buffer the kernel allows
  UdpSendQueue q;
  constexpr int kCount = 40;
  for (int i = 0; i < kCount; ++i) REQUIRE(q.Push(Message(2000, static_cast<uint8_t>(i)), kNoPeer, 0));
  REQUIRE(q.Flush(pair.sender()) == UdpSendQueue::FlushResult::kBlocked);
  CHECK(q.size() > 0);
  CHECK(q.size() < kCount);
  std::vector<std::vector<uint8_t>> got;
  for (int round = 0; round < 1000 && !(q.empty() && got.size() == kCount); ++round) {
    for (auto& m : pair.Drain()) got.push_back(std::move(m));
    q.Flush(pair.sender());
  }
  for (auto& m : pair.Drain()) got.push_back(std::move(m));
  REQUIRE(got.size() == kCount);
  for (int i = 0; i < kCount; ++i) CHECK(got[i] == Message(2000, static_cast<uint8_t>(i)));
  CHECK(q.send_errors() == 0);
}

TEST_CASE("a full queue refuses a datagram; room made by a partial send is reused", "[net]") {
  UdpSendQueue q;
  SECTION("the entry table") {
    for (size_t i = 0; i < UdpSendQueue::kMaxEntries; ++i) REQUIRE(q.Push(Message(10, 1), kNoPeer, 0));
    CHECK_FALSE(q.Push(Message(10, 1), kNoPeer, 0));
    CHECK(q.size() == UdpSendQueue::kMaxEntries);
  }
  SECTION("the byte arena") {
    size_t pushed = 0;
    while (q.Push(Message(65535, 2), kNoPeer, 0)) ++pushed;
    CHECK(pushed == UdpSendQueue::kArenaBytes / 65535);
    CHECK(q.Push(Message(UdpSendQueue::kArenaBytes - pushed * 65535, 3), kNoPeer, 0));
    CHECK_FALSE(q.Push(Message(1, 4), kNoPeer, 0));
  }
  SECTION("compaction after a partial send") {
    Pair pair(1);
    for (size_t i = 0; i < UdpSendQueue::kMaxEntries; ++i) {
      REQUIRE(q.Push(Message(300, static_cast<uint8_t>(i)), kNoPeer, 0));
    }
    REQUIRE(q.Flush(pair.sender()) == UdpSendQueue::FlushResult::kBlocked);
    const size_t sent = UdpSendQueue::kMaxEntries - q.size();
    REQUIRE(sent > 0);
    REQUIRE(q.Push(Message(300, 0xEE), kNoPeer, 0));  // fits only after compaction
    std::vector<std::vector<uint8_t>> got = pair.Drain();
    for (int round = 0; round < 2000 && !q.empty(); ++round) {
      q.Flush(pair.sender());
      for (auto& m : pair.Drain()) got.push_back(std::move(m));
    }
    REQUIRE(got.size() == UdpSendQueue::kMaxEntries + 1);
    for (size_t i = 0; i < UdpSendQueue::kMaxEntries; ++i) {
      CHECK(got[i] == Message(300, static_cast<uint8_t>(i)));
    }
    CHECK(got.back() == Message(300, 0xEE));
  }
}

TEST_CASE("a datagram the kernel rejects is dropped and counted; the rest still go", "[net]") {
  Pair pair(1);
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  getsockopt(pair.sender(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
  UdpSendQueue q;
  REQUIRE(q.Push(Message(static_cast<size_t>(sndbuf) + 1000, 9), kNoPeer, 0));  // EMSGSIZE
  REQUIRE(q.Push(Message(50, 7), kNoPeer, 0));
  CHECK(q.Flush(pair.sender()) == UdpSendQueue::FlushResult::kEmpty);
  CHECK(q.send_errors() == 1);
  auto got = pair.Drain();
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Message(50, 7));
}

TEST_CASE("each datagram goes to its own peer, IPv4 and IPv6", "[net]") {
  auto bound = [](int family) {
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    }
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    PeerAddress peer;
    REQUIRE(CopyPeer(reinterpret_cast<sockaddr*>(&ss), peer) == len);
    return std::pair<int, PeerAddress>(fd, peer);
  };
  for (int family : {AF_INET, AF_INET6}) {
    auto [a, peer_a] = bound(family);
    auto [b, peer_b] = bound(family);
    int sender = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    REQUIRE(sender >= 0);
    const socklen_t length = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    UdpSendQueue q;
    REQUIRE(q.Push(Message(20, 0xA), peer_a, length));
    REQUIRE(q.Push(Message(30, 0xB), peer_b, length));
    REQUIRE(q.Push(Message(40, 0xA), peer_a, length));
    CHECK(q.Flush(sender) == UdpSendQueue::FlushResult::kEmpty);
    CHECK(q.syscalls() == 1);
    uint8_t buf[100];
    CHECK(recv(a, buf, sizeof buf, MSG_DONTWAIT) == 20);
    CHECK(recv(a, buf, sizeof buf, MSG_DONTWAIT) == 40);
    CHECK(recv(b, buf, sizeof buf, MSG_DONTWAIT) == 30);
    CHECK(recv(b, buf, sizeof buf, MSG_DONTWAIT) < 0);
    close(a);
    close(b);
    close(sender);
  }
}

}  // namespace
}  // namespace dnsd::net
