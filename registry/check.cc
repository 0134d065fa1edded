// Check specs: validation of targets and numbers (SPEC §9).
#include "registry/check.h"

#include <algorithm>
#include <charconv>

#include "registry/instance.h"

namespace registry {

std::string_view CheckKindName(CheckKind k) {
  switch (k) {
    case CheckKind::kHttp:
      return "http";
    case CheckKind::kTcp:
      return "tcp";
    case CheckKind::kExec:
      return "exec";
    case CheckKind::kTtl:
      return "ttl";
  }
  return "unknown";
}

std::optional<CheckKind> ParseCheckKind(std::string_view name) {
  for (CheckKind k : {CheckKind::kHttp, CheckKind::kTcp, CheckKind::kExec, CheckKind::kTtl}) {
    if (CheckKindName(k) == name) return k;
  }
  return std::nullopt;
}

Duration CheckSpec::EffectiveTimeout() const {
  const Duration t = timeout > Duration::zero() ? timeout : std::min(interval, kMaxCheckTimeout);
  return std::min(t, interval);
}

namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return ec == std::errc() && end == s.data() + s.size() && port >= 1 && port <= 65535;
}

// host[:port] with a required or optional port.
bool IsAuthority(std::string_view a, bool port_required) {
  std::string_view host, port;
  bool has_port = false;
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    host = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      has_port = true;
      port = rest.substr(1);
    }
    auto ip = IpAddress::Parse(host);
    if (!ip || ip->is_v4()) return false;
  } else {
    const size_t colon = a.rfind(':');
    host = a.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = a.substr(colon + 1);
    }
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), IsHostChar)) {
      return false;
    }
  }
  if (has_port) return IsPort(port);
  return !port_required;
}

}  // namespace

bool IsCheckUrl(std::string_view url) {
  if (url.size() > kMaxCheckTarget) return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return false;  // no credentials
  return IsAuthority(authority, false);
}

bool IsHostPort(std::string_view target) {
  return target.size() <= kMaxCheckTarget && IsAuthority(target, true);
}

Status ValidateCheck(const CheckSpec& spec, std::string_view prefix) {
  const std::string p(prefix);
  switch (spec.kind) {
    case CheckKind::kHttp:
      if (!IsCheckUrl(spec.target)) {
        return Invalid(p + ".http", "http check target must be an http:// or https:// URL, got \"" +
                                        spec.target.substr(0, 200) + "\"");
      }
      break;
    case CheckKind::kTcp:
      if (!IsHostPort(spec.target)) {
        return Invalid(p + ".tcp", "tcp check target must be host:port (port 1-65535), got \"" +
                                       spec.target.substr(0, 200) + "\"");
      }
      break;
    case CheckKind::kExec:
      if (spec.args.empty() || spec.args.front().empty()) {
        return Invalid(p + ".args", "exec check needs a program to run");
      }
      break;
    case CheckKind::kTtl:
      if (!spec.target.empty() || !spec.args.empty()) {
        return Invalid(p + ".ttl", "a TTL check has no target");
      }
      if (spec.interval < kMinCheckInterval || spec.interval > kMaxLeaseTtl) {
        return Invalid(p + ".ttl", "a TTL check's TTL must be between 100ms and 24h");
      }
      break;
  }
  if (spec.interval < kMinCheckInterval || spec.interval > kMaxCheckInterval) {
    return Invalid(p + ".interval", "check interval must be between 100ms and 24h");
  }
  if (spec.timeout < Duration::zero() || spec.timeout > kMaxCheckInterval) {
    return Invalid(p + ".timeout", "check timeout must be between 0 and 24h");
  }
  if (spec.success_before_passing < 1 || spec.success_before_passing > kMaxCheckThreshold) {
    return Invalid(p + ".success_before_passing", "success_before_passing must be 1-100");
  }
  if (spec.failures_before_critical < 1 || spec.failures_before_critical > kMaxCheckThreshold) {
    return Invalid(p + ".failures_before_critical", "failures_before_critical must be 1-100");
  }
  if (spec.check_id.size() > 256 || spec.name.size() > 256) {
    return Invalid(p + ".id", "check id and name are at most 256 bytes");
  }
  return Ok{};
}

Status ValidateChecks(const std::vector<CheckSpec>& specs) {
  if (specs.size() > kMaxChecks) {
    return Invalid("checks", "at most " + std::to_string(kMaxChecks) + " checks per instance");
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (Status s = ValidateCheck(specs[i], "checks[" + std::to_string(i) + "]"); !s) return s;
  }
  return Ok{};
}

}  // namespace registry
