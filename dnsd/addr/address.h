// Address: an IP address and a port, the one type dnsd uses for listen addresses
// (dns.listen, http.listen), upstream resolvers and the peers and bound sockets it
// prints. Text in, text out: "10.0.0.2:53", "[2001:db8::1]:53". Pure values (libc's
// inet_pton/inet_ntop only, no libuv); any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnsd::addr {

struct Address {
  std::string host;  // IPv4 or IPv6 literal, no brackets; canonical when parsed ("::1")
  uint16_t port = 0;

  bool v6() const { return host.find(':') != std::string::npos; }
  std::string ToString() const;  // "127.0.0.1:8600", "[::1]:8600"
  bool IsLoopback() const;       // 127.0.0.0/8 or ::1
  bool IsUnspecified() const;    // 0.0.0.0 or ::
  // Fills out with a sockaddr_in or sockaddr_in6 and returns its length; 0 when host is
  // not an IP literal.
  socklen_t ToSockaddr(sockaddr_storage& out) const;
  // Hosts compare as text: compare parsed (canonical) addresses.
  friend bool operator==(const Address&, const Address&) = default;
};

// "ADDR:PORT", "[IPv6]:PORT", "ADDR" or a bare IPv6 literal ("::1"), the last two with
// default_port. An explicit port is 0-65535 (callers that need a real port check).
// Nothing else is accepted: no names, no whitespace, no brackets around IPv4.
std::optional<Address> ParseAddress(std::string_view text, uint16_t default_port);

// An IP literal alone (no brackets, no port), with port.
std::optional<Address> ParseIp(std::string_view literal, uint16_t port);

// The address of an AF_INET or AF_INET6 socket address; nullopt for null or another family.
std::optional<Address> FromSockaddr(const sockaddr* sa);

// FromSockaddr(sa)->ToString(), or "-" when there is none.
std::string FormatSockaddr(const sockaddr* sa);

}  // namespace dnsd::addr
