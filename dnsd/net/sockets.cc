#include "dnsd/net/sockets.h"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dnsd::net {

uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

void SocketAddress::set_port(uint16_t port) {
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  }
}

std::string SocketAddress::ToString() const { return addr::FormatSockaddr(get()); }

std::optional<SocketAddress> MakeSocketAddress(const addr::Address& address) {
  SocketAddress a;
  a.length = address.ToSockaddr(a.storage);
  if (a.length == 0) return std::nullopt;
  return a;
}

int BindSocket(const SocketAddress& address, int type, bool reuse_port) {
  int fd = socket(address.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int on = 1;
  bool ok = true;
  if (reuse_port) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0;
  // TCP: a restarted dnsd must not wait for TIME_WAIT connections of its predecessor.
  if (ok && type == SOCK_STREAM) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0;
  if (ok && address.family() == AF_INET6) {
    ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0;
  }
  if (ok) ok = bind(fd, address.get(), address.length) == 0;
  if (!ok) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

uint16_t PickFreePort(const SocketAddress& address, std::string& error) {
  constexpr int kAttempts = 32;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    SocketAddress probe = address;
    probe.set_port(0);
    int udp = BindSocket(probe, SOCK_DGRAM, false);
    if (udp < 0) {
      error = address.ToString() + ": " + std::strerror(-udp);
      return 0;
    }
    probe.set_port(BoundPort(udp));
    int tcp = BindSocket(probe, SOCK_STREAM, false);
    close(udp);
    if (tcp >= 0) {
      close(tcp);
      return probe.port();
    }
  }
  error = address.ToString() + ": no port free for both UDP and TCP";
  return 0;
}

}  // namespace dnsd::net
