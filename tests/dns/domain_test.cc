// ClassifyDomainName: what each name inside D means, independent of the wire format.
#include "dnsd/dns/domain.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

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
      {"_tcp.service.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"_udp.service.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"_blue.service.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"_red.service.discovery.", DomainNameKind::kEmptyNonTerminal},  // any health
      {"_web.service.discovery.", DomainNameKind::kNone},  // no instance is tagged "web"
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
      // Consul's datacenter form (the view is classified with datacenter "dc1").
      {"dc1.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"service.dc1.discovery.", DomainNameKind::kEmptyNonTerminal},
      {"web.service.dc1.discovery.", DomainNameKind::kService},
      {"blue.web.service.dc1.discovery.", DomainNameKind::kService, Kind::kTag, "blue"},
      {"_web._tcp.service.dc1.discovery.", DomainNameKind::kService, Kind::kProto},
      {"nope.service.dc1.discovery.", DomainNameKind::kNone},
      {"web.service.dc2.discovery.", DomainNameKind::kNone},
      {"dc2.discovery.", DomainNameKind::kNone},
      {"w2.web.instance.dc1.discovery.", DomainNameKind::kNone},
      {"x.blue.web.service.dc1.discovery.", DomainNameKind::kNone},
  };
  const wire::Name domain = *wire::Name::FromText("discovery.");
  for (const ClassifyCase& c : cases) {
    CAPTURE(c.name);
    const wire::Name name = *wire::Name::FromText(c.name);
    size_t above = 0;
    REQUIRE(name.IsAtOrBelow(domain, &above));
    const dns::DomainName dn = dns::ClassifyDomainName(name, above, *view, "dc1");
    CHECK(dn.kind == c.kind);
    if (c.kind == DomainNameKind::kService) {
      CHECK(dn.filter.kind == c.filter);
      CHECK(dn.filter.tag == c.tag);
    }
    if (c.kind == DomainNameKind::kInstance) CHECK(dn.instance->id == "w2");
  }
}

// An empty non-terminal exists exactly when a name below it exists (RFC 8020): each
// parent is checked against every child name the forms allow, in several registries.
struct EntCase {
  std::string parent;
  std::vector<std::string> children;  // every name of a form one label below it
};

std::vector<EntCase> EntCases(const std::vector<std::string>& services,
                              const std::vector<std::string>& ids,
                              const std::vector<std::string>& labels) {
  std::vector<EntCase> cases;
  for (const std::string& label : labels) {  // _<label>.service.D above _<svc>._<label>
    EntCase c{"_" + label + ".service.discovery.", {}};
    for (const std::string& svc : services) c.children.push_back("_" + svc + "." + c.parent);
    cases.push_back(c);
  }
  for (const std::string& svc : services) {  // <svc>.instance.D above <id>.<svc>
    EntCase c{svc + ".instance.discovery.", {}};
    for (const std::string& id : ids) c.children.push_back(id + "." + c.parent);
    cases.push_back(c);
  }
  return cases;
}

TEST_CASE("empty non-terminals exist exactly when a name below them exists", "[dns]") {
  auto udp = MakeInstance("dns", "d1", "10.0.1.1", 53);
  udp.proto = registry::Proto::kUdp;
  auto critical = WithHealth(WithTags(MakeInstance("web", "w2", "10.0.0.2"), {"red"}),
                             registry::Health::kCritical);
  const std::vector<std::vector<registry::Instance>> registries = {
      {},         {WithTags(MakeInstance("web", "w1", "10.0.0.1"), {"blue"}), critical, udp}, {udp},
      {critical}, {WithTags(MakeInstance("tcp", "t1", "10.0.0.3"), {"web", "udp"})},
  };
  const std::vector<std::string> services = {"web", "dns", "tcp", "nope"};
  const std::vector<std::string> ids = {"w1", "w2", "d1", "t1", "x"};
  const std::vector<std::string> labels = {"tcp", "udp", "blue", "red", "web", "dns", "nope"};
  const wire::Name domain = *wire::Name::FromText("discovery.");
  auto classify = [&](const registry::RegistryView& view, const std::string& text) {
    const wire::Name name = *wire::Name::FromText(text);
    size_t above = 0;
    REQUIRE(name.IsAtOrBelow(domain, &above));
    return dns::ClassifyDomainName(name, above, view).kind;
  };
  for (size_t r = 0; r < registries.size(); ++r) {
    const auto view = BuildView(registries[r]);
    CAPTURE(r);
    // The fixed structure of D always exists (it never hides a name, RFC 8020).
    CHECK(classify(*view, "service.discovery.") == DomainNameKind::kEmptyNonTerminal);
    CHECK(classify(*view, "instance.discovery.") == DomainNameKind::kEmptyNonTerminal);
    for (const EntCase& c : EntCases(services, ids, labels)) {
      CAPTURE(c.parent);
      const bool below = std::any_of(c.children.begin(), c.children.end(), [&](const auto& n) {
        return classify(*view, n) != DomainNameKind::kNone;
      });
      CHECK(classify(*view, c.parent) ==
            (below ? DomainNameKind::kEmptyNonTerminal : DomainNameKind::kNone));
    }
  }
}

}  // namespace
}  // namespace dnsd::testing
