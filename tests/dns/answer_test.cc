// The name forms and rcode rules of SPEC §2, checked through ldns.
#include "dnsd/dns/answer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using registry::Health;

std::vector<registry::Instance> StandardInstances() {
  auto web1 = WithTags(MakeInstance("web", "web-1", "10.0.0.1", 8080), {"primary", "v1"});
  web1.meta = {{"version", "1.2.3"}, {"zone", "eu-1"}};
  return {
      web1,
      WithTags(MakeInstance("web", "web-2", "10.0.0.2", 8081), {"v1"}),
      WithTags(MakeInstance("web", "web-3", "2001:db8::3", 8082), {"v2"}),
      WithHealth(WithTags(MakeInstance("web", "web-4", "10.0.0.4", 8083), {"old"}),
                 Health::kCritical),
      WithHealth(MakeInstance("web", "web-5", "10.0.0.5", 8084), Health::kWarning),
      [] {
        auto i = MakeInstance("dns", "dns-1", "10.0.1.1", 53);
        i.proto = registry::Proto::kUdp;
        return i;
      }(),
      WithHealth(MakeInstance("down", "down-1", "10.0.2.1"), Health::kCritical),
      WithHealth(MakeInstance("maint", "m-1", "10.0.3.1"), Health::kMaintenance),
  };
}

class StandardFixture : public DnsFixture {
 public:
  StandardFixture() {
    SetInstances(StandardInstances(), ViewOptions{7, true});
    config.advertise = {*registry::IpAddress::Parse("127.0.0.1"),
                        *registry::IpAddress::Parse("::1")};
  }
};

// The rdata of each answer record, space-separated as ldns prints it, sorted.
std::multiset<std::string> AnswerData(const Reply& r) {
  std::multiset<std::string> out;
  for (const ldns_rr* rr : r.answer()) {
    std::string s;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
      if (i > 0) s += ' ';
      s += RdfText(ldns_rr_rdf(rr, i));
    }
    out.insert(s);
  }
  return out;
}

struct NameCase {
  const char* name;
  uint16_t qtype;
  int rcode;
  std::multiset<std::string> data;  // empty: NODATA / NXDOMAIN (SOA expected)
};

const NameCase kNameCases[] = {
    {"web.service.discovery.", LDNS_RR_TYPE_A, 0, {"10.0.0.1", "10.0.0.2"}},
    {"web.service.discovery.", LDNS_RR_TYPE_AAAA, 0, {"2001:db8::3"}},
    {"web.service.discovery.",
     LDNS_RR_TYPE_SRV,
     0,
     {"1 1 8080 web-1.web.instance.discovery.", "1 1 8081 web-2.web.instance.discovery.",
      "1 1 8082 web-3.web.instance.discovery."}},
    {"web.service.discovery.", LDNS_RR_TYPE_ANY, 0, {"10.0.0.1", "10.0.0.2", "2001:db8::3"}},
    {"web.service.discovery.", LDNS_RR_TYPE_TXT, 0, {}},
    {"primary.web.service.discovery.", LDNS_RR_TYPE_A, 0, {"10.0.0.1"}},
    {"v1.web.service.discovery.",
     LDNS_RR_TYPE_SRV,
     0,
     {"1 1 8080 web-1.web.instance.discovery.", "1 1 8081 web-2.web.instance.discovery."}},
    {"v2.web.service.discovery.", LDNS_RR_TYPE_A, 0, {}},   // only an IPv6 instance
    {"old.web.service.discovery.", LDNS_RR_TYPE_A, 0, {}},  // tag on a critical instance
    {"nosuch.web.service.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"_web._tcp.service.discovery.",
     LDNS_RR_TYPE_SRV,
     0,
     {"1 1 8080 web-1.web.instance.discovery.", "1 1 8081 web-2.web.instance.discovery.",
      "1 1 8082 web-3.web.instance.discovery."}},
    {"_web._udp.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},
    {"_dns._udp.service.discovery.", LDNS_RR_TYPE_SRV, 0, {"1 1 53 dns-1.dns.instance.discovery."}},
    {"_dns._tcp.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},
    {"_web._primary.service.discovery.",
     LDNS_RR_TYPE_SRV,
     0,
     {"1 1 8080 web-1.web.instance.discovery."}},
    {"_web._nosuch.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},
    {"_tcp.service.discovery.", LDNS_RR_TYPE_SRV, 0, {}},  // empty non-terminals
    {"_udp.service.discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"_primary.service.discovery.", LDNS_RR_TYPE_SRV, 0, {}},
    {"_old.service.discovery.", LDNS_RR_TYPE_SRV, 0, {}},  // tag of a critical instance
    {"_web.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},  // no instance is tagged "web"
    {"_nosuch.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},
    {"x._web.service.discovery.", LDNS_RR_TYPE_SRV, 3, {}},
    {"a.primary.web.service.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"service.discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"instance.discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"web.instance.discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"nosuch.instance.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"web-1.web.instance.discovery.", LDNS_RR_TYPE_A, 0, {"10.0.0.1"}},
    {"web-1.web.instance.discovery.", LDNS_RR_TYPE_ANY, 0, {"10.0.0.1"}},
    {"web-1.web.instance.discovery.", LDNS_RR_TYPE_AAAA, 0, {}},
    {"web-1.web.instance.discovery.",
     LDNS_RR_TYPE_TXT,
     0,
     {"\"status=passing\"", "\"version=1.2.3\"", "\"zone=eu-1\""}},
    {"web-3.web.instance.discovery.", LDNS_RR_TYPE_AAAA, 0, {"2001:db8::3"}},
    {"web-4.web.instance.discovery.", LDNS_RR_TYPE_A, 0, {"10.0.0.4"}},  // any health
    {"web-4.web.instance.discovery.", LDNS_RR_TYPE_TXT, 0, {"\"status=critical\""}},
    {"m-1.maint.instance.discovery.", LDNS_RR_TYPE_TXT, 0, {"\"status=maintenance\""}},
    {"nosuch.web.instance.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"x.web-1.web.instance.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"down.service.discovery.", LDNS_RR_TYPE_A, 0, {}},  // known, nothing healthy
    {"down.service.discovery.", LDNS_RR_TYPE_SRV, 0, {}},
    {"maint.service.discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"nosuch.service.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"foo.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"a.b.c.d.e.discovery.", LDNS_RR_TYPE_A, 3, {}},
    {"discovery.", LDNS_RR_TYPE_A, 0, {}},
    {"discovery.", LDNS_RR_TYPE_NS, 0, {"ns.discovery."}},
    {"ns.discovery.", LDNS_RR_TYPE_A, 0, {"127.0.0.1"}},
    {"ns.discovery.", LDNS_RR_TYPE_AAAA, 0, {"::1"}},
    {"ns.discovery.", LDNS_RR_TYPE_TXT, 0, {}},
};

TEST_CASE("every name form answers with the SPEC §2 records and rcode", "[dns]") {
  StandardFixture f;
  for (const NameCase& c : kNameCases) {
    CAPTURE(c.name, c.qtype);
    const Reply r = f.Ask(c.name, c.qtype);
    CHECK(r.rcode() == c.rcode);
    CHECK(r.result.rcode == c.rcode);
    CHECK(r.result.qtype == c.qtype);
    CHECK(r.aa());
    CHECK_FALSE(r.tc());
    CHECK(AnswerData(r) == c.data);
    // Negative answers carry D's SOA in the authority section, positive ones nothing.
    const auto authority = r.authority();
    if (c.data.empty()) {
      REQUIRE(authority.size() == 1);
      CHECK(ldns_rr_get_type(authority[0]) == LDNS_RR_TYPE_SOA);
      CHECK(RdfText(ldns_rr_owner(authority[0])) == "discovery.");
    } else {
      CHECK(authority.empty());
    }
  }
}

TEST_CASE("include_warning adds warning instances to service answers", "[dns]") {
  StandardFixture f;
  CHECK(AnswerData(f.Ask("web.service.discovery.", LDNS_RR_TYPE_A)).count("10.0.0.5") == 0);
  f.config.include_warning = true;
  CHECK(AnswerData(f.Ask("web.service.discovery.", LDNS_RR_TYPE_A)) ==
        std::multiset<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.5"});
}

TEST_CASE("the apex SOA is built from the view and the config", "[dns]") {
  StandardFixture f;
  f.SetInstances(StandardInstances(), ViewOptions{(uint64_t{1} << 32) + 9, true});
  f.config.negative_ttl = 17;
  const Reply r = f.Ask("discovery.", LDNS_RR_TYPE_SOA);
  REQUIRE(r.answer().size() == 1);
  CHECK(r.AnswerText()[0] ==
        "discovery. 17 IN SOA ns.discovery. hostmaster.discovery. 9 3600 600 86400 17");
  const Reply neg = f.Ask("nosuch.service.discovery.", LDNS_RR_TYPE_A);
  REQUIRE(neg.authority().size() == 1);
  CHECK(RrText(neg.authority()[0]) ==
        "discovery. 17 IN SOA ns.discovery. hostmaster.discovery. 9 3600 600 86400 17");
}

TEST_CASE("NS at the apex comes with the advertised addresses as glue", "[dns]") {
  StandardFixture f;
  const Reply r = f.Ask("discovery.", LDNS_RR_TYPE_NS);
  std::set<std::string> glue;
  for (const ldns_rr* rr : r.additional()) glue.insert(RrText(rr));
  CHECK(glue ==
        std::set<std::string>{"ns.discovery. 5 IN A 127.0.0.1", "ns.discovery. 5 IN AAAA ::1"});
}

struct TtlCase {
  std::optional<uint32_t> ttl1, ttl2;
  uint32_t expected;
};

TEST_CASE("an RRset's TTL is the smallest of its instances' TTLs", "[dns]") {
  const TtlCase cases[] = {
      {std::nullopt, std::nullopt, 5}, {30, std::nullopt, 5}, {30, 2, 2}, {0, 60, 0}, {60, 40, 40}};
  for (const TtlCase& c : cases) {
    DnsFixture f;
    auto a = MakeInstance("api", "a", "10.1.0.1");
    auto b = MakeInstance("api", "b", "10.1.0.2");
    a.dns_ttl = c.ttl1;
    b.dns_ttl = c.ttl2;
    f.SetInstances({a, b});
    for (uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV}) {
      const Reply r = f.Ask("api.service.discovery.", qtype);
      REQUIRE(r.answer().size() == 2);
      for (const ldns_rr* rr : r.answer()) CHECK(ldns_rr_ttl(rr) == c.expected);
    }
    // The instance form and the glue use the instance's own TTL.
    const Reply one = f.Ask("b.api.instance.discovery.", LDNS_RR_TYPE_A);
    CHECK(ldns_rr_ttl(one.answer()[0]) == c.ttl2.value_or(5));
  }
}

TEST_CASE("negative answers carry the SOA with TTL = minimum = negative_ttl", "[dns]") {
  StandardFixture f;
  f.config.negative_ttl = 3;
  f.config.ttl = 60;
  for (const char* name : {"nosuch.service.discovery.", "down.service.discovery."}) {
    const Reply r = f.Ask(name, LDNS_RR_TYPE_A);
    REQUIRE(r.authority().size() == 1);
    const ldns_rr* soa = r.authority()[0];
    CHECK(ldns_rr_ttl(soa) == 3);
    CHECK(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)) == 3);
  }
}

TEST_CASE("SRV answers carry each kept target's address as glue", "[dns]") {
  StandardFixture f;
  const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_SRV);
  std::set<std::string> targets;
  for (const ldns_rr* rr : r.answer()) targets.insert(RdfText(ldns_rr_rdf(rr, 3)));
  std::set<std::string> glue;
  for (const ldns_rr* rr : r.additional()) glue.insert(RrText(rr));
  CHECK(targets.size() == 3);
  CHECK(glue == std::set<std::string>{"web-1.web.instance.discovery. 5 IN A 10.0.0.1",
                                      "web-2.web.instance.discovery. 5 IN A 10.0.0.2",
                                      "web-3.web.instance.discovery. 5 IN AAAA 2001:db8::3"});
}

TEST_CASE("the question's case is echoed in the question and the answers", "[dns]") {
  StandardFixture f;
  const Reply r = f.Ask("WeB.SeRvIcE.DiScOvErY.", LDNS_RR_TYPE_A);
  CHECK(r.rcode() == 0);
  const ldns_rr_list* question = ldns_pkt_question(r.pkt.get());
  REQUIRE(ldns_rr_list_rr_count(question) == 1);
  CHECK(RdfText(ldns_rr_owner(ldns_rr_list_rr(question, 0))) == "WeB.SeRvIcE.DiScOvErY.");
  REQUIRE(r.answer().size() == 2);
  for (const ldns_rr* rr : r.answer()) {
    CHECK(RdfText(ldns_rr_owner(rr)) == "WeB.SeRvIcE.DiScOvErY.");
  }
}

TEST_CASE("header flags: ID and RD copied, AA on own data, RA only with forwarding", "[dns]") {
  StandardFixture f;
  for (bool forwarding : {false, true}) {
    for (bool rd : {false, true}) {
      f.config.forwarding = forwarding;
      QueryOptions o;
      o.id = 0xBEEF;
      o.rd = rd;
      const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, dns::Transport::kUdp, o);
      CHECK(ldns_pkt_id(r.pkt.get()) == 0xBEEF);
      CHECK(ldns_pkt_qr(r.pkt.get()));
      CHECK(ldns_pkt_rd(r.pkt.get()) == rd);
      CHECK(r.aa());
      CHECK(r.ra() == forwarding);
    }
  }
}

TEST_CASE("a custom domain such as consul. is served like discovery.", "[dns]") {
  StandardFixture f;
  f.config.domain = "consul.";
  const Reply r = f.Ask("web.service.Consul.", LDNS_RR_TYPE_A);
  CHECK(AnswerData(r) == std::multiset<std::string>{"10.0.0.1", "10.0.0.2"});
  const Reply old = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A);
  CHECK(old.rcode() == LDNS_RCODE_REFUSED);
}

TEST_CASE("an unloaded registry answers SERVFAIL for names in the domain", "[dns]") {
  StandardFixture f;
  f.SetInstances(StandardInstances(), ViewOptions{1, false});
  for (const char* name : {"web.service.discovery.", "nosuch.service.discovery.", "discovery."}) {
    CAPTURE(name);
    const Reply r = f.Ask(name, LDNS_RR_TYPE_A);
    CHECK(r.rcode() == LDNS_RCODE_SERVFAIL);
    CHECK(r.result.rcode == 2);
    CHECK(r.answer().empty());
  }
}

TEST_CASE("random and mutated packets never crash and give drop, FORMERR or a reply", "[dns]") {
  DnsFixture f;
  f.SetInstances({MakeInstance("web", "web-1", "10.0.0.1")});
  std::mt19937 gen(7);
  QueryOptions o;
  o.edns = true;
  const std::vector<uint8_t> base = BuildQuery("web.service.discovery.", 33, o);
  std::vector<uint8_t> out;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> q = base;
    const int flips = 1 + static_cast<int>(gen() % 4);
    for (int k = 0; k < flips; ++k) q[gen() % q.size()] = static_cast<uint8_t>(gen());
    if (gen() % 4 == 0) q.resize(gen() % (q.size() + 1));
    if (gen() % 8 == 0) {
      q.resize(gen() % 64);
      for (uint8_t& b : q) b = static_cast<uint8_t>(gen());
    }
    const auto t = gen() % 2 ? dns::Transport::kUdp : dns::Transport::kTcp;
    const dns::AnswerResult r = f.Raw(q, t, out);
    if (r.disposition != dns::Disposition::kReply) continue;
    ldns_pkt* raw = nullptr;
    REQUIRE(ldns_wire2pkt(&raw, out.data(), out.size()) == LDNS_STATUS_OK);
    ldns_pkt_free(raw);
  }
}

}  // namespace
}  // namespace dnsd::testing
