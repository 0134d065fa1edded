// Upstream resolver addresses: parsing "IP", "IP:PORT", "[v6]:PORT" entries and the
// "system" entry (the nameservers of /etc/resolv.conf minus dnsd's own DNS listeners).
// Pure functions of their inputs (the resolv.conf text is read by ResolveUpstreams only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/addr/address.h"

namespace dnsd::forward {

// An upstream is an addr::Address: "10.0.0.2:53", "[2001:db8::1]:53".
using Upstream = addr::Address;

// Parses one address (addr::ParseAddress, surrounding blanks ignored); port defaults to
// default_port. Bare IPv6 literals ("::1") are accepted without brackets (and then carry
// no port). An explicit port 0 is rejected.
std::optional<Upstream> ParseUpstream(std::string_view text, uint16_t default_port = 53);

// The "nameserver" lines of a resolv.conf text, in order. Scoped (%eth0) entries are skipped.
std::vector<Upstream> ParseResolvConf(std::string_view text);

// A nameserver is dnsd itself when a DNS listener has the same address and port, or a
// wildcard listener (0.0.0.0 / ::) has the same port and the nameserver is a loopback
// or unspecified address.
bool IsOwnAddress(const Upstream& server, const std::vector<Upstream>& own_listeners);

struct UpstreamList {
  std::vector<Upstream> upstreams;
  std::vector<std::string> errors;  // empty when every entry resolved
};

// Expands config entries in order; "system" reads resolv_conf_path. A "system" entry
// that yields nothing is an error (dnsd would otherwise forward to itself or nowhere).
UpstreamList ResolveUpstreams(const std::vector<std::string>& entries,
                              const std::vector<Upstream>& own_listeners,
                              const std::string& resolv_conf_path = "/etc/resolv.conf");

}  // namespace dnsd::forward
