// Socket helpers for the DNS listeners: socket addresses and binding with SO_REUSEPORT,
// so that every worker thread owns its own UDP socket and TCP listener on one port and
// the kernel spreads packets and connections over them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "dnsd/addr/address.h"

namespace dnsd::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  uint16_t port() const;
  void set_port(uint16_t port);
  std::string ToString() const;  // "127.0.0.1:53", "[::1]:53"
};

// nullopt when address.host is not an IP literal.
std::optional<SocketAddress> MakeSocketAddress(const addr::Address& address);

// A non-blocking, close-on-exec socket of type SOCK_DGRAM or SOCK_STREAM bound to
// address; IPV6_V6ONLY on IPv6; SO_REUSEPORT when reuse_port. Returns the fd, or
// -errno on failure (nothing left open).
int BindSocket(const SocketAddress& address, int type, bool reuse_port);

// The port a bound socket got (for port 0), or 0 on error.
uint16_t BoundPort(int fd);

// Finds a port free for both UDP and TCP on address by binding both without
// SO_REUSEPORT (so that no other process's socket shares it), then releases them.
// Returns 0 and sets error when no port was found after a few tries.
uint16_t PickFreePort(const SocketAddress& address, std::string& error);

}  // namespace dnsd::net
