#include "dnsd/forward/upstreams.h"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace dnsd::forward {
namespace {

std::optional<Upstream> ParseIp(std::string_view text) {
  std::string s(text);
  Upstream u;
  if (inet_pton(AF_INET, s.c_str(), u.addr.data()) == 1) return u;
  if (inet_pton(AF_INET6, s.c_str(), u.addr.data()) == 1) {
    u.v6 = true;
    return u;
  }
  return std::nullopt;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Upstream::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  std::string host(buf);
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool Upstream::IsLoopback() const {
  if (!v6) return addr[0] == 127;
  for (size_t i = 0; i < 15; ++i) {
    if (addr[i] != 0) return false;
  }
  return addr[15] == 1;
}

bool Upstream::IsUnspecified() const {
  size_t n = v6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) {
    if (addr[i] != 0) return false;
  }
  return true;
}

std::optional<Upstream> ParseUpstream(std::string_view text, uint16_t default_port) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto u = ParseIp(text.substr(1, close - 1));
    if (!u || !u->v6) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    u->port = default_port;
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      auto port = ParsePort(rest.substr(1));
      if (!port) return std::nullopt;
      u->port = *port;
    }
    return u;
  }
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    auto u = ParseIp(text.substr(0, colon));
    auto port = ParsePort(text.substr(colon + 1));
    if (!u || u->v6 || !port) return std::nullopt;
    u->port = *port;
    return u;
  }
  auto u = ParseIp(text);  // IPv4 or a bare IPv6 literal
  if (u) u->port = default_port;
  return u;
}

std::vector<Upstream> ParseResolvConf(std::string_view text) {
  std::vector<Upstream> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string keyword, value;
    if (!(words >> keyword >> value) || keyword != "nameserver") continue;
    if (value.find('%') != std::string::npos) continue;  // link-local with scope id
    if (auto u = ParseIp(value)) out.push_back(*u);
  }
  return out;
}

bool IsOwnAddress(const Upstream& server, const std::vector<Upstream>& own_listeners) {
  for (const Upstream& own : own_listeners) {
    if (own.port != server.port) continue;
    if (own == server) return true;
    if (own.IsUnspecified() && (server.IsLoopback() || server.IsUnspecified())) return true;
  }
  return false;
}

UpstreamList ResolveUpstreams(const std::vector<std::string>& entries,
                              const std::vector<Upstream>& own_listeners,
                              const std::string& resolv_conf_path) {
  UpstreamList result;
  for (const std::string& entry : entries) {
    if (entry != "system") {
      if (auto u = ParseUpstream(entry)) {
        result.upstreams.push_back(*u);
      } else {
        result.errors.push_back("dns.upstreams: \"" + entry + "\" is not IP[:PORT] or [IPv6]:PORT");
      }
      continue;
    }
    std::ifstream file(resolv_conf_path);
    if (!file) {
      result.errors.push_back("dns.upstreams: system: cannot read " + resolv_conf_path);
      continue;
    }
    std::stringstream text;
    text << file.rdbuf();
    size_t added = 0;
    for (const Upstream& u : ParseResolvConf(text.str())) {
      if (IsOwnAddress(u, own_listeners)) continue;
      result.upstreams.push_back(u);
      ++added;
    }
    if (added == 0) {
      result.errors.push_back("dns.upstreams: system: " + resolv_conf_path +
                              " lists no nameserver other than dnsd itself");
    }
  }
  return result;
}

}  // namespace dnsd::forward
