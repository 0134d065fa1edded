#include "dnsd/config/agent_services.h"

#include <charconv>
#include <set>

namespace dnsd::config {

namespace {

using std::string;

// Reads one scalar; false (reported) when the node is not one.
bool Scalar(const YAML::Node& node, int line, const string& path, Reporter& rep, string& out) {
  if (!node.IsScalar()) {
    rep.Add(LineOf(node, line), path, "must be a single value");
    return false;
  }
  out = node.Scalar();
  return true;
}

bool Integer(const YAML::Node& node, int line, const string& path, uint32_t min, uint32_t max,
             Reporter& rep, uint32_t& out) {
  string text;
  if (!Scalar(node, line, path, rep, text)) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    rep.Add(LineOf(node, line), path,
            "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
    return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool ReadDuration(const YAML::Node& node, int line, const string& path, Reporter& rep,
                  registry::Duration& out) {
  string text;
  if (!Scalar(node, line, path, rep, text)) return false;
  auto d = ParseDuration(text);
  if (!d) {
    rep.Add(LineOf(node, line), path, "must be a duration such as 500ms, 10s or 1m");
    return false;
  }
  out = *d;
  return true;
}

bool StringList(const YAML::Node& node, int line, const string& path, Reporter& rep,
                std::vector<string>& out) {
  if (!node.IsSequence()) {
    rep.Add(LineOf(node, line), path, "must be a list of strings");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    string item;
    ok = Scalar(node[i], line, path + "[" + std::to_string(i) + "]", rep, item) && ok;
    out.push_back(std::move(item));
  }
  return ok;
}

// Walks a map's entries: each key once, and only the known ones.
template <typename OnKey>
bool Fields(const YAML::Node& map, int line, const string& path, std::string_view known,
            Reporter& rep, OnKey on_key) {
  if (!map.IsMap()) {
    rep.Add(LineOf(map, line), path, "must be a map of keys (" + string(known) + ")");
    return false;
  }
  bool ok = true;
  std::set<string> seen;
  for (const auto& entry : map) {
    int key_line = LineOf(entry.first, line);
    string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    string at = path + "." + key;
    if (!seen.insert(key).second) {
      rep.Add(key_line, at, "given twice");
      ok = false;
    } else if (!on_key(key, entry.second, key_line, at)) {
      ok = false;
    }
  }
  return ok;
}

bool ReadCheck(const YAML::Node& node, int line, const string& path, Reporter& rep,
               registry::CheckSpec& check) {
  constexpr std::string_view kKnown =
      "http, tcp, exec, interval, timeout, success_before_passing, failures_before_critical, name";
  int kinds = 0;
  bool ok = Fields(node, line, path, kKnown, rep,
                   [&](const string& key, const YAML::Node& v, int at_line, const string& at) {
    if (key == "http" || key == "tcp") {
      ++kinds;
      check.kind = key == "http" ? registry::CheckKind::kHttp : registry::CheckKind::kTcp;
      return Scalar(v, at_line, at, rep, check.target);
    }
    if (key == "exec") {
      ++kinds;
      check.kind = registry::CheckKind::kExec;
      if (!StringList(v, at_line, at, rep, check.args)) return false;
      if (check.args.empty()) {
        rep.Add(LineOf(v, at_line), at, "must name a program: [\"/path/to/program\", \"arg\", ...]");
        return false;
      }
      return true;
    }
    if (key == "interval") return ReadDuration(v, at_line, at, rep, check.interval);
    if (key == "timeout") return ReadDuration(v, at_line, at, rep, check.timeout);
    if (key == "success_before_passing") {
      return Integer(v, at_line, at, 1, registry::kMaxCheckThreshold, rep,
                     check.success_before_passing);
    }
    if (key == "failures_before_critical") {
      return Integer(v, at_line, at, 1, registry::kMaxCheckThreshold, rep,
                     check.failures_before_critical);
    }
    if (key == "name") return Scalar(v, at_line, at, rep, check.name);
    rep.Add(at_line, at, "unknown key (known: " + string(kKnown) + ")");
    return false;
  });
  if (ok && kinds != 1) {
    rep.Add(LineOf(node, line), path, "needs exactly one of http, tcp and exec");
    return false;
  }
  return ok;
}

bool ReadService(const YAML::Node& node, int line, const string& path, Reporter& rep,
                 AgentService& service) {
  constexpr std::string_view kKnown = "name, id, address, port, tags, meta, checks";
  registry::InstanceSpec& spec = service.spec;
  service.line = LineOf(node, line);
  bool ok = Fields(node, line, path, kKnown, rep,
                   [&](const string& key, const YAML::Node& v, int at_line, const string& at) {
    if (key == "name") return Scalar(v, at_line, at, rep, spec.service);
    if (key == "id") return Scalar(v, at_line, at, rep, spec.id);
    if (key == "address") {
      string text;
      if (!Scalar(v, at_line, at, rep, text)) return false;
      spec.address = registry::IpAddress::Parse(text);
      if (!spec.address) rep.Add(LineOf(v, at_line), at, "must be an IPv4 or IPv6 address");
      return spec.address.has_value();
    }
    if (key == "port") return Integer(v, at_line, at, 1, 65535, rep, spec.port);
    if (key == "tags") return StringList(v, at_line, at, rep, spec.tags);
    if (key == "meta") {
      if (!v.IsMap()) {
        rep.Add(LineOf(v, at_line), at, "must be a map of strings");
        return false;
      }
      for (const auto& m : v) {
        string name, value;
        if (!Scalar(m.first, at_line, at, rep, name) ||
            !Scalar(m.second, at_line, at + "." + name, rep, value)) {
          return false;
        }
        spec.meta[name] = value;
      }
      return true;
    }
    if (key == "checks") {
      if (!v.IsSequence()) {
        rep.Add(LineOf(v, at_line), at, "must be a list of checks");
        return false;
      }
      bool all = true;
      for (size_t i = 0; i < v.size(); ++i) {
        registry::CheckSpec check;
        all = ReadCheck(v[i], at_line, at + "[" + std::to_string(i) + "]", rep, check) && all;
        spec.checks.push_back(std::move(check));
      }
      return all;
    }
    rep.Add(at_line, at, "unknown key (known: " + string(kKnown) + ")");
    return false;
  });
  if (!ok) return false;
  if (spec.service.empty()) {
    rep.Add(service.line, path + ".name", "is required");
    return false;
  }
  if (spec.port == 0) {
    rep.Add(service.line, path + ".port", "is required");
    return false;
  }
  // The registry's own rules, with the defaults the server fills in later standing in.
  registry::InstanceSpec probe = spec;
  if (probe.id.empty()) probe.id = "id";
  if (!probe.address) probe.address = registry::IpAddress::Parse("127.0.0.1");
  if (registry::Status s = registry::Validate(probe); !s) {
    string field = s.error().field.empty() ? "" : "." + s.error().field;
    if (field == ".service") field = ".name";
    rep.Add(service.line, path + field, s.error().message);
    return false;
  }
  spec.service = registry::ToLower(spec.service);
  spec.id = registry::ToLower(spec.id);
  return true;
}

}  // namespace

void ApplyAgentServices(const YAML::Node& list, int key_line, Config& cfg, Reporter& rep) {
  const string path(kAgentServicesKey);
  if (list.IsNull()) return;
  if (!list.IsSequence()) {
    rep.Add(LineOf(list, key_line), path, "must be a list of services ({name, port, checks, ...})");
    return;
  }
  std::vector<AgentService> services;
  std::set<std::pair<string, string>> ids;
  bool ok = true;
  for (size_t i = 0; i < list.size(); ++i) {
    AgentService service;
    string at = path + "[" + std::to_string(i) + "]";
    if (!ReadService(list[i], key_line, at, rep, service)) {
      ok = false;
      continue;
    }
    if (!service.spec.id.empty() && !ids.emplace(service.spec.service, service.spec.id).second) {
      rep.Add(service.line, at + ".id", "\"" + service.spec.id + "\" is given twice for " +
                                            service.spec.service);
      ok = false;
    }
    services.push_back(std::move(service));
  }
  if (ok) cfg.agent.services = std::move(services);
}

}  // namespace dnsd::config
