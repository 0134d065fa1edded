#include "dnsd/forward/upstreams.h"

#include <fstream>
#include <sstream>

namespace dnsd::forward {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Upstream> ParseUpstream(std::string_view text, uint16_t default_port) {
  auto u = addr::ParseAddress(Trim(text), default_port);
  // Port 0 can only be the default (a listener on port 0, for IsOwnAddress), never written.
  if (u && u->port == 0 && default_port != 0) return std::nullopt;
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
    if (auto u = addr::ParseIp(value, 53)) out.push_back(*u);
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
