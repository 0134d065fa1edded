#include "dnsd/config/values.h"

#include <cmath>

#include "registry/duration.h"
#include "registry/instance.h"

namespace dnsd::config {

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

bool IsIpLiteral(std::string_view text) { return addr::ParseIp(text, 0).has_value(); }

std::string NormalizeDomain(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!out.empty() && out.back() != '.') out.push_back('.');
  return out;
}

std::string CheckDatacenter(std::string_view text) {
  if (registry::IsDnsLabel(text) && registry::ToLower(text) == text) return {};
  return "\"" + std::string(text) + "\" must be one lower-case DNS label such as dc1";
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
  auto address = addr::ParseAddress(std::string(text), 53);
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

namespace {
// "http://HOST:PORT" (or https:// when allowed): a scheme, something after it, and no
// path or whitespace.
bool IsBaseUrl(std::string_view text, bool https) {
  const size_t host = text.starts_with("http://")             ? 7
                      : https && text.starts_with("https://") ? 8
                                                              : 0;
  return host != 0 && text.size() > host &&
         text.find_first_of(" \t\r\n/", host) == std::string_view::npos;
}
}  // namespace

std::string CheckEtcdEndpoint(std::string_view text) {
  // The JSON gateway is spoken over plain HTTP; TLS to etcd is not built yet.
  if (IsBaseUrl(text, false)) return {};
  return "\"" + std::string(text) + "\" is not an etcd endpoint: expected http://HOST:PORT";
}

std::string CheckServerUrl(std::string_view text) {
  if (IsBaseUrl(text, true)) return {};
  return "\"" + std::string(text) +
         "\" is not a dnsd server: expected http://HOST:PORT or https://HOST:PORT";
}

std::string CheckClusterPrefix(std::string_view text) {
  if (text.empty() || text.front() != '/' || text.back() != '/' ||
      text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return "must start and end with '/' (e.g. /dnsd/), got \"" + std::string(text) + "\"";
  }
  return {};
}

std::string CheckNodeName(std::string_view text) {
  if (text.size() > 253 || text.find_first_of(" \t\r\n/\"\\") != std::string_view::npos) {
    return "must be at most 253 characters without whitespace, '/', '\"' or '\\'";
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
