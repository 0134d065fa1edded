#include "dnsd/cluster/layout.h"

#include <array>
#include <nlohmann/json.hpp>

#include "registry/check.h"

namespace dnsd::cluster {
namespace {

using Json = nlohmann::json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kInstances = "instances/";
constexpr std::string_view kNodes = "nodes/";

registry::Error Bad(std::string message) {
  return registry::Error{registry::ErrorCode::kInvalid, std::move(message), ""};
}

Json EncodeChecks(const std::vector<registry::CheckState>& checks) {
  Json out = Json::array();
  for (const registry::CheckState& c : checks) {
    out.push_back({{"kind", std::string(registry::CheckKindName(c.spec.kind))},
                   {"target", c.spec.target},
                   {"args", c.spec.args},
                   {"interval_ms", c.spec.interval.count()},
                   {"timeout_ms", c.spec.timeout.count()},
                   {"success_before_passing", c.spec.success_before_passing},
                   {"failures_before_critical", c.spec.failures_before_critical},
                   {"check_id", c.spec.check_id},
                   {"name", c.spec.name},
                   {"status", std::string(registry::HealthName(c.status))},
                   {"output", c.output},
                   {"last_run_ms", c.last_run_ms}});
  }
  return out;
}

// Empty, or why `list` is not what dnsd writes: a missing field, a wrong type, or a
// value no dnsd writes (each spec must pass the registry's own check).
std::string DecodeChecks(const Json& list, std::vector<registry::CheckState>& out) try {
  const std::string never = "a check holds a value dnsd never writes";
  if (!list.is_array() || list.size() > registry::kMaxChecks) return never;
  for (const Json& j : list) {
    registry::CheckState c;
    auto kind = registry::ParseCheckKind(j.at("kind").get<std::string>());
    auto status = registry::ParseHealth(j.at("status").get<std::string>());
    if (!kind || !status || *status == registry::Health::kMaintenance) return never;
    c.spec.kind = *kind;
    c.spec.target = j.at("target").get<std::string>();
    c.spec.args = j.at("args").get<std::vector<std::string>>();
    c.spec.interval = registry::Duration(j.at("interval_ms").get<int64_t>());
    c.spec.timeout = registry::Duration(j.at("timeout_ms").get<int64_t>());
    c.spec.success_before_passing = j.at("success_before_passing").get<uint32_t>();
    c.spec.failures_before_critical = j.at("failures_before_critical").get<uint32_t>();
    c.spec.check_id = j.at("check_id").get<std::string>();
    c.spec.name = j.at("name").get<std::string>();
    c.status = *status;
    c.output = j.at("output").get<std::string>();
    c.last_run_ms = j.at("last_run_ms").get<int64_t>();
    if (!registry::ValidateCheck(c.spec, "checks") || c.output.size() > registry::kMaxCheckOutput) {
      return never;
    }
    out.push_back(std::move(c));
  }
  return {};
} catch (const Json::exception& e) {
  return std::string("a check's field is missing or of the wrong type: ") + e.what();
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                 static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        n <<= 6;
        continue;
      }
      int8_t v = table[static_cast<uint8_t>(c)];
      if (v < 0 || pad > 0) return std::nullopt;
      n = n << 6 | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>(n >> 8));
    if (pad < 1) out.push_back(static_cast<char>(n));
  }
  return out;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string InstanceKey(std::string_view prefix, std::string_view service, std::string_view id) {
  std::string key(prefix);
  key.append(kInstances).append(service).append("/").append(id);
  return key;
}

std::string NodeKey(std::string_view prefix, std::string_view node) {
  std::string key(prefix);
  key.append(kNodes).append(node);
  return key;
}

ParsedKey ParseKey(std::string_view prefix, std::string_view key) {
  ParsedKey out;
  if (!key.starts_with(prefix)) return out;
  key.remove_prefix(prefix.size());
  if (key.starts_with(kInstances)) {
    key.remove_prefix(kInstances.size());
    size_t slash = key.find('/');
    if (slash == std::string_view::npos) return out;
    std::string_view service = key.substr(0, slash), id = key.substr(slash + 1);
    if (!registry::IsDnsLabel(service) || !registry::IsDnsLabel(id)) return out;
    out.kind = ParsedKey::Kind::kInstance;
    out.service = registry::ToLower(service);
    out.id = registry::ToLower(id);
  } else if (key.starts_with(kNodes) && key.size() > kNodes.size()) {
    out.kind = ParsedKey::Kind::kNode;
    out.node = std::string(key.substr(kNodes.size()));
  }
  return out;
}

std::string EncodeValue(const registry::Instance& in, std::string_view owner) {
  Json j = {
      {"service", in.service},
      {"id", in.id},
      {"address", in.address.ToString()},
      {"port", in.port},
      {"proto", std::string(registry::ProtoName(in.proto))},
      {"tags", in.tags},
      {"meta", in.meta},
      {"weight", in.weight},
      {"priority", in.priority},
      {"ttl_ms", in.ttl.count()},
      {"deregister_after_ms", in.deregister_after.count()},
      {"dns_ttl", in.dns_ttl ? Json(*in.dns_ttl) : Json(nullptr)},
      {"health", std::string(registry::HealthName(in.health))},
      {"note", in.note},
      {"owner", owner},
  };
  if (!in.checks.empty()) j["checks"] = EncodeChecks(in.checks);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

registry::Result<InstanceValue> DecodeValue(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Bad("the value is not a JSON object");
  try {
    InstanceValue out;
    registry::Instance& in = out.instance;
    in.service = j.at("service").get<std::string>();
    in.id = j.at("id").get<std::string>();
    auto address = registry::IpAddress::Parse(j.at("address").get<std::string>());
    auto health = registry::ParseHealth(j.at("health").get<std::string>());
    std::string proto = j.at("proto").get<std::string>();
    if (!address || !health || (proto != "tcp" && proto != "udp") ||
        !registry::IsDnsLabel(in.service) || !registry::IsDnsLabel(in.id)) {
      return Bad("a field holds a value dnsd never writes");
    }
    in.service = registry::ToLower(in.service);
    in.id = registry::ToLower(in.id);
    in.address = *address;
    in.health = *health;
    in.proto = proto == "udp" ? registry::Proto::kUdp : registry::Proto::kTcp;
    in.port = j.at("port").get<uint16_t>();
    in.tags = j.at("tags").get<std::vector<std::string>>();
    in.meta = j.at("meta").get<std::map<std::string, std::string>>();
    in.weight = j.at("weight").get<uint16_t>();
    in.priority = j.at("priority").get<uint16_t>();
    in.ttl = registry::Duration(j.at("ttl_ms").get<int64_t>());
    in.deregister_after = registry::Duration(j.at("deregister_after_ms").get<int64_t>());
    if (!j.at("dns_ttl").is_null()) in.dns_ttl = j.at("dns_ttl").get<uint32_t>();
    in.note = j.at("note").get<std::string>();
    out.owner = j.at("owner").get<std::string>();
    // Absent in the values of a dnsd that did not store checks: none.
    if (j.contains("checks")) {
      if (std::string e = DecodeChecks(j["checks"], in.checks); !e.empty()) return Bad(e);
    }
    return out;
  } catch (const Json::exception& e) {
    return Bad(std::string("a field is missing or of the wrong type: ") + e.what());
  }
}

registry::Instance FromSpec(const registry::InstanceSpec& spec,
                            registry::Duration default_deregister_after,
                            const registry::Instance* previous) {
  registry::Instance in;
  in.service = spec.service;
  in.id = spec.id;
  in.address = spec.address.value_or(registry::IpAddress{});
  in.port = static_cast<uint16_t>(spec.port);
  in.proto = spec.proto;
  in.tags = spec.tags;
  in.meta = spec.meta;
  in.weight = static_cast<uint16_t>(spec.weight);
  in.priority = static_cast<uint16_t>(spec.priority);
  in.ttl = spec.ttl;
  in.deregister_after = spec.deregister_after.value_or(default_deregister_after);
  in.dns_ttl = spec.dns_ttl;
  in.checks = registry::CarryChecks(spec.checks, previous ? previous->checks
                                                         : std::vector<registry::CheckState>{});
  in.health = registry::Health::kPassing;
  if (previous) {
    if (previous->health == registry::Health::kMaintenance) in.health = previous->health;
    in.note = previous->note;
  }
  return in;
}

}  // namespace dnsd::cluster
