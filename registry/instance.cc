// Instance values and registration-input validation (SPEC §3).
#include "registry/instance.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace registry {

std::string_view HealthName(Health h) {
  switch (h) {
    case Health::kPassing:
      return "passing";
    case Health::kWarning:
      return "warning";
    case Health::kCritical:
      return "critical";
    case Health::kMaintenance:
      return "maintenance";
  }
  return "unknown";
}

std::optional<Health> ParseHealth(std::string_view s) {
  if (s == "passing") return Health::kPassing;
  if (s == "warning") return Health::kWarning;
  if (s == "critical") return Health::kCritical;
  if (s == "maintenance") return Health::kMaintenance;
  return std::nullopt;
}

std::string_view ProtoName(Proto p) { return p == Proto::kUdp ? "udp" : "tcp"; }

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes.data(), buf, sizeof buf) == nullptr) return std::string();
  return std::string(buf);
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything longer than the longest
  // IPv6 text form cannot be an address.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.family = Family::kV4;
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.family = Family::kV6;
    return ip;
  }
  return std::nullopt;
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool Instance::HasTag(std::string_view lower_tag) const {
  return std::find(tags.begin(), tags.end(), lower_tag) != tags.end();
}

namespace {

Status CheckLabel(const std::string& value, const char* field) {
  if (!IsDnsLabel(value)) {
    return Invalid(field, std::string(field) +
                              " must be a DNS label (1-63 letters, digits or "
                              "hyphens, no leading or trailing hyphen): \"" +
                              value + "\"");
  }
  return Ok{};
}

Status CheckTags(std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) {
    return Invalid("tags", "at most " + std::to_string(kMaxTags) + " tags are allowed");
  }
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (const std::string& tag : tags) {
    if (!IsDnsLabel(tag)) {
      return Invalid("tags",
                     "tag must be a DNS label (1-63 letters, digits or hyphens, no "
                     "leading or trailing hyphen): \"" +
                         tag + "\"");
    }
    std::string lower = ToLower(tag);
    // Order as registered, duplicates (case-insensitive) dropped.
    if (std::find(out.begin(), out.end(), lower) == out.end()) out.push_back(std::move(lower));
  }
  tags = std::move(out);
  return Ok{};
}

Status CheckMeta(const std::map<std::string, std::string>& meta) {
  if (meta.size() > kMaxMetaEntries) {
    return Invalid("meta",
                   "at most " + std::to_string(kMaxMetaEntries) + " meta entries are allowed");
  }
  for (const auto& [key, value] : meta) {
    if (key.empty()) return Invalid("meta", "meta keys must not be empty");
    if (key.size() > kMaxMetaKeyLength) {
      return Invalid("meta", "meta key longer than " + std::to_string(kMaxMetaKeyLength) +
                                 " bytes: \"" + key.substr(0, 32) + "...\"");
    }
    if (value.size() > kMaxMetaValueLength) {
      return Invalid("meta", "meta value of \"" + key + "\" longer than " +
                                 std::to_string(kMaxMetaValueLength) + " bytes");
    }
  }
  return Ok{};
}

Status CheckNumbers(const InstanceSpec& spec) {
  if (spec.port > 65535) {  // 0: no port (A/AAAA only, no SRV), for the Consul API
    return Invalid("port", "port must be 1-65535, got " + std::to_string(spec.port));
  }
  if (spec.proto != Proto::kTcp && spec.proto != Proto::kUdp) {
    return Invalid("proto", "proto must be tcp or udp");
  }
  if (spec.weight > 65535) {
    return Invalid("weight", "weight must be 0-65535, got " + std::to_string(spec.weight));
  }
  if (spec.priority > 65535) {
    return Invalid("priority", "priority must be 0-65535, got " + std::to_string(spec.priority));
  }
  if (spec.ttl < Duration::zero() || spec.ttl > kMaxLeaseTtl) {
    return Invalid(
        "ttl", "ttl must be between 0 and " + std::to_string(kMaxLeaseTtl.count() / 1000) + "s");
  }
  if (spec.deregister_after && *spec.deregister_after < Duration::zero()) {
    return Invalid("deregister_after", "deregister_after must not be negative");
  }
  if (spec.dns_ttl && *spec.dns_ttl > kMaxDnsTtl) {
    return Invalid("dns_ttl", "dns_ttl must be 0-" + std::to_string(kMaxDnsTtl) + " seconds, got " +
                                  std::to_string(*spec.dns_ttl));
  }
  return Ok{};
}

}  // namespace

Status Validate(InstanceSpec& spec) {
  if (Status s = CheckLabel(spec.service, "service"); !s) return s;
  if (Status s = CheckLabel(spec.id, "id"); !s) return s;
  if (!spec.address) return Invalid("address", "address is required (IPv4 or IPv6 literal)");
  if (Status s = CheckNumbers(spec); !s) return s;
  if (Status s = CheckMeta(spec.meta); !s) return s;
  if (Status s = ValidateChecks(spec.checks); !s) return s;
  if (Status s = CheckTags(spec.tags); !s) return s;  // last: it rewrites the tags
  spec.service = ToLower(spec.service);
  spec.id = ToLower(spec.id);
  return Ok{};
}

}  // namespace registry
