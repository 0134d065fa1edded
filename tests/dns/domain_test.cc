// ClassifyDomainName: what each name inside D means, independent of the wire format.
#include "dnsd/dns/domain.h"

#include <catch2/catch.hpp>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using dns::DomainNameKind;
using Kind = dns::InstanceFilter::Kind;

struct ClassifyCase {
  const char* name;
  DomainNameKind kind;
  Kind filter = Kind::kAll;
  const char* tag = "";
};

TEST_CASE("ClassifyDomainName recognises every form and only existing names", "[dns]") {
  auto udp = MakeInstance("dns", "d1", "10.0.1.1", 53);
  udp.proto = registry::Proto::kUdp;
  const auto view = BuildView({WithTags(MakeInstance("web", "w1", "10.0.0.1"), {"blue"}),
                               WithHealth(WithTags(MakeInstance("web", "w2", "10.0.0.2"), {"red"}),
                                          registry::Health::kCritical),
                               udp});
  const ClassifyCase cases[] = {
      {"discovery.", DomainNameKind::kApex},
      {"ns.discovery.", DomainNameKind::kNameServer},
      {"service.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"instance.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"other.discovery.", DomainNameKind::kNone},
      {"web.service.discovery.", DomainNameKind::kService},
      {"nope.service.discovery.", DomainNameKind::kNone},
      {"_web.service.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"_nope.service.discovery.", DomainNameKind::kNone},
      {"blue.web.service.discovery.", DomainNameKind::kService, Kind::kTag, "blue"},
      {"red.web.service.discovery.", DomainNameKind::kService, Kind::kTag, "red"},
      {"green.web.service.discovery.", DomainNameKind::kNone},
      {"_web._tcp.service.discovery.", DomainNameKind::kService, Kind::kProto},
      {"_web._udp.service.discovery.", DomainNameKind::kNone},
      {"_dns._udp.service.discovery.", DomainNameKind::kService, Kind::kProto},
      {"_web._blue.service.discovery.", DomainNameKind::kService, Kind::kTag, "blue"},
      {"_web.blue.service.discovery.", DomainNameKind::kNone},
      {"blue._web.service.discovery.", DomainNameKind::kNone},
      {"x.blue.web.service.discovery.", DomainNameKind::kNone},
      {"web.instance.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"nope.instance.discovery.", DomainNameKind::kNone},
      {"w2.web.instance.discovery.", DomainNameKind::kInstance},
      {"w3.web.instance.discovery.", DomainNameKind::kNone},
      {"a.w1.web.instance.discovery.", DomainNameKind::kNone},
      {"a.b.c.d.e.discovery.", DomainNameKind::kNone},
  };
  const dns::Name domain = *dns::Name::FromText("discovery.");
  for (const ClassifyCase& c : cases) {
    CAPTURE(c.name);
    const dns::Name name = *dns::Name::FromText(c.name);
    size_t above = 0;
    REQUIRE(name.IsAtOrBelow(domain, &above));
    const dns::DomainName dn = dns::ClassifyDomainName(name, above, *view);
    CHECK(dn.kind == c.kind);
    if (c.kind == DomainNameKind::kService) {
      CHECK(dn.filter.kind == c.filter);
      CHECK(dn.filter.tag == c.tag);
    }
    if (c.kind == DomainNameKind::kInstance) CHECK(dn.instance->id == "w2");
  }
}

}  // namespace
}  // namespace dnsd::testing
