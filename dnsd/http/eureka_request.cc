// Eureka's register body (SPEC §11), in JSON (nlohmann, through ParseJsonObject) or XML
// (pugixml), read into one InstanceInfo. Both read every value as text first, as Eureka's
// codecs accept "8080" and 8080, "true" and true alike.
#include <cmath>
#include <charconv>
#include <pugixml.hpp>
#include <string>

#include "dnsd/http/eureka_view.h"
#include "dnsd/http/request_json.h"

namespace dnsd::http::eureka {
namespace {

using registry::Invalid;
using Check = registry::Status;
using StatusCode = eureka::Status;

std::optional<int64_t> ParseInt(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  const std::string l = registry::ToLower(s);
  if (l == "true") return true;
  if (l == "false") return false;
  return std::nullopt;
}

registry::Error Bad(const std::string& field, const std::string& what) {
  return Invalid(field, "\"" + field + "\" " + what);
}

Check SetInt(int64_t& out, std::string_view text, const std::string& field) {
  std::optional<int64_t> v = ParseInt(text);
  if (!v) return Bad(field, "must be a number");
  out = *v;
  return registry::Ok{};
}

Check SetStatusField(StatusCode& out, std::string_view text, const std::string& field) {
  std::optional<StatusCode> s = ParseStatus(text);
  if (!s) return Bad(field, "must be UP, DOWN, STARTING, OUT_OF_SERVICE or UNKNOWN");
  out = *s;
  return registry::Ok{};
}

// A top-level field given as text; fields dnsd does not read are ignored.
Check SetText(InstanceInfo& info, std::string_view key, std::string text) {
  const std::string field(key);
  if (key == "instanceId") info.instance_id = std::move(text);
  else if (key == "hostName") info.host_name = std::move(text);
  else if (key == "app") info.app = std::move(text);
  else if (key == "ipAddr") info.ip_addr = std::move(text);
  else if (key == "status") return SetStatusField(info.status, text, field);
  else if (key == "overriddenstatus" || key == "overriddenStatus") {
    return SetStatusField(info.overridden, text, field);
  } else if (key == "countryId") return SetInt(info.country_id, text, field);
  else if (key == "homePageUrl") info.home_page_url = std::move(text);
  else if (key == "statusPageUrl") info.status_page_url = std::move(text);
  else if (key == "healthCheckUrl") info.health_check_url = std::move(text);
  else if (key == "vipAddress") info.vip = std::move(text);
  else if (key == "secureVipAddress") info.svip = std::move(text);
  else if (key == "lastDirtyTimestamp") return SetInt(info.last_dirty_ts, text, field);
  return registry::Ok{};
}

Check SetPort(int64_t& port, bool& enabled, std::optional<std::string> value,
               std::optional<std::string> enabled_text, const std::string& field) {
  if (value) {
    if (Check s = SetInt(port, *value, field); !s) return s;
  }
  if (enabled_text) {
    std::optional<bool> b = ParseBool(*enabled_text);
    if (!b) return Bad(field + ".@enabled", "must be true or false");
    enabled = *b;
  }
  return registry::Ok{};
}

Check SetLease(InstanceInfo& info, std::string_view key, std::string_view text) {
  const std::string field = "leaseInfo." + std::string(key);
  if (key == "renewalIntervalInSecs") return SetInt(info.renewal_interval, text, field);
  if (key == "durationInSecs") return SetInt(info.duration, text, field);
  return registry::Ok{};
}

// ---- JSON ----

// A scalar as text; nullopt for null. Objects and arrays are errors.
registry::Result<std::optional<std::string>> JsonText(const Json& v, const std::string& field) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(v.get<std::string>());
  if (v.is_boolean()) return std::optional<std::string>(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer() || v.is_number_unsigned()) return std::optional<std::string>(v.dump());
  if (v.is_number_float()) {
    const double d = v.get<double>();
    // 8080.0 reads as 8080; casting a double outside int64's range is undefined, so
    // those (and fractions) keep JSON's own text, which the field's check refuses.
    if (std::isfinite(d) && std::fabs(d) < 9.2e18 && d == std::trunc(d)) {
      return std::optional<std::string>(std::to_string(static_cast<int64_t>(d)));
    }
    return std::optional<std::string>(v.dump());
  }
  return Bad(field, "must be a string or a number");
}

Check JsonPort(const Json& v, int64_t& port, bool& enabled, const std::string& field) {
  if (!v.is_object()) {  // a bare number (eureka-js-client's examples write port: 8080)
    registry::Result<std::optional<std::string>> t = JsonText(v, field);
    if (!t) return t.error();
    return SetPort(port, enabled, *t, std::nullopt, field);
  }
  std::optional<std::string> value, en;
  for (const auto& [k, x] : v.items()) {
    if (k != "$" && k != "@enabled") continue;
    registry::Result<std::optional<std::string>> t = JsonText(x, k == "$" ? field : field + ".@enabled");
    if (!t) return t.error();
    (k == "$" ? value : en) = *t;
  }
  return SetPort(port, enabled, value, en, field);
}

Check JsonField(InstanceInfo& info, const std::string& key, const Json& v) {
  if (key == "port") return JsonPort(v, info.port, info.port_enabled, key);
  if (key == "securePort") return JsonPort(v, info.secure_port, info.secure_port_enabled, key);
  if (key == "leaseInfo" || key == "dataCenterInfo" || key == "metadata") {
    if (v.is_null()) return registry::Ok{};
    if (!v.is_object()) return Bad(key, "must be an object");
    for (const auto& [k, x] : v.items()) {
      if (key == "dataCenterInfo" && k == "metadata") continue;  // AWS details: not kept
      // Eureka's Java codec writes an empty map as {"@class":"java.util.Collections$EmptyMap"}.
      if (key == "metadata" && k.starts_with('@')) continue;
      registry::Result<std::optional<std::string>> t = JsonText(x, key + "." + k);
      if (!t) return t.error();
      if (!*t) continue;
      if (key == "leaseInfo") {
        if (Check s = SetLease(info, k, **t); !s) return s;
      } else if (key == "metadata") {
        info.metadata[k] = std::move(**t);
      } else if (k == "@class") {
        info.dc_class = std::move(**t);
      } else if (k == "name") {
        info.dc_name = std::move(**t);
      }
    }
    return registry::Ok{};
  }
  registry::Result<std::optional<std::string>> t = JsonText(v, key);
  if (!t) {
    // Fields dnsd does not read may hold anything.
    static constexpr std::string_view kRead[] = {
        "instanceId", "hostName", "app", "ipAddr", "status", "overriddenstatus",
        "overriddenStatus", "countryId", "homePageUrl", "statusPageUrl", "healthCheckUrl",
        "vipAddress", "secureVipAddress", "lastDirtyTimestamp"};
    for (std::string_view r : kRead) {
      if (key == r) return t.error();
    }
    return registry::Ok{};
  }
  if (!*t) return registry::Ok{};
  return SetText(info, key, std::move(**t));
}

// ---- XML ----

std::optional<std::string> XmlAttr(const pugi::xml_node& n, const char* name) {
  pugi::xml_attribute a = n.attribute(name);
  if (!a) return std::nullopt;
  return std::string(a.value());
}

Check XmlField(InstanceInfo& info, const pugi::xml_node& n) {
  const std::string key = n.name();
  if (key == "port" || key == "securePort") {
    const bool secure = key == "securePort";
    std::optional<std::string> value;
    if (n.first_child()) value = std::string(n.child_value());
    return SetPort(secure ? info.secure_port : info.port,
                   secure ? info.secure_port_enabled : info.port_enabled, value,
                   XmlAttr(n, "enabled"), key);
  }
  if (key == "leaseInfo" || key == "dataCenterInfo" || key == "metadata") {
    if (key == "dataCenterInfo") {
      if (std::optional<std::string> c = XmlAttr(n, "class")) info.dc_class = *c;
    }
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string k = c.name();
      if (key == "leaseInfo") {
        if (Check s = SetLease(info, k, c.child_value()); !s) return s;
      } else if (key == "metadata") {
        info.metadata[k] = c.child_value();
      } else if (k == "name") {
        info.dc_name = c.child_value();
      }
    }
    return registry::Ok{};
  }
  return SetText(info, key, n.child_value());
}

}  // namespace

registry::Result<InstanceInfo> ParseInstanceJson(std::string_view body) {
  registry::Result<Json> doc = ParseJsonObject(body);
  if (!doc) return doc.error();
  auto it = doc->find("instance");
  if (it == doc->end() || !it->is_object()) {
    return Bad("instance", "is required: the body is {\"instance\":{...}}");
  }
  InstanceInfo info;
  for (const auto& [key, value] : it->items()) {
    if (Check s = JsonField(info, key, value); !s) return s.error();
  }
  return info;
}

registry::Result<InstanceInfo> ParseInstanceXml(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return Invalid("", std::string("malformed XML: ") + parsed.description() + " at offset " +
                           std::to_string(parsed.offset));
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "instance") {
    return Bad("instance", "is required: the body is <instance>...</instance>");
  }
  InstanceInfo info;
  for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    if (Check s = XmlField(info, n); !s) return s.error();
  }
  return info;
}

}  // namespace dnsd::http::eureka
