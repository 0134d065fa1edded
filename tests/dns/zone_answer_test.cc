// Static zones (SPEC §6): answers from zone data, negative answers with the zone's SOA,
// CNAME chasing, and static records inside the service domain merged with services.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

std::vector<uint8_t> WireName(std::string_view name) {
  std::vector<uint8_t> out;
  PutName(out, name);
  return out;
}

std::vector<uint8_t> A(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

std::vector<uint8_t> Soa(std::string_view mname, uint32_t serial, uint32_t minimum) {
  std::vector<uint8_t> out = WireName(mname);
  const std::vector<uint8_t> rname = WireName("hostmaster.internal.example.");
  out.insert(out.end(), rname.begin(), rname.end());
  for (uint32_t v : {serial, 3600u, 600u, 86400u, minimum}) {
    Put16(out, static_cast<uint16_t>(v >> 16));
    Put16(out, static_cast<uint16_t>(v));
  }
  return out;
}

zones::Node MakeNode(std::string name, std::vector<zones::RRset> sets) {
  zones::Node n;
  n.name = std::move(name);
  n.rrsets = std::move(sets);
  return n;
}

zones::ZoneSet TestZones() {
  std::vector<zones::Node> internal = {
      MakeNode("internal.example.",
               {{LDNS_RR_TYPE_SOA, 3600, {Soa("ns1.internal.example.", 42, 30)}}}),
      MakeNode("db.internal.example.", {{LDNS_RR_TYPE_A, 300, {A(10, 0, 0, 5), A(10, 0, 0, 6)}},
                                        {LDNS_RR_TYPE_MX, 300, {{0, 10, 2, 'm', 'x', 0}}}}),
      MakeNode("legacy.internal.example.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("db.internal.example.")}}}),
      MakeNode("loop1.internal.example.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("loop2.internal.example.")}}}),
      MakeNode("loop2.internal.example.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("loop1.internal.example.")}}}),
      MakeNode("ext.internal.example.", {{LDNS_RR_TYPE_CNAME, 60, {WireName("www.example.com.")}}}),
      MakeNode("dangling.internal.example.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("gone.internal.example.")}}}),
      MakeNode("to-service.internal.example.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("web.service.discovery.")}}}),
      MakeNode("host.sub.internal.example.", {{LDNS_RR_TYPE_A, 300, {A(10, 0, 0, 7)}}}),
  };
  std::vector<zones::Node> inside = {
      MakeNode("db.discovery.", {{LDNS_RR_TYPE_A, 120, {A(10, 0, 9, 1)}}}),
      MakeNode("web.service.discovery.", {{LDNS_RR_TYPE_A, 120, {A(10, 0, 9, 9)}}}),
      MakeNode("alias.discovery.",
               {{LDNS_RR_TYPE_CNAME, 60, {WireName("web.service.discovery.")}}}),
  };
  std::vector<zones::Zone> list;
  list.emplace_back("internal.example.", std::move(internal));
  list.emplace_back("discovery.", std::move(inside));
  return zones::ZoneSet(std::move(list));
}

class ZoneFixture : public DnsFixture {
 public:
  ZoneFixture() {
    zones = TestZones();
    SetInstances({MakeInstance("web", "web-1", "10.0.0.1")});
  }
};

std::set<std::string> Texts(const std::vector<const ldns_rr*>& rrs) {
  std::set<std::string> out;
  for (const ldns_rr* rr : rrs) out.insert(RrText(rr));
  return out;
}

TEST_CASE("a static zone answers its records with AA", "[dns][zones]") {
  ZoneFixture f;
  const Reply r = f.Ask("DB.internal.example.", LDNS_RR_TYPE_A);
  CHECK(r.rcode() == 0);
  CHECK(r.aa());
  CHECK(Texts(r.answer()) == std::set<std::string>{"DB.internal.example. 300 IN A 10.0.0.5",
                                                   "DB.internal.example. 300 IN A 10.0.0.6"});
  CHECK(f.Ask("db.internal.example.", LDNS_RR_TYPE_MX).AnswerText() ==
        std::vector<std::string>{"db.internal.example. 300 IN MX 10 mx."});
  const Reply soa = f.Ask("internal.example.", LDNS_RR_TYPE_SOA);
  REQUIRE(soa.answer().size() == 1);
  CHECK(ldns_rr_get_type(soa.answer()[0]) == LDNS_RR_TYPE_SOA);
}

TEST_CASE("static negative answers carry the zone's SOA", "[dns][zones]") {
  ZoneFixture f;
  struct Case {
    const char* name;
    uint16_t qtype;
    int rcode;
  };
  const Case cases[] = {
      {"db.internal.example.", LDNS_RR_TYPE_AAAA, 0},
      {"nope.internal.example.", LDNS_RR_TYPE_A, 3},
      {"sub.internal.example.", LDNS_RR_TYPE_A, 0},  // empty non-terminal
      {"x.db.internal.example.", LDNS_RR_TYPE_A, 3},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const Reply r = f.Ask(c.name, c.qtype);
    CHECK(r.rcode() == c.rcode);
    CHECK(r.aa());
    CHECK(r.answer().empty());
    REQUIRE(r.authority().size() == 1);
    // TTL = min(SOA TTL 3600, minimum 30).
    CHECK(RrText(r.authority()[0]) ==
          "internal.example. 30 IN SOA ns1.internal.example. hostmaster.internal.example. 42 "
          "3600 600 86400 30");
  }
}

TEST_CASE("a CNAME is answered and chased within our zones", "[dns][zones]") {
  ZoneFixture f;
  const Reply r = f.Ask("legacy.internal.example.", LDNS_RR_TYPE_A);
  CHECK(r.rcode() == 0);
  CHECK(Texts(r.answer()) ==
        std::set<std::string>{"legacy.internal.example. 60 IN CNAME db.internal.example.",
                              "db.internal.example. 300 IN A 10.0.0.5",
                              "db.internal.example. 300 IN A 10.0.0.6"});
  CHECK(f.Ask("legacy.internal.example.", LDNS_RR_TYPE_CNAME).answer().size() == 1);

  // Into the service domain.
  const Reply svc = f.Ask("to-service.internal.example.", LDNS_RR_TYPE_A);
  CHECK(Texts(svc.answer()) ==
        std::set<std::string>{"to-service.internal.example. 60 IN CNAME web.service.discovery.",
                              "web.service.discovery. 5 IN A 10.0.0.1",
                              "web.service.discovery. 5 IN A 10.0.9.9"});

  // Out of our data: the CNAME alone, NOERROR, no SOA.
  const Reply ext = f.Ask("ext.internal.example.", LDNS_RR_TYPE_A);
  CHECK(ext.rcode() == 0);
  CHECK(ext.answer().size() == 1);
  CHECK(ext.authority().empty());

  // A target that does not exist: NXDOMAIN for the last name (RFC 6604), SOA.
  const Reply dangling = f.Ask("dangling.internal.example.", LDNS_RR_TYPE_A);
  CHECK(dangling.rcode() == LDNS_RCODE_NXDOMAIN);
  CHECK(dangling.answer().size() == 1);
  CHECK(dangling.authority().size() == 1);
}

TEST_CASE("CNAME loops are chased a bounded number of steps", "[dns][zones]") {
  ZoneFixture f;
  const Reply r = f.Ask("loop1.internal.example.", LDNS_RR_TYPE_A);
  CHECK(r.rcode() == 0);
  CHECK(r.answer().size() == 8);
  for (const ldns_rr* rr : r.answer()) CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME);
}

TEST_CASE("static records inside the domain are answered alongside services", "[dns][zones]") {
  ZoneFixture f;
  const Reply both = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A);
  CHECK(Texts(both.answer()) ==
        std::set<std::string>{"web.service.discovery. 5 IN A 10.0.0.1",
                              "web.service.discovery. 5 IN A 10.0.9.9"});  // one RRset, one TTL
  const Reply db = f.Ask("db.discovery.", LDNS_RR_TYPE_A);
  CHECK(db.rcode() == 0);
  CHECK(db.AnswerText() == std::vector<std::string>{"db.discovery. 120 IN A 10.0.9.1"});
  const Reply nodata = f.Ask("db.discovery.", LDNS_RR_TYPE_TXT);
  CHECK(nodata.rcode() == 0);
  REQUIRE(nodata.authority().size() == 1);
  CHECK(RdfText(ldns_rr_rdf(nodata.authority()[0], 0)) == "ns.discovery.");  // our SOA
  const Reply alias = f.Ask("alias.discovery.", LDNS_RR_TYPE_A);
  CHECK(alias.answer().size() == 3);
  CHECK(f.Ask("nothing.discovery.", LDNS_RR_TYPE_A).rcode() == LDNS_RCODE_NXDOMAIN);
  // A static name makes the service name exist even with no instances healthy.
  f.SetInstances(
      {WithHealth(MakeInstance("web", "web-1", "10.0.0.1"), registry::Health::kCritical)});
  CHECK(f.Ask("web.service.discovery.", LDNS_RR_TYPE_A).AnswerText() ==
        std::vector<std::string>{"web.service.discovery. 120 IN A 10.0.9.9"});
  f.SetInstances({});
  CHECK(f.Ask("web.service.discovery.", LDNS_RR_TYPE_AAAA).rcode() == 0);
}

TEST_CASE("static zones outside the domain are answered while the registry loads", "[dns][zones]") {
  ZoneFixture f;
  f.SetInstances({}, ViewOptions{1, false});
  CHECK(f.Ask("db.internal.example.", LDNS_RR_TYPE_A).answer().size() == 2);
  CHECK(f.Ask("db.discovery.", LDNS_RR_TYPE_A).rcode() == LDNS_RCODE_SERVFAIL);
}

TEST_CASE("ANY on a static name answers a subset", "[dns][zones]") {
  ZoneFixture f;
  const Reply r = f.Ask("db.internal.example.", LDNS_RR_TYPE_ANY);
  for (const ldns_rr* rr : r.answer()) CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_A);
  CHECK(r.answer().size() == 2);
}

}  // namespace
}  // namespace dnsd::testing
