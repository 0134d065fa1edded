// Parsers and checks for single configuration values (durations, addresses, domain
// names, upstreams), shared by the YAML reader, the command line and Validate(). Pure
// functions; a check returns "" when the value is fine, else the problem in words.
#pragma once

#include <string>
#include <string_view>

#include "dnsd/config/config.h"

namespace dnsd::config {

// "1m30s", "500ms", "0s": the shortest exact form of d.
std::string FormatDuration(Duration d);

// True for an IPv4 or IPv6 literal (no brackets, no port).
bool IsIpLiteral(std::string_view text);

// Lower-case with the trailing dot: "Consul" -> "consul.".
std::string NormalizeDomain(std::string_view text);

std::string CheckDomain(std::string_view normalized);
std::string CheckUpstream(std::string_view text);   // IP[:PORT], [IPv6]:PORT or "system"
std::string CheckIpLiteral(std::string_view text);  // dns.advertise entries
std::string CheckToken(std::string_view text);      // http.tokens entries
std::string CheckEtcdEndpoint(std::string_view text);  // cluster.etcd entries
std::string CheckServerUrl(std::string_view text);     // agent.servers entries
std::string CheckClusterPrefix(std::string_view text);  // cluster.prefix
std::string CheckNodeName(std::string_view text);       // cluster.node
std::string CheckDatacenter(std::string_view text); // consul.datacenter: one DNS label

}  // namespace dnsd::config
