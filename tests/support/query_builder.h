// Hand-built DNS query packets for tests, so that a test controls case, flags and
// malformed bytes (no DNS library builds what it would refuse to send). Header-only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace dnsd::testing {

struct QueryOptions {
  uint16_t qclass = 1;
  uint16_t id = 0x1234;
  bool rd = true;
  uint8_t opcode = 0;
  bool edns = false;
  uint16_t udp_size = 4096;
  uint8_t edns_version = 0;
};

inline void Put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// Wire labels of a presentation name, case preserved ("Web.Service.Discovery.").
inline void PutName(std::vector<uint8_t>& out, std::string_view name) {
  while (!name.empty() && name != ".") {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
}

inline void PutOpt(std::vector<uint8_t>& out, uint16_t udp_size, uint8_t version) {
  out.push_back(0);  // root
  Put16(out, 41);
  Put16(out, udp_size);
  out.push_back(0);  // extended rcode
  out.push_back(version);
  Put16(out, 0);  // flags
  Put16(out, 0);  // rdlen
}

inline std::vector<uint8_t> BuildQuery(std::string_view name, uint16_t qtype,
                                       const QueryOptions& o = {}) {
  std::vector<uint8_t> q;
  Put16(q, o.id);
  Put16(q, static_cast<uint16_t>((o.opcode << 11) | (o.rd ? 0x0100 : 0)));
  Put16(q, 1);
  Put16(q, 0);
  Put16(q, 0);
  Put16(q, o.edns ? 1 : 0);
  PutName(q, name);
  Put16(q, qtype);
  Put16(q, o.qclass);
  if (o.edns) PutOpt(q, o.udp_size, o.edns_version);
  return q;
}

}  // namespace dnsd::testing
