#include "dnsd/store/record.h"

#include <zlib.h>

#include <nlohmann/json.hpp>

namespace dnsd::store {
namespace {

using Json = nlohmann::json;

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

registry::Error Damage(std::string message) {
  return registry::Error{registry::ErrorCode::kInvalid, std::move(message), ""};
}

}  // namespace

std::string RecordKey(std::string_view service, std::string_view id) {
  std::string key;
  key.reserve(service.size() + 1 + id.size());
  key.append(service).append("/").append(id);
  return key;
}

std::string EncodeInstance(const registry::Instance& in) {
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
      {"index", in.index},
  };
  std::string body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  uint32_t crc = Crc(body);
  std::string out;
  out.reserve(4 + body.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(crc >> shift));
  out += body;
  return out;
}

registry::Result<registry::Instance> DecodeInstance(std::string_view record) {
  if (record.size() < 4) return Damage("record shorter than its checksum");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored = stored << 8 | static_cast<unsigned char>(record[i]);
  std::string_view body = record.substr(4);
  if (Crc(body) != stored) return Damage("checksum mismatch");
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Damage("checksum matches but the body is not a JSON object");
  try {
    registry::Instance in;
    in.service = j.at("service").get<std::string>();
    in.id = j.at("id").get<std::string>();
    auto address = registry::IpAddress::Parse(j.at("address").get<std::string>());
    auto health = registry::ParseHealth(j.at("health").get<std::string>());
    std::string proto = j.at("proto").get<std::string>();
    if (!address || !health || (proto != "tcp" && proto != "udp") ||
        !registry::IsDnsLabel(in.service) || !registry::IsDnsLabel(in.id)) {
      return Damage("a field holds a value dnsd never writes");
    }
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
    in.index = j.at("index").get<uint64_t>();
    return in;
  } catch (const Json::exception& e) {
    return Damage(std::string("a field is missing or of the wrong type: ") + e.what());
  }
}

}  // namespace dnsd::store
