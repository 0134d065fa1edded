#include "dnsd/config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "registry/duration.h"

namespace dnsd::config {

namespace {


bool IsIpv4(std::string_view text) {
  in_addr addr{};
  return inet_pton(AF_INET, std::string(text).c_str(), &addr) == 1;
}

bool IsIpv6(std::string_view text) {
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

// The canonical text of an address literal ("0:0::1" -> "::1").
std::string Canonical(std::string_view text, bool v6) {
  char out[INET6_ADDRSTRLEN] = {};
  if (v6) {
    in6_addr addr{};
    inet_pton(AF_INET6, std::string(text).c_str(), &addr);
    inet_ntop(AF_INET6, &addr, out, sizeof out);
  } else {
    in_addr addr{};
    inet_pton(AF_INET, std::string(text).c_str(), &addr);
    inet_ntop(AF_INET, &addr, out, sizeof out);
  }
  return out;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

}  // namespace

std::optional<Duration> ParseDuration(const std::string& text) {
  return registry::ParseDuration(text);
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out = ms < 0 ? "-" : "";
  ms = std::llabs(ms);
  const std::pair<int64_t, const char*> units[] = {
      {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, name] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

std::string ListenAddress::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> ParseAddress(const std::string& text, uint16_t default_port) {
  std::string_view host = text;
  std::optional<uint16_t> port = default_port;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = std::string_view(text).substr(1, close - 1);
    std::string_view rest = std::string_view(text).substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = ParsePort(rest.substr(1));
    }
    v6 = true;
    if (!IsIpv6(host)) return std::nullopt;
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    v6 = true;  // a bare IPv6 literal cannot carry a port
    if (!IsIpv6(host)) return std::nullopt;
  } else {
    size_t colon = text.find(':');
    if (colon != std::string::npos) {
      host = std::string_view(text).substr(0, colon);
      port = ParsePort(std::string_view(text).substr(colon + 1));
    }
    if (!IsIpv4(host)) return std::nullopt;
  }
  if (!port) return std::nullopt;
  return ListenAddress{Canonical(host, v6), *port};
}

bool IsIpLiteral(std::string_view text) { return IsIpv4(text) || IsIpv6(text); }

std::string NormalizeDomain(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!out.empty() && out.back() != '.') out.push_back('.');
  return out;
}

std::string CheckDomain(std::string_view name) {
  std::string bad = "\"" + std::string(name) + "\" is not a valid domain name: ";
  if (name.empty() || name == ".") return "must be a domain name such as discovery. or consul.";
  if (name.size() > 254) return bad + "longer than 253 characters";
  for (size_t start = 0; start < name.size();) {
    size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return bad + "empty label";
    if (label.size() > 63) return bad + "a label is longer than 63 characters";
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return bad + "only letters, digits, '-' and '_' are allowed";
    }
    if (label.front() == '-' || label.back() == '-') {
      return bad + "a label starts or ends with '-'";
    }
    start = dot + 1;
  }
  return {};
}

std::string CheckUpstream(std::string_view text) {
  if (text == "system") return {};
  auto address = ParseAddress(std::string(text), 53);
  if (!address || address->port == 0) {
    return "\"" + std::string(text) +
           "\" is not an upstream: expected an IP address with an optional port "
           "(10.0.0.2, 10.0.0.2:53, [2001:db8::1]:53) or \"system\"";
  }
  return {};
}

std::string CheckIpLiteral(std::string_view text) {
  if (IsIpLiteral(text)) return {};
  return "\"" + std::string(text) + "\" is not an IPv4 or IPv6 address";
}

std::string CheckToken(std::string_view text) {
  if (text.empty() || text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return "a token must not be empty or contain whitespace";
  }
  return {};
}

std::string ConfigError::ToString() const {
  std::string out = source;
  if (line > 0) out += ":" + std::to_string(line);
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  return out + (out.empty() ? "" : ": ") + message;
}

}  // namespace dnsd::config
