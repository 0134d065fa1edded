// The fixed world the DNS fuzz targets answer in: a few services (IPv4 and IPv6,
// tags, every health, weights, port 0, one large enough to truncate over UDP), a static
// zone, and two configurations. Header-only; built once per process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dnsd/dns/answer.h"
#include "registry/instance.h"
#include "registry/snapshot.h"
#include "tests/support/view_builder.h"
#include "zones/zone.h"

namespace dnsd::fuzz {

inline std::vector<registry::Instance> WorldInstances(int variant) {
  using testing::MakeInstance;
  std::vector<registry::Instance> out;
  registry::Instance a = MakeInstance("web", "web-1", "10.0.0.1", 8080);
  a.tags = {"primary", "v1"};
  out.push_back(a);
  registry::Instance b = MakeInstance("web", "web-2", "2001:db8::2", 8081);
  b.tags = {"v1"};
  b.weight = 5;
  b.priority = 2;
  out.push_back(b);
  registry::Instance c = MakeInstance("web", "web-3", "10.0.0.3", 8080);
  c.health = variant == 1 ? registry::Health::kPassing : registry::Health::kWarning;
  out.push_back(c);
  registry::Instance d = MakeInstance("web", "web-4", "10.0.0.4", 8080);
  d.health = registry::Health::kCritical;
  out.push_back(d);
  registry::Instance e = MakeInstance("db", "db-1", "10.0.1.1", 0);  // no SRV
  e.dns_ttl = 30;
  out.push_back(e);
  registry::Instance m = MakeInstance("db", "db-2", "10.0.1.2", 5432);
  m.health = registry::Health::kMaintenance;
  out.push_back(m);
  // Enough SRV + glue to overflow 512 bytes over UDP.
  const int many = variant == 2 ? 40 : 60;
  for (int i = 0; i < many; ++i) {
    out.push_back(MakeInstance("big", "big-instance-number-" + std::to_string(i),
                               "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                               static_cast<uint16_t>(9000 + i)));
  }
  if (variant == 3) out.push_back(MakeInstance("new", "new-1", "10.2.0.1", 80));
  registry::Instance u = MakeInstance("udp-svc", "u1", "fd00::1", 53);
  u.proto = registry::Proto::kUdp;
  out.push_back(u);
  return out;
}

// variant 0 is the base world; 1-3 each change one thing (a health, a service's size,
// a new service), as a publish would.
inline std::shared_ptr<const registry::RegistryView> WorldView(int variant) {
  return testing::BuildView(WorldInstances(variant),
                            {.index = static_cast<uint64_t>(variant + 1), .loaded = true});
}

inline constexpr char kWorldZone[] = R"($ORIGIN example.com.
$TTL 300
@       IN SOA ns1 hostmaster 1 3600 600 86400 60
@       IN NS  ns1
ns1     IN A   192.0.2.53
www     IN A   192.0.2.80
www     IN AAAA 2001:db8::80
alias   IN CNAME www
mail    IN MX  10 www
txt     IN TXT "hello" "world"
_sip._tcp IN SRV 1 2 5060 www
api     IN CNAME web.service.discovery.
)";

inline std::shared_ptr<const zones::ZoneSet> WorldZones() {
  zones::LoadResult r = zones::ParseMasterFile(kWorldZone, "example.com.zone", "discovery.");
  if (!r.zones) __builtin_trap();
  return r.zones;
}

inline dns::AnswerConfig WorldConfig(bool forwarding) {
  dns::AnswerConfig c;
  c.chaos = true;
  c.forwarding = forwarding;
  c.include_warning = !forwarding;
  c.udp_answer_limit = forwarding ? 3 : 0;
  c.advertise = {*registry::IpAddress::Parse("127.0.0.1"), *registry::IpAddress::Parse("::1")};
  return c;
}

}  // namespace dnsd::fuzz
