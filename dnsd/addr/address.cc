#include "dnsd/addr/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace dnsd::addr {
namespace {

// The 4 or 16 bytes of an IP literal (inet_pton wants a NUL-terminated string).
struct Binary {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

std::optional<Binary> ToBinary(std::string_view literal) {
  std::string text(literal);
  Binary b;
  if (inet_pton(AF_INET, text.c_str(), b.bytes.data()) == 1) return b;
  if (inet_pton(AF_INET6, text.c_str(), b.bytes.data()) == 1) {
    b.v6 = true;
    return b;
  }
  return std::nullopt;
}

std::string ToText(const Binary& b) {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(b.v6 ? AF_INET6 : AF_INET, b.bytes.data(), out, sizeof out);
  return out;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

std::optional<Address> Make(std::string_view literal, bool want_v6, std::optional<uint16_t> port) {
  auto b = ToBinary(literal);
  if (!b || b->v6 != want_v6 || !port) return std::nullopt;
  return Address{ToText(*b), *port};
}

}  // namespace

std::string Address::ToString() const {
  return (v6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool Address::IsLoopback() const {
  auto b = ToBinary(host);
  if (!b) return false;
  if (!b->v6) return b->bytes[0] == 127;
  return std::all_of(b->bytes.begin(), b->bytes.end() - 1, [](uint8_t x) { return x == 0; }) &&
         b->bytes[15] == 1;
}

bool Address::IsUnspecified() const {
  auto b = ToBinary(host);
  return b && std::all_of(b->bytes.begin(), b->bytes.end(), [](uint8_t x) { return x == 0; });
}

socklen_t Address::ToSockaddr(sockaddr_storage& out) const {
  auto b = ToBinary(host);
  out = {};
  if (!b) return 0;
  if (b->v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, b->bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&out);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  std::memcpy(&in->sin_addr, b->bytes.data(), 4);
  return sizeof(sockaddr_in);
}

std::optional<Address> ParseAddress(std::string_view text, uint16_t default_port) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    std::optional<uint16_t> port = default_port;
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = ParsePort(rest.substr(1));
    }
    return Make(text.substr(1, close - 1), true, port);
  }
  if (std::count(text.begin(), text.end(), ':') > 1) {
    return Make(text, true, default_port);  // a bare IPv6 literal cannot carry a port
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Make(text, false, default_port);
  return Make(text.substr(0, colon), false, ParsePort(text.substr(colon + 1)));
}

std::optional<Address> ParseIp(std::string_view literal, uint16_t port) {
  auto b = ToBinary(literal);
  if (!b) return std::nullopt;
  return Address{ToText(*b), port};
}

std::optional<Address> FromSockaddr(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  Binary b;
  uint16_t port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    std::memcpy(b.bytes.data(), &in->sin_addr, 4);
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    b.v6 = true;
    std::memcpy(b.bytes.data(), &in6->sin6_addr, 16);
    port = ntohs(in6->sin6_port);
  } else {
    return std::nullopt;
  }
  return Address{ToText(b), port};
}

std::string FormatSockaddr(const sockaddr* sa) {
  auto a = FromSockaddr(sa);
  return a ? a->ToString() : "-";
}

}  // namespace dnsd::addr
