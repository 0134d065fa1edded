// Request-body decoding. nlohmann's parser reports syntax errors by exception; they are
// caught here, inside the handler, and turned into Errors (no exception leaves this file).
#include "dnsd/http/request_json.h"

#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "registry/duration.h"

namespace dnsd::http {
namespace {

using Json = nlohmann::json;
using registry::Error;
using registry::ErrorCode;
using registry::Invalid;
using registry::Status;

std::string Quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ...".
std::string CleanParseMessage(const char* what) {
  std::string_view text(what);
  if (size_t end = text.find("] "); text.starts_with("[json.exception.") && end != text.npos) {
    text.remove_prefix(end + 2);
  }
  return "invalid JSON: " + std::string(text);
}

}  // namespace

registry::Result<Json> ParseJsonObject(std::string_view body) {
  if (body.empty()) return Json::object();
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::optional<Error> problem;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (problem) return true;
    if (depth > kMaxJsonDepth) {
      problem = Invalid("", "JSON nested deeper than " + std::to_string(kMaxJsonDepth));
    } else if (event == Json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !keys.empty()) {
      keys.pop_back();
    } else if (event == Json::parse_event_t::key && !keys.empty()) {
      std::string key = parsed.get<std::string>();
      if (!keys.back().insert(key).second) problem = Invalid(key, "duplicate field " + Quoted(key));
    }
    return true;
  };
  Json parsed;
  try {
    parsed = Json::parse(body.begin(), body.end(), callback);
  } catch (const Json::exception& e) {
    return Invalid("", CleanParseMessage(e.what()));
  }
  if (problem) return *problem;
  if (!parsed.is_object()) return Invalid("", "request body must be a JSON object");
  return parsed;
}

namespace {

Status ReadString(const Json& v, std::string_view name, std::string& out) {
  if (!v.is_string()) return Invalid(std::string(name), Quoted(name) + " must be a string");
  out = v.get<std::string>();
  return registry::Ok{};
}

Status ReadUint(const Json& v, std::string_view name, uint32_t& out) {
  if (!v.is_number_unsigned()) {  // nlohmann keeps negatives as number_integer
    return Invalid(std::string(name), Quoted(name) + " must be a non-negative integer");
  }
  uint64_t n = v.get<uint64_t>();
  if (n > std::numeric_limits<uint32_t>::max()) {
    return Invalid(std::string(name), Quoted(name) + " is out of range");
  }
  out = static_cast<uint32_t>(n);
  return registry::Ok{};
}

// A duration string ("1m30s") or a non-negative number of seconds.
Status ReadDuration(const Json& v, std::string_view name, registry::Duration& out) {
  std::optional<registry::Duration> d;
  if (v.is_string()) {
    d = registry::ParseDuration(v.get_ref<const std::string&>());
  } else if (v.is_number()) {
    d = registry::DurationFromSeconds(v.get<double>());
  } else {
    return Invalid(std::string(name),
                   Quoted(name) + " must be a duration such as \"10s\" or a number of seconds");
  }
  if (!d) {
    return Invalid(std::string(name),
                   Quoted(name) + " is not a valid duration (e.g. \"500ms\", \"10s\", \"1m30s\")");
  }
  out = *d;
  return registry::Ok{};
}

// The path names the resource; a body that names another one is a conflict (409).
Status CheckMatchesPath(const Json& v, std::string_view name, std::string_view path_value) {
  std::string value;
  if (Status s = ReadString(v, name, value); !s) return s;
  if (registry::ToLower(value) != registry::ToLower(path_value)) {
    return Error{ErrorCode::kConflict,
                 Quoted(name) + " in the body (" + Quoted(value) + ") differs from the path (" +
                     Quoted(path_value) + ")",
                 std::string(name)};
  }
  return registry::Ok{};
}

Status ReadTags(const Json& v, std::vector<std::string>& out) {
  if (!v.is_array()) return Invalid("tags", "\"tags\" must be an array of strings");
  for (const Json& tag : v) {
    if (!tag.is_string()) return Invalid("tags", "\"tags\" must be an array of strings");
    out.push_back(tag.get<std::string>());
  }
  return registry::Ok{};
}

Status ReadMeta(const Json& v, std::map<std::string, std::string>& out) {
  if (!v.is_object()) return Invalid("meta", "\"meta\" must be an object of strings");
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string())
      return Invalid("meta", "\"meta\" value of " + Quoted(key) + " must be a string");
    out[key] = value.get<std::string>();
  }
  return registry::Ok{};
}

Status ReadProto(const Json& v, registry::Proto& out) {
  std::string text;
  if (Status s = ReadString(v, "proto", text); !s) return s;
  text = registry::ToLower(text);
  if (text == "tcp") {
    out = registry::Proto::kTcp;
    return registry::Ok{};
  }
  if (text == "udp") {
    out = registry::Proto::kUdp;
    return registry::Ok{};
  }
  return Invalid("proto", "\"proto\" must be \"tcp\" or \"udp\"");
}

Status ReadAddress(const Json& v, std::optional<registry::IpAddress>& out) {
  std::string text;
  if (Status s = ReadString(v, "address", text); !s) return s;
  out = registry::IpAddress::Parse(text);
  if (!out) return Invalid("address", "\"address\" must be an IPv4 or IPv6 literal");
  return registry::Ok{};
}

Status ReadDnsTtl(const Json& v, std::optional<uint32_t>& out) {
  registry::Duration d{0};
  if (Status s = ReadDuration(v, "dns_ttl", d); !s) return s;
  if (d.count() % 1000 != 0) return Invalid("dns_ttl", "\"dns_ttl\" must be whole seconds");
  auto seconds = d.count() / 1000;
  if (seconds > std::numeric_limits<uint32_t>::max())
    return Invalid("dns_ttl", "\"dns_ttl\" is out of range");
  out = static_cast<uint32_t>(seconds);
  return registry::Ok{};
}

Status UnknownField(const std::string& key) {
  // Echo at most a short prefix of a hostile key.
  std::string shown = key.size() > 64 ? key.substr(0, 64) + "..." : key;
  return Invalid(shown, "unknown field " + Quoted(shown));
}

// One entry of "checks" (SPEC §9): exactly one of "http" and "tcp", with its numbers.
// exec checks come from the configuration file only, never over HTTP.
Status ReadCheck(const Json& v, const std::string& prefix, registry::CheckSpec& out) {
  if (!v.is_object()) return Invalid(prefix, Quoted(prefix) + " must be an object");
  bool has_target = false;
  for (const auto& [key, value] : v.items()) {
    if (value.is_null()) continue;
    const std::string name = prefix + "." + key;
    Status s = registry::Ok{};
    if (key == "http" || key == "tcp") {
      if (has_target) return Invalid(name, Quoted(prefix) + " has both \"http\" and \"tcp\"");
      has_target = true;
      out.kind = key == "http" ? registry::CheckKind::kHttp : registry::CheckKind::kTcp;
      s = ReadString(value, name, out.target);
    } else if (key == "interval") {
      s = ReadDuration(value, name, out.interval);
    } else if (key == "timeout") {
      s = ReadDuration(value, name, out.timeout);
    } else if (key == "success_before_passing") {
      s = ReadUint(value, name, out.success_before_passing);
    } else if (key == "failures_before_critical") {
      s = ReadUint(value, name, out.failures_before_critical);
    } else if (key == "id") {
      s = ReadString(value, name, out.check_id);
    } else if (key == "name") {
      s = ReadString(value, name, out.name);
    } else if (key == "exec" || key == "args") {
      s = Invalid(name, "exec checks are accepted from the configuration file only, not over HTTP");
    } else {
      s = UnknownField(name);
    }
    if (!s) return s;
  }
  if (!has_target) return Invalid(prefix, Quoted(prefix) + " needs \"http\" or \"tcp\"");
  return registry::Ok{};
}

Status ReadChecks(const Json& v, std::vector<registry::CheckSpec>& out) {
  if (!v.is_array()) return Invalid("checks", "\"checks\" must be an array of objects");
  if (v.size() > registry::kMaxChecks) {
    return Invalid("checks", "at most " + std::to_string(registry::kMaxChecks) + " checks");
  }
  out.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    registry::CheckSpec spec;
    if (Status s = ReadCheck(v[i], "checks[" + std::to_string(i) + "]", spec); !s) return s;
    out.push_back(std::move(spec));
  }
  return registry::ValidateChecks(out);
}

Status ReadInstanceField(const std::string& key, const Json& v, registry::InstanceSpec& spec,
                         std::string_view path_service, std::string_view path_id) {
  if (key == "service") return CheckMatchesPath(v, key, path_service);
  if (key == "id") return CheckMatchesPath(v, key, path_id);
  if (key == "address") return ReadAddress(v, spec.address);
  if (key == "port") return ReadUint(v, key, spec.port);
  if (key == "proto") return ReadProto(v, spec.proto);
  if (key == "tags") return ReadTags(v, spec.tags);
  if (key == "meta") return ReadMeta(v, spec.meta);
  if (key == "weight") return ReadUint(v, key, spec.weight);
  if (key == "priority") return ReadUint(v, key, spec.priority);
  if (key == "ttl") return ReadDuration(v, key, spec.ttl);
  if (key == "deregister_after") {
    registry::Duration d{0};
    if (Status s = ReadDuration(v, key, d); !s) return s;
    spec.deregister_after = d;
    return registry::Ok{};
  }
  if (key == "dns_ttl") return ReadDnsTtl(v, spec.dns_ttl);
  if (key == "checks") return ReadChecks(v, spec.checks);
  return UnknownField(key);
}

Status ReadNote(const Json& v, std::optional<std::string>& out) {
  std::string note;
  if (Status s = ReadString(v, "note", note); !s) return s;
  if (note.size() > registry::kMaxNoteLength) {
    return Invalid(
        "note", "\"note\" is longer than " + std::to_string(registry::kMaxNoteLength) + " bytes");
  }
  out = std::move(note);
  return registry::Ok{};
}

Status ReadHealth(const Json& v, registry::Health& out) {
  std::string text;
  if (Status s = ReadString(v, "status", text); !s) return s;
  std::optional<registry::Health> h = registry::ParseHealth(text);
  if (!h) {
    return Invalid("status", "\"status\" must be one of passing, warning, critical, maintenance");
  }
  out = *h;
  return registry::Ok{};
}

}  // namespace

registry::Result<registry::InstanceSpec> ParseRegisterBody(std::string_view body,
                                                           std::string_view path_service,
                                                           std::string_view path_id) {
  registry::Result<Json> parsed = ParseJsonObject(body);
  if (!parsed) return parsed.error();
  registry::InstanceSpec spec;
  spec.service = std::string(path_service);
  spec.id = std::string(path_id);
  for (const auto& [key, value] : parsed->items()) {
    if (value.is_null()) continue;  // null means "absent": optional fields keep defaults
    if (Status s = ReadInstanceField(key, value, spec, path_service, path_id); !s) return s.error();
  }
  return spec;
}

registry::Result<HeartbeatBody> ParseHeartbeatBody(std::string_view body) {
  if (body.empty()) return HeartbeatBody{};  // the usual heartbeat: no JSON work at all
  registry::Result<Json> parsed = ParseJsonObject(body);
  if (!parsed) return parsed.error();
  HeartbeatBody out;
  for (const auto& [key, value] : parsed->items()) {
    if (value.is_null()) continue;
    Status s = registry::Ok{};
    if (key == "status") {
      registry::Health h{};
      s = ReadHealth(value, h);
      if (s && h != registry::Health::kPassing && h != registry::Health::kWarning) {
        s = Invalid("status", "a heartbeat's \"status\" must be passing or warning");
      }
      out.status = h;
    } else if (key == "note") {
      s = ReadNote(value, out.note);
    } else {
      s = UnknownField(key);
    }
    if (!s) return s.error();
  }
  return out;
}

registry::Result<StatusBody> ParseStatusBody(std::string_view body) {
  registry::Result<Json> parsed = ParseJsonObject(body);
  if (!parsed) return parsed.error();
  StatusBody out;
  bool has_status = false;
  for (const auto& [key, value] : parsed->items()) {
    if (value.is_null()) continue;
    Status s = registry::Ok{};
    if (key == "status") {
      s = ReadHealth(value, out.status);
      has_status = true;
    } else if (key == "note") {
      s = ReadNote(value, out.note);
    } else {
      s = UnknownField(key);
    }
    if (!s) return s.error();
  }
  if (!has_status) return Invalid("status", "\"status\" is required");
  return out;
}

}  // namespace dnsd::http
