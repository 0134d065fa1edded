// Eureka's InstanceInfo in and out of a registry instance, and its JSON and XML shapes
// (SPEC §11). JSON is written with nlohmann's ordered_json (Eureka's field order), XML
// with pugixml.
#include "dnsd/http/eureka_view.h"

#include <algorithm>
#include <charconv>
#include <pugixml.hpp>

#include "dnsd/http/consul_names.h"

namespace dnsd::http::eureka {
namespace {

using OJson = nlohmann::ordered_json;
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

int64_t MetaInt(const registry::Instance& in, std::string_view key, int64_t fallback) {
  const std::string* v = Meta(in, key);
  if (!v) return fallback;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  return ec == std::errc() ? out : fallback;
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
  const bool eureka = Meta(in, kMetaApp) != nullptr;
  auto text = [&](std::string_view key, std::string fallback) {
    const std::string* v = Meta(in, key);
    return v ? *v : fallback;
  };
  info.app = Upper(text(kMetaApp, in.service));
  info.instance_id = eureka ? text(kMetaId, "") : in.id;
  info.host_name = eureka ? text(kMetaHost, "") : in.id;
  info.ip_addr = in.address.ToString();
  info.status = ShownStatus(in);
  info.overridden = OverriddenStatus(in);
  info.port = in.port;
  info.secure_port = 443;
  if (const std::string* ports = Meta(in, kMetaPorts)) {
    std::vector<std::string> p = SplitCommas(*ports);
    if (p.size() == 4) {
      std::from_chars(p[0].data(), p[0].data() + p[0].size(), info.port);
      info.port_enabled = p[1] == "true";
      std::from_chars(p[2].data(), p[2].data() + p[2].size(), info.secure_port);
      info.secure_port_enabled = p[3] == "true";
    }
  }
  info.duration = std::chrono::duration_cast<std::chrono::seconds>(in.ttl).count();
  if (const std::string* lease = Meta(in, kMetaLease)) {
    std::vector<std::string> p = SplitCommas(*lease);
    if (p.size() == 2) std::from_chars(p[0].data(), p[0].data() + p[0].size(), info.renewal_interval);
  }
  info.country_id = MetaInt(in, kMetaCountry, 1);
  info.dc_name = text(kMetaDc, "MyOwn");
  info.dc_class = text(kMetaDcClass, std::string(kDefaultDataCenterClass));
  for (const auto& [k, v] : in.meta) {
    if (!k.starts_with(kMetaPrefix)) info.metadata[k] = v;
  }
  info.home_page_url = text(kMetaHome, "");
  info.status_page_url = text(kMetaStatusUrl, "");
  info.health_check_url = text(kMetaHealthUrl, "");
  info.vip = text(kMetaVip, eureka ? "" : in.service);
  info.svip = text(kMetaSvip, "");
  info.registration_ts = MetaInt(in, kMetaRegistered, 0);
  info.service_up_ts = MetaInt(in, kMetaUp, 0);
  info.last_renewal_ts = lease_renewed_ms;
  info.last_dirty_ts = MetaInt(in, kMetaDirty, info.registration_ts);
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

OJson InstanceObject(const InstanceInfo& i) {
  OJson o = OJson::object();
  if (!i.instance_id.empty()) o["instanceId"] = i.instance_id;
  o["hostName"] = i.host_name;
  o["app"] = Upper(i.app);
  o["ipAddr"] = i.ip_addr;
  o["status"] = StatusName(i.status);
  o["overriddenstatus"] = StatusName(i.overridden);
  o["port"] = {{"$", i.port}, {"@enabled", Bool(i.port_enabled)}};
  o["securePort"] = {{"$", i.secure_port}, {"@enabled", Bool(i.secure_port_enabled)}};
  o["countryId"] = i.country_id;
  o["dataCenterInfo"] = {{"@class", i.dc_class}, {"name", i.dc_name}};
  o["leaseInfo"] = {{"renewalIntervalInSecs", i.renewal_interval},
                    {"durationInSecs", i.duration},
                    {"registrationTimestamp", i.registration_ts},
                    {"lastRenewalTimestamp", i.last_renewal_ts},
                    {"evictionTimestamp", i.eviction_ts},
                    {"serviceUpTimestamp", i.service_up_ts}};
  OJson meta = OJson::object();
  for (const auto& [k, v] : i.metadata) meta[k] = v;
  o["metadata"] = std::move(meta);
  if (!i.home_page_url.empty()) o["homePageUrl"] = i.home_page_url;
  if (!i.status_page_url.empty()) o["statusPageUrl"] = i.status_page_url;
  if (!i.health_check_url.empty()) o["healthCheckUrl"] = i.health_check_url;
  if (!i.vip.empty()) o["vipAddress"] = i.vip;
  if (!i.svip.empty()) o["secureVipAddress"] = i.svip;
  o["isCoordinatingDiscoveryServer"] = "false";
  o["lastUpdatedTimestamp"] = std::to_string(i.last_updated_ts);
  o["lastDirtyTimestamp"] = std::to_string(i.last_dirty_ts);
  if (!i.action_type.empty()) o["actionType"] = i.action_type;
  return o;
}

OJson ApplicationObject(const Application& app) {
  OJson instances = OJson::array();
  for (const InstanceInfo& i : app.instances) instances.push_back(InstanceObject(i));
  return {{"name", Upper(app.name)}, {"instance", std::move(instances)}};
}

std::string Dump(const OJson& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
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
  OJson list = OJson::array();
  for (const Application& a : apps) list.push_back(ApplicationObject(a));
  OJson body = {{"applications",
                 {{"versions__delta", std::to_string(version)},
                  {"apps__hashcode", std::string(hashcode)},
                  {"application", std::move(list)}}}};
  return Dump(body);
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
  return Dump(OJson{{"application", ApplicationObject(app)}});
}

std::string ApplicationXml(const Application& app) {
  pugi::xml_document doc = NewDocument();
  ApplicationNode(doc, app);
  return Save(doc);
}

std::string InstanceJson(const InstanceInfo& info) {
  return Dump(OJson{{"instance", InstanceObject(info)}});
}

std::string InstanceXml(const InstanceInfo& info) {
  pugi::xml_document doc = NewDocument();
  InstanceNode(doc, info);
  return Save(doc);
}

}  // namespace dnsd::http::eureka
