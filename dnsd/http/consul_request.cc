#include "dnsd/http/consul_request.h"

#include <nlohmann/json.hpp>

#include "dnsd/http/request_json.h"
#include "registry/duration.h"

namespace dnsd::http {
namespace {

using Json = nlohmann::json;
using registry::Invalid;
using registry::Status;

// "DeregisterCriticalServiceAfter" and "deregister_critical_service_after" alike.
std::string KeyOf(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c != '_') out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

Status Want(bool ok, const std::string& field, const char* what) {
  if (ok) return registry::Ok{};
  return Invalid(field, "\"" + field + "\" must be " + what);
}

Status ReadString(const Json& v, const std::string& field, std::string& out) {
  if (v.is_null()) return registry::Ok{};
  if (Status s = Want(v.is_string(), field, "a string"); !s) return s;
  out = v.get<std::string>();
  return registry::Ok{};
}

Status ReadDuration(const Json& v, const std::string& field,
                    std::optional<registry::Duration>& out) {
  if (v.is_null()) return registry::Ok{};
  std::string text;
  if (Status s = ReadString(v, field, text); !s) return s;
  if (text.empty()) return registry::Ok{};
  out = registry::ParseDuration(text);
  return Want(out.has_value(), field, "a duration such as \"10s\", \"1m\" or \"120000ms\"");
}

Status ReadStringMap(const Json& v, const std::string& field,
                     std::map<std::string, std::string>& out) {
  if (v.is_null()) return registry::Ok{};
  if (Status s = Want(v.is_object(), field, "an object of strings"); !s) return s;
  for (const auto& [key, value] : v.items()) {
    if (Status s = Want(value.is_string(), field, "an object of strings"); !s) return s;
    out[key] = value.get<std::string>();
  }
  return registry::Ok{};
}

Status ReadCount(const Json& v, const std::string& field, std::optional<uint32_t>& out) {
  if (v.is_null()) return registry::Ok{};
  bool ok = v.is_number_unsigned() && v.get<uint64_t>() <= registry::kMaxCheckThreshold;
  if (Status s = Want(ok, field, "an integer 0-100"); !s) return s;
  out = static_cast<uint32_t>(v.get<uint64_t>());
  return registry::Ok{};
}

Status ReadCheck(const Json& v, const std::string& field, ConsulCheck& out) {
  if (Status s = Want(v.is_object(), field, "an object"); !s) return s;
  for (const auto& [raw, value] : v.items()) {
    const std::string key = KeyOf(raw);
    const std::string name = field + "." + raw;
    Status s = registry::Ok{};
    if (key == "checkid" || key == "id") s = ReadString(value, name, out.id);
    else if (key == "name") s = ReadString(value, name, out.name);
    else if (key == "notes") s = ReadString(value, name, out.notes);
    else if (key == "ttl") s = ReadDuration(value, name, out.ttl);
    else if (key == "http") s = ReadString(value, name, out.http);
    else if (key == "tcp") s = ReadString(value, name, out.tcp);
    else if (key == "interval") s = ReadDuration(value, name, out.interval);
    else if (key == "timeout") s = ReadDuration(value, name, out.timeout);
    else if (key == "successbeforepassing") s = ReadCount(value, name, out.success_before_passing);
    else if (key == "failuresbeforecritical") s = ReadCount(value, name, out.failures_before_critical);
    else if (key == "deregistercriticalserviceafter") s = ReadDuration(value, name, out.deregister_after);
    else if (key == "status") {
      std::string text;
      s = ReadString(value, name, text);
      if (s && !text.empty()) {
        out.status = ParseConsulStatus(text);
        s = Want(out.status.has_value(), name, "\"passing\", \"warning\" or \"critical\"");
      }
    }
    if (!s) return s;
  }
  return registry::Ok{};
}

Status ReadTags(const Json& v, const std::string& field, std::vector<std::string>& out) {
  if (v.is_null()) return registry::Ok{};
  if (Status s = Want(v.is_array(), field, "an array of strings"); !s) return s;
  for (const Json& tag : v) {
    if (Status s = Want(tag.is_string(), field, "an array of strings"); !s) return s;
    out.push_back(tag.get<std::string>());
  }
  return registry::Ok{};
}

Status ReadPort(const Json& v, const std::string& field, uint32_t& out) {
  if (v.is_null()) return registry::Ok{};
  bool ok = v.is_number_unsigned() && v.get<uint64_t>() <= 65535;
  if (Status s = Want(ok, field, "an integer 0-65535"); !s) return s;
  out = static_cast<uint32_t>(v.get<uint64_t>());
  return registry::Ok{};
}

Status ReadWeights(const Json& v, const std::string& field, std::optional<uint32_t>& out) {
  if (v.is_null()) return registry::Ok{};
  if (Status s = Want(v.is_object(), field, "an object"); !s) return s;
  for (const auto& [raw, value] : v.items()) {
    if (KeyOf(raw) != "passing") continue;  // Warning: dnsd keeps warning instances out of DNS
    bool ok = value.is_number_unsigned() && value.get<uint64_t>() <= 65535;
    if (Status s = Want(ok, field + "." + raw, "an integer 0-65535"); !s) return s;
    out = static_cast<uint32_t>(value.get<uint64_t>());
  }
  return registry::Ok{};
}

Status ReadField(const std::string& key, const std::string& raw, const Json& value,
                 ConsulRegistration& out) {
  if (key == "name") return ReadString(value, raw, out.name);
  if (key == "id") return ReadString(value, raw, out.id);
  if (key == "tags") return ReadTags(value, raw, out.tags);
  if (key == "address") return ReadString(value, raw, out.address);
  if (key == "port") return ReadPort(value, raw, out.port);
  if (key == "meta") return ReadStringMap(value, raw, out.meta);
  if (key == "weights") return ReadWeights(value, raw, out.weight);
  if (key == "check") {
    if (value.is_null()) return registry::Ok{};
    out.checks.emplace_back();
    out.checks.back().field = raw;
    return ReadCheck(value, raw, out.checks.back());
  }
  if (key == "checks") {
    if (value.is_null()) return registry::Ok{};
    if (Status s = Want(value.is_array(), raw, "an array of checks"); !s) return s;
    for (size_t i = 0; i < value.size(); ++i) {
      out.checks.emplace_back();
      out.checks.back().field = raw + "[" + std::to_string(i) + "]";
      if (Status s = ReadCheck(value[i], out.checks.back().field, out.checks.back()); !s) return s;
    }
  }
  return registry::Ok{};  // a field dnsd does not use
}

}  // namespace

std::optional<registry::Health> ParseConsulStatus(std::string_view status) {
  if (status == "passing") return registry::Health::kPassing;
  if (status == "warning") return registry::Health::kWarning;
  if (status == "critical") return registry::Health::kCritical;
  return std::nullopt;
}

registry::Result<ConsulRegistration> ParseConsulRegistration(std::string_view body) {
  registry::Result<Json> j = ParseJsonObject(body);
  if (!j) return j.error();
  ConsulRegistration out;
  for (const auto& [raw, value] : j->items()) {
    if (Status s = ReadField(KeyOf(raw), raw, value, out); !s) return s.error();
  }
  if (out.name.empty()) return Invalid("Name", "\"Name\" is required");
  if (out.id.empty()) out.id = out.name;
  return out;
}

}  // namespace dnsd::http
