// Consul's view of registry instances and its JSON shapes (consul_view.h).
#include "dnsd/http/consul_view.h"

#include <algorithm>
#include <string>
#include <vector>

#include "dnsd/http/consul_names.h"

namespace dnsd::http::consul {

namespace {

bool IsReserved(std::string_view key) {
  return key == kMetaName || key == kMetaId || key == kMetaTags || key == kMetaCheck ||
         key == kMetaCheckName;
}

std::string MetaOr(const registry::Instance& in, std::string_view key, std::string_view fallback) {
  auto it = in.meta.find(std::string(key));
  return it == in.meta.end() ? std::string(fallback) : it->second;
}

std::string NodeAddress(const RouterOptions& o) {
  if (o.http_listeners.empty()) return "127.0.0.1";
  std::string a = o.http_listeners.front();
  a = a.substr(0, a.rfind(':'));
  if (a.size() > 1 && a.front() == '[') a = a.substr(1, a.size() - 2);
  return a;
}

}  // namespace

ConsulView ViewOf(const registry::Instance& in) {
  ConsulView v;
  v.name = MetaOr(in, kMetaName, in.service);
  v.id = MetaOr(in, kMetaId, in.id);
  v.check_id = MetaOr(in, kMetaCheck, "service:" + v.id);
  v.check_name = MetaOr(in, kMetaCheckName, "Service '" + v.name + "' check");
  auto tags = in.meta.find(std::string(kMetaTags));
  v.tags = tags != in.meta.end() ? Json::parse(tags->second, nullptr, false) : Json(in.tags);
  if (!v.tags.is_array()) v.tags = Json(in.tags);
  v.meta = Json::object();
  for (const auto& [key, value] : in.meta) {
    if (!IsReserved(key)) v.meta[key] = value;
  }
  return v;
}

std::string_view ConsulStatus(registry::Health h) {
  switch (h) {
    case registry::Health::kPassing:
      return "passing";
    case registry::Health::kWarning:
      return "warning";
    default:
      return "critical";
  }
}

HttpResponse ConsulJson(int status, const Json& body, uint64_t index) {
  HttpResponse r = internal::JsonResponse(status, body, index);
  r.headers.emplace_back("X-Consul-Index", std::to_string(std::max<uint64_t>(index, 1)));
  r.headers.emplace_back("X-Consul-KnownLeader", "true");
  r.headers.emplace_back("X-Consul-LastContact", "0");
  return r;
}

HttpResponse ConsulError(int status, std::string_view message, std::string_view field,
                         uint64_t index) {
  HttpResponse r = internal::ErrorResponse(status, message, field, index);
  r.headers.emplace_back("X-Consul-Index", std::to_string(std::max<uint64_t>(index, 1)));
  return r;
}

Json NodeJson(const RouterOptions& o) {
  const std::string address = NodeAddress(o);
  return {{"ID", ""},
          {"Node", o.node},
          {"Address", address},
          {"Datacenter", o.datacenter},
          {"TaggedAddresses", {{"lan", address}, {"wan", address}}},
          {"Meta", Json::object()}};
}

Json AgentServiceJson(const registry::Instance& in, const ConsulView& v, const RouterOptions& o) {
  return {{"ID", v.id},
          {"Service", v.name},
          {"Tags", v.tags},
          {"Meta", v.meta},
          {"Port", in.port},
          {"Address", in.address.ToString()},
          {"Weights", {{"Passing", in.weight}, {"Warning", 1}}},
          {"EnableTagOverride", false},
          {"Datacenter", o.datacenter}};
}

// The service's check, or Consul's maintenance check while in maintenance.
Json ChecksJson(const registry::Instance& in, const ConsulView& v, const RouterOptions& o) {
  Json checks = Json::array();
  auto check = [&](std::string id, std::string name, std::string_view status, std::string notes,
                   std::string output, std::string_view type) {
    checks.push_back({{"Node", o.node},
                      {"CheckID", std::move(id)},
                      {"Name", std::move(name)},
                      {"Status", status},
                      {"Notes", std::move(notes)},
                      {"Output", std::move(output)},
                      {"ServiceID", v.id},
                      {"ServiceName", v.name},
                      {"ServiceTags", v.tags},
                      {"Type", type}});
  };
  if (in.health == registry::Health::kMaintenance) {
    check("_service_maintenance:" + v.id, "Service Maintenance Mode", "critical", in.note,
          in.note, "");
    return checks;
  }
  // The lease's check (a TTL check), or the one a service without checks has.
  if (in.ttl.count() > 0 || in.checks.empty()) {
    check(v.check_id, v.check_name, ConsulStatus(in.own_health), "", in.note,
          in.ttl.count() > 0 ? "ttl" : "");
  }
  for (const registry::CheckState& c : in.checks) {
    check(c.spec.check_id, c.spec.name, ConsulStatus(c.status), "", c.output,
          registry::CheckKindName(c.spec.kind));
  }
  return checks;
}

bool HasAllTags(const ConsulView& v, const Params& p) {
  for (const auto& [key, value] : p.all) {
    if (key != "tag") continue;
    if (std::find(v.tags.begin(), v.tags.end(), Json(value)) == v.tags.end()) return false;
  }
  return true;
}

const registry::Instance* FindById(const registry::Registry& registry, std::string_view id) {
  const std::string label = ConsulLabel(id);
  const registry::Instance* found = nullptr;
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    if (found) break;
    found = registry.Find(s.name, label);
  }
  return found;
}

namespace {

// The instance's check of that id: kLeaseCheck for the lease's (or the one a service
// without checks has), else the number of its registry check.
std::optional<size_t> CheckOf(const registry::Instance& in, std::string_view check) {
  for (size_t n = 0; n < in.checks.size(); ++n) {
    if (in.checks[n].spec.check_id == check) return n;
  }
  if ((in.ttl.count() > 0 || in.checks.empty()) && ViewOf(in).check_id == check) return kLeaseCheck;
  return std::nullopt;
}

}  // namespace

const registry::Instance* FindByCheck(const registry::Registry& registry, std::string_view check,
                                      size_t* n) {
  size_t ignored = 0;
  size_t& out = n ? *n : ignored;
  if (check.starts_with("service:")) {  // service:<id> or service:<id>:<n>
    std::string_view id = check.substr(8);
    const registry::Instance* in = FindById(registry, id);
    if (!in && id.find(':') != id.npos) in = FindById(registry, id.substr(0, id.rfind(':')));
    if (in) {
      if (std::optional<size_t> k = CheckOf(*in, check)) return out = *k, in;
    }
  }
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    for (const registry::Instance* in : registry.Instances(s.name)) {
      if (std::optional<size_t> k = CheckOf(*in, check)) return out = *k, in;
    }
  }
  return nullptr;
}

}  // namespace dnsd::http::consul
