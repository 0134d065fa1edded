// Eureka's InstanceInfo in and out of a registry instance, and its JSON and XML shapes
// (SPEC §11). JSON is written as text in Eureka's field order (strings escaped as nlohmann
// escapes them), XML with pugixml.
#include "dnsd/http/eureka_view.h"

#include <algorithm>
#include <charconv>
#include <pugixml.hpp>

#include "dnsd/http/consul_names.h"

namespace dnsd::http::eureka {
namespace {

using registry::Invalid;

constexpr std::string_view kMetaApp = "eureka-app";
constexpr std::string_view kMetaId = "eureka-id";
constexpr std::string_view kMetaHost = "eureka-host";
constexpr std::string_view kMetaPorts = "eureka-ports";  // "<port>,<enabled>,<secure>,<enabled>"
constexpr std::string_view kMetaLease = "eureka-lease";  // "<renewal>,<duration>"
constexpr std::string_view kMetaCountry = "eureka-country";
constexpr std::string_view kMetaDc = "eureka-dc";
constexpr std::string_view kMetaDcClass = "eureka-dc-class";
constexpr std::string_view kMetaHome = "eureka-home";
constexpr std::string_view kMetaStatusUrl = "eureka-status-url";
constexpr std::string_view kMetaHealthUrl = "eureka-health-url";
constexpr std::string_view kMetaVip = "eureka-vip";
constexpr std::string_view kMetaSvip = "eureka-svip";
constexpr std::string_view kMetaDirty = "eureka-dirty";

constexpr int64_t kDefaultDuration = 90;

const std::string* Meta(const registry::Instance& in, std::string_view key) {
  auto it = in.meta.find(std::string(key));
  return it == in.meta.end() ? nullptr : &it->second;
}

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string_view Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

std::optional<Status> ParseStatus(std::string_view s) {
  if (s == "UP") return Status::kUp;
  if (s == "DOWN") return Status::kDown;
  if (s == "STARTING") return Status::kStarting;
  if (s == "OUT_OF_SERVICE") return Status::kOutOfService;
  if (s == "UNKNOWN") return Status::kUnknown;
  return std::nullopt;
}

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kUp: return "UP";
    case Status::kDown: return "DOWN";
    case Status::kStarting: return "STARTING";
    case Status::kOutOfService: return "OUT_OF_SERVICE";
    case Status::kUnknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

registry::Health HealthOf(Status s) {
  switch (s) {
    case Status::kUp: return registry::Health::kPassing;
    case Status::kOutOfService: return registry::Health::kMaintenance;
    default: return registry::Health::kCritical;
  }
}

Status Effective(Status reported, Status overridden) {
  if (reported != Status::kUp && reported != Status::kOutOfService) return reported;
  return overridden == Status::kUnknown ? reported : overridden;
}

Status ReportedStatus(const registry::Instance& in) {
  const std::string* v = Meta(in, kMetaStatus);
  std::optional<Status> s = v ? ParseStatus(*v) : std::nullopt;
  return s.value_or(Status::kUp);
}

Status OverriddenStatus(const registry::Instance& in) {
  const std::string* v = Meta(in, kMetaOverride);
  std::optional<Status> s = v ? ParseStatus(*v) : std::nullopt;
  return s.value_or(Status::kUnknown);
}

Status ShownStatus(const registry::Instance& in) {
  switch (in.health) {
    case registry::Health::kPassing:
    case registry::Health::kWarning:
      return Status::kUp;
    case registry::Health::kMaintenance:
      return Status::kOutOfService;
    case registry::Health::kCritical:
      break;
  }
  const Status e = Effective(ReportedStatus(in), OverriddenStatus(in));
  return e == Status::kStarting || e == Status::kUnknown ? e : Status::kDown;
}

std::vector<std::string> VipsOf(const registry::Instance& in, bool secure) {
  const std::string* v = Meta(in, secure ? kMetaSvip : kMetaVip);
  if (!v) {
    if (secure || Meta(in, kMetaApp)) return {};
    return {in.service};  // registered through another API: its service is its VIP
  }
  std::vector<std::string> out = SplitCommas(*v);
  for (std::string& s : out) s = registry::ToLower(s);
  return out;
}

registry::Result<registry::InstanceSpec> ToSpec(const InstanceInfo& info) {
  if (info.app.empty()) return Invalid("app", "\"app\" is required");
  if (info.Id().empty()) {
    return Invalid("instanceId", "\"instanceId\" or \"hostName\" is required (the instance's id)");
  }
  if (info.ip_addr.empty()) return Invalid("ipAddr", "\"ipAddr\" is required");
  registry::InstanceSpec spec;
  spec.address = registry::IpAddress::Parse(info.ip_addr);
  if (!spec.address) return Invalid("ipAddr", "\"ipAddr\" must be an IPv4 or IPv6 literal");
  for (const auto& [field, port] : {std::pair<const char*, int64_t>{"port", info.port},
                                    std::pair<const char*, int64_t>{"securePort", info.secure_port}}) {
    if (port < 0 || port > 65535) {
      return Invalid(field, "\"" + std::string(field) + "\" must be 0-65535");
    }
  }
  const int64_t duration = info.duration > 0 ? info.duration : kDefaultDuration;
  if (std::chrono::seconds(duration) > registry::kMaxLeaseTtl) {
    return Invalid("leaseInfo.durationInSecs", "\"leaseInfo.durationInSecs\" is at most 86400");
  }
  spec.service = ConsulLabel(info.app);
  spec.id = ConsulLabel(info.Id());
  spec.port = static_cast<uint32_t>(info.port_enabled ? info.port : info.secure_port);
  spec.ttl = std::chrono::seconds(duration);
  for (const std::string& vip : SplitCommas(info.vip)) spec.tags.push_back(ConsulLabel(vip));
  for (const std::string& vip : SplitCommas(info.svip)) spec.tags.push_back(ConsulLabel(vip));
  for (const auto& [k, v] : info.metadata) {
    const std::string field = "metadata." + k;
    if (k.starts_with(kMetaPrefix)) return Invalid(field, "metadata keys eureka-* are dnsd's own");
    if (k.empty() || k.size() > registry::kMaxMetaKeyLength) {
      return Invalid(field, "a metadata key is 1-128 characters");
    }
    if (v.size() > registry::kMaxMetaValueLength) {
      return Invalid(field, "\"" + field + "\" is longer than 512 bytes");
    }
    spec.meta[k] = v;
  }
  auto put = [&](std::string_view key, const std::string& value,
                 std::string_view field) -> registry::Status {
    if (value.empty()) return registry::Ok{};
    if (value.size() > registry::kMaxMetaValueLength) {
      return Invalid(std::string(field), "\"" + std::string(field) + "\" is longer than 512 bytes");
    }
    spec.meta[std::string(key)] = value;
    return registry::Ok{};
  };
  const std::pair<std::string_view, std::pair<const std::string*, std::string_view>> texts[] = {
      {kMetaApp, {&info.app, "app"}},
      {kMetaId, {&info.instance_id, "instanceId"}},
      {kMetaHost, {&info.host_name, "hostName"}},
      {kMetaHome, {&info.home_page_url, "homePageUrl"}},
      {kMetaStatusUrl, {&info.status_page_url, "statusPageUrl"}},
      {kMetaHealthUrl, {&info.health_check_url, "healthCheckUrl"}},
      {kMetaVip, {&info.vip, "vipAddress"}},
      {kMetaSvip, {&info.svip, "secureVipAddress"}},
      {kMetaDc, {&info.dc_name, "dataCenterInfo.name"}},
  };
  for (const auto& [key, v] : texts) {
    if (registry::Status s = put(key, *v.first, v.second); !s) return s.error();
  }
  if (info.dc_class != kDefaultDataCenterClass) {
    if (registry::Status s = put(kMetaDcClass, info.dc_class, "dataCenterInfo.@class"); !s) {
      return s.error();
    }
  }
  spec.meta[std::string(kMetaStatus)] = std::string(StatusName(info.status));
  if (info.overridden != Status::kUnknown) {
    spec.meta[std::string(kMetaOverride)] = std::string(StatusName(info.overridden));
  }
  spec.meta[std::string(kMetaPorts)] = std::to_string(info.port) + "," +
                                       std::string(Bool(info.port_enabled)) + "," +
                                       std::to_string(info.secure_port) + "," +
                                       std::string(Bool(info.secure_port_enabled));
  spec.meta[std::string(kMetaLease)] =
      std::to_string(info.renewal_interval) + "," + std::to_string(duration);
  if (info.country_id != 1) spec.meta[std::string(kMetaCountry)] = std::to_string(info.country_id);
  if (info.registration_ts) spec.meta[std::string(kMetaRegistered)] = std::to_string(info.registration_ts);
  if (info.service_up_ts) spec.meta[std::string(kMetaUp)] = std::to_string(info.service_up_ts);
  if (info.last_dirty_ts) spec.meta[std::string(kMetaDirty)] = std::to_string(info.last_dirty_ts);
  if (spec.meta.size() > registry::kMaxMetaEntries) {
    return Invalid("metadata", "at most " + std::to_string(registry::kMaxMetaEntries - 20) +
                                   " metadata entries (dnsd keeps some of the instance's own)");
  }
  return spec;
}

InstanceInfo FromInstance(const registry::Instance& in, int64_t lease_renewed_ms) {
  InstanceInfo info;
  const std::string* app = nullptr;
  const std::string* ports = nullptr;
  const std::string* lease = nullptr;
  bool has_dc = false, has_vip = false;
  auto num = [](const std::string& v, int64_t& out) {
    std::from_chars(v.data(), v.data() + v.size(), out);
  };
  // One pass over the meta: the reserved keys fill the fields, the others are metadata.
  for (const auto& [k, v] : in.meta) {
    if (!k.starts_with(kMetaPrefix)) {
      info.metadata.emplace_hint(info.metadata.end(), k, v);
      continue;
    }
    const std::string_view key = k;
    if (key == kMetaApp) app = &v;
    else if (key == kMetaId) info.instance_id = v;
    else if (key == kMetaHost) info.host_name = v;
    else if (key == kMetaPorts) ports = &v;
    else if (key == kMetaLease) lease = &v;
    else if (key == kMetaCountry) num(v, info.country_id);
    else if (key == kMetaDc) { info.dc_name = v; has_dc = true; }
    else if (key == kMetaDcClass) info.dc_class = v;
    else if (key == kMetaHome) info.home_page_url = v;
    else if (key == kMetaStatusUrl) info.status_page_url = v;
    else if (key == kMetaHealthUrl) info.health_check_url = v;
    else if (key == kMetaVip) { info.vip = v; has_vip = true; }
    else if (key == kMetaSvip) info.svip = v;
    else if (key == kMetaRegistered) num(v, info.registration_ts);
    else if (key == kMetaUp) num(v, info.service_up_ts);
    else if (key == kMetaDirty) num(v, info.last_dirty_ts);
  }
  const bool eureka = app != nullptr;
  info.app = Upper(eureka ? std::string_view(*app) : std::string_view(in.service));
  if (!eureka) info.instance_id = info.host_name = in.id;
  if (!has_dc) info.dc_name = "MyOwn";
  if (!has_vip && !eureka) info.vip = in.service;
  info.ip_addr = in.address.ToString();
  info.status = ShownStatus(in);
  info.overridden = OverriddenStatus(in);
  info.port = in.port;
  info.secure_port = 443;
  if (ports) {
    std::vector<std::string> p = SplitCommas(*ports);
    if (p.size() == 4) {
      num(p[0], info.port);
      info.port_enabled = p[1] == "true";
      num(p[2], info.secure_port);
      info.secure_port_enabled = p[3] == "true";
    }
  }
  info.duration = std::chrono::duration_cast<std::chrono::seconds>(in.ttl).count();
  if (lease) {
    std::vector<std::string> p = SplitCommas(*lease);
    if (p.size() == 2) num(p[0], info.renewal_interval);
  }
  info.last_renewal_ts = lease_renewed_ms;
  if (info.last_dirty_ts == 0) info.last_dirty_ts = info.registration_ts;
  info.last_updated_ts = std::max(info.last_dirty_ts, info.registration_ts);
  return info;
}

std::string HashCode(const std::map<std::string, uint64_t, std::less<>>& counts) {
  std::string out;
  for (const auto& [status, n] : counts) {
    if (n == 0) continue;
    out += status + "_" + std::to_string(n) + "_";
  }
  return out;
}

// ---- JSON ----

namespace {

// The length of the valid UTF-8 sequence at s[i] (a byte >= 0x80), or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return n;
}

// A JSON string as nlohmann writes it (invalid UTF-8 replaced by U+FFFD).
void Str(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void Key(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);
  out += "\":";
}

void Field(std::string& out, std::string_view key, std::string_view value) {
  Key(out, key);
  Str(out, value);
  out.push_back(',');
}

void Num(std::string& out, std::string_view key, int64_t value) {
  Key(out, key);
  out += std::to_string(value);
  out.push_back(',');
}

void Port(std::string& out, std::string_view key, int64_t port, bool enabled) {
  Key(out, key);
  out += "{\"$\":";
  out += std::to_string(port);
  out += ",\"@enabled\":";
  out += enabled ? "\"true\"}," : "\"false\"},";
}

void InstanceObject(std::string& out, const InstanceInfo& i) {
  out.push_back('{');
  if (!i.instance_id.empty()) Field(out, "instanceId", i.instance_id);
  Field(out, "hostName", i.host_name);
  Field(out, "app", Upper(i.app));
  Field(out, "ipAddr", i.ip_addr);
  Field(out, "status", StatusName(i.status));
  Field(out, "overriddenstatus", StatusName(i.overridden));
  Port(out, "port", i.port, i.port_enabled);
  Port(out, "securePort", i.secure_port, i.secure_port_enabled);
  Num(out, "countryId", i.country_id);
  Key(out, "dataCenterInfo");
  out += "{\"@class\":";
  Str(out, i.dc_class);
  out += ",\"name\":";
  Str(out, i.dc_name);
  out += "},";
  Key(out, "leaseInfo");
  out.push_back('{');
  Num(out, "renewalIntervalInSecs", i.renewal_interval);
  Num(out, "durationInSecs", i.duration);
  Num(out, "registrationTimestamp", i.registration_ts);
  Num(out, "lastRenewalTimestamp", i.last_renewal_ts);
  Num(out, "evictionTimestamp", i.eviction_ts);
  Num(out, "serviceUpTimestamp", i.service_up_ts);
  out.back() = '}';
  out.push_back(',');
  Key(out, "metadata");
  out.push_back('{');
  for (const auto& [k, v] : i.metadata) {
    Str(out, k);
    out.push_back(':');
    Str(out, v);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "},";
  if (!i.home_page_url.empty()) Field(out, "homePageUrl", i.home_page_url);
  if (!i.status_page_url.empty()) Field(out, "statusPageUrl", i.status_page_url);
  if (!i.health_check_url.empty()) Field(out, "healthCheckUrl", i.health_check_url);
  if (!i.vip.empty()) Field(out, "vipAddress", i.vip);
  if (!i.svip.empty()) Field(out, "secureVipAddress", i.svip);
  Field(out, "isCoordinatingDiscoveryServer", "false");
  Field(out, "lastUpdatedTimestamp", std::to_string(i.last_updated_ts));
  Field(out, "lastDirtyTimestamp", std::to_string(i.last_dirty_ts));
  if (!i.action_type.empty()) Field(out, "actionType", i.action_type);
  out.back() = '}';
}

void ApplicationObject(std::string& out, const Application& app) {
  out += "{\"name\":";
  Str(out, Upper(app.name));
  out += ",\"instance\":[";
  for (const InstanceInfo& i : app.instances) {
    InstanceObject(out, i);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "]}";
}

// ---- XML ----

void Text(pugi::xml_node parent, const char* name, std::string_view value) {
  parent.append_child(name).text().set(std::string(value).c_str());
}

void InstanceNode(pugi::xml_node parent, const InstanceInfo& i) {
  pugi::xml_node n = parent.append_child("instance");
  if (!i.instance_id.empty()) Text(n, "instanceId", i.instance_id);
  Text(n, "hostName", i.host_name);
  Text(n, "app", Upper(i.app));
  Text(n, "ipAddr", i.ip_addr);
  Text(n, "status", StatusName(i.status));
  Text(n, "overriddenstatus", StatusName(i.overridden));
  pugi::xml_node port = n.append_child("port");
  port.append_attribute("enabled") = std::string(Bool(i.port_enabled)).c_str();
  port.text().set(static_cast<long long>(i.port));
  pugi::xml_node secure = n.append_child("securePort");
  secure.append_attribute("enabled") = std::string(Bool(i.secure_port_enabled)).c_str();
  secure.text().set(static_cast<long long>(i.secure_port));
  n.append_child("countryId").text().set(static_cast<long long>(i.country_id));
  pugi::xml_node dc = n.append_child("dataCenterInfo");
  dc.append_attribute("class") = i.dc_class.c_str();
  Text(dc, "name", i.dc_name);
  pugi::xml_node lease = n.append_child("leaseInfo");
  lease.append_child("renewalIntervalInSecs").text().set(static_cast<long long>(i.renewal_interval));
  lease.append_child("durationInSecs").text().set(static_cast<long long>(i.duration));
  lease.append_child("registrationTimestamp").text().set(static_cast<long long>(i.registration_ts));
  lease.append_child("lastRenewalTimestamp").text().set(static_cast<long long>(i.last_renewal_ts));
  lease.append_child("evictionTimestamp").text().set(static_cast<long long>(i.eviction_ts));
  lease.append_child("serviceUpTimestamp").text().set(static_cast<long long>(i.service_up_ts));
  pugi::xml_node meta = n.append_child("metadata");
  for (const auto& [k, v] : i.metadata) {
    // A key that is no XML name cannot be an element: kept out of the XML shape.
    const bool name_ok = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || c == '.';
    }) && !(k[0] >= '0' && k[0] <= '9') && k[0] != '-' && k[0] != '.';
    if (name_ok) Text(meta, k.c_str(), v);
  }
  if (!i.home_page_url.empty()) Text(n, "homePageUrl", i.home_page_url);
  if (!i.status_page_url.empty()) Text(n, "statusPageUrl", i.status_page_url);
  if (!i.health_check_url.empty()) Text(n, "healthCheckUrl", i.health_check_url);
  if (!i.vip.empty()) Text(n, "vipAddress", i.vip);
  if (!i.svip.empty()) Text(n, "secureVipAddress", i.svip);
  Text(n, "isCoordinatingDiscoveryServer", "false");
  Text(n, "lastUpdatedTimestamp", std::to_string(i.last_updated_ts));
  Text(n, "lastDirtyTimestamp", std::to_string(i.last_dirty_ts));
  if (!i.action_type.empty()) Text(n, "actionType", i.action_type);
}

void ApplicationNode(pugi::xml_node parent, const Application& app) {
  pugi::xml_node a = parent.append_child("application");
  Text(a, "name", Upper(app.name));
  for (const InstanceInfo& i : app.instances) InstanceNode(a, i);
}

struct StringWriter final : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

std::string Save(const pugi::xml_document& doc) {
  StringWriter w;
  doc.save(w, "", pugi::format_raw, pugi::encoding_utf8);
  return std::move(w.out);
}

pugi::xml_document NewDocument() {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  return doc;
}

}  // namespace

std::string ApplicationsJson(const std::vector<Application>& apps, uint64_t version,
                             std::string_view hashcode) {
  std::string out = "{\"applications\":{\"versions__delta\":";
  Str(out, std::to_string(version));
  out += ",\"apps__hashcode\":";
  Str(out, hashcode);
  out += ",\"application\":[";
  for (const Application& a : apps) {
    ApplicationObject(out, a);
    out.push_back(',');
  }
  if (out.back() == ',') out.pop_back();
  out += "]}}";
  return out;
}

std::string ApplicationsXml(const std::vector<Application>& apps, uint64_t version,
                            std::string_view hashcode) {
  pugi::xml_document doc = NewDocument();
  pugi::xml_node root = doc.append_child("applications");
  Text(root, "versions__delta", std::to_string(version));
  Text(root, "apps__hashcode", hashcode);
  for (const Application& a : apps) ApplicationNode(root, a);
  return Save(doc);
}

std::string ApplicationJson(const Application& app) {
  std::string out = "{\"application\":";
  ApplicationObject(out, app);
  out.push_back('}');
  return out;
}

std::string ApplicationXml(const Application& app) {
  pugi::xml_document doc = NewDocument();
  ApplicationNode(doc, app);
  return Save(doc);
}

std::string InstanceJson(const InstanceInfo& info) {
  std::string out = "{\"instance\":";
  InstanceObject(out, info);
  out.push_back('}');
  return out;
}

std::string InstanceXml(const InstanceInfo& info) {
  pugi::xml_document doc = NewDocument();
  InstanceNode(doc, info);
  return Save(doc);
}

}  // namespace dnsd::http::eureka
