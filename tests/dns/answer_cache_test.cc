// The answer cache (dnsd/dns/answer_cache.h): every answer it gives equals Answer()'s
// up to record order, hits are served from entries, a new view or zone set invalidates
// exactly what it changed, and the order is still fresh per response.
#include "dnsd/dns/answer_cache.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using dns::Transport;

// Everything a client could tell apart, except the order within each section.
struct Decoded {
  uint16_t id = 0;
  int rcode = 0;
  bool aa = false, tc = false, ra = false, rd = false;
  std::string question;
  std::multiset<std::string> answer, authority, additional;
  size_t size = 0;
  bool opt_last = false;

  bool operator==(const Decoded&) const = default;
  // A random subset was chosen (TC over UDP, the 65535-byte cap over TCP): the records
  // differ between two answers, their number and sizes do not.
  Decoded Shape() const {
    Decoded d = *this;
    auto count = [](const std::multiset<std::string>& s) {
      return std::multiset<std::string>{std::to_string(s.size())};
    };
    d.answer = count(answer);
    d.additional = count(additional);
    return d;
  }
};

std::multiset<std::string> Section(const ldns_rr_list* list) {
  std::multiset<std::string> out;
  for (const ldns_rr* rr : Rrs(list)) out.insert(RrText(rr));
  return out;
}

Decoded Decode(const std::vector<uint8_t>& wire) {
  ldns_pkt* raw = nullptr;
  REQUIRE(ldns_wire2pkt(&raw, wire.data(), wire.size()) == LDNS_STATUS_OK);
  PktPtr pkt(raw);
  Decoded d;
  d.id = ldns_pkt_id(raw);
  d.rcode = (ldns_pkt_edns_extended_rcode(raw) << 4) | ldns_pkt_get_rcode(raw);
  d.aa = ldns_pkt_aa(raw);
  d.tc = ldns_pkt_tc(raw);
  d.ra = ldns_pkt_ra(raw);
  d.rd = ldns_pkt_rd(raw);
  d.question = RrText(ldns_rr_list_rr(ldns_pkt_question(raw), 0));
  d.answer = Section(ldns_pkt_answer(raw));
  d.authority = Section(ldns_pkt_authority(raw));
  d.additional = Section(ldns_pkt_additional(raw));
  d.size = wire.size();
  d.opt_last = wire.size() >= 11 && wire[wire.size() - 11] == 0 && wire[wire.size() - 9] == 41;
  return d;
}

class CacheFixture : public DnsFixture {
 public:
  std::shared_ptr<const zones::ZoneSet> shared_zones = std::make_shared<zones::ZoneSet>();
  std::unique_ptr<dns::AnswerCache> cache = std::make_unique<dns::AnswerCache>(config, 64);

  void Reconfigure() { cache = std::make_unique<dns::AnswerCache>(config, 64); }

  std::vector<uint8_t> Out(Transport t) const {
    std::vector<uint8_t> out(dns::kMaxMessage, 0xEE);
    if (t == Transport::kUdp) out.resize(config.max_udp_size < 512 ? 512 : config.max_udp_size);
    return out;
  }

  // Asks the cache and Answer() the same query; both must agree. Returns the cache's.
  std::vector<uint8_t> Both(const std::vector<uint8_t>& query, Transport t) {
    std::vector<uint8_t> fast = Out(t);
    std::vector<uint8_t> slow = Out(t);
    const dns::AnswerResult a = cache->Answer(query, t, view, shared_zones, rng, fast);
    const dns::AnswerResult b = dns::Answer(query, t, *view, *shared_zones, config, rng, slow);
    REQUIRE(a.disposition == b.disposition);
    CHECK(a.rcode == b.rcode);
    CHECK(a.qtype == b.qtype);
    CHECK(a.truncated == b.truncated);
    fast.resize(a.size);
    slow.resize(b.size);
    if (a.disposition == dns::Disposition::kReply) {
      if (a.truncated) {
        CHECK(Decode(fast).Shape() == Decode(slow).Shape());
      } else {
        CHECK(Decode(fast) == Decode(slow));
      }
    }
    return fast;
  }
};

std::vector<registry::Instance> Mixed() {
  return {
      WithTags(MakeInstance("web", "web-1", "10.0.0.1", 8080), {"blue", "canary"}),
      WithWeight(MakeInstance("web", "web-2", "10.0.0.2", 8081), 1, 5),
      WithWeight(MakeInstance("web", "web-3", "10.0.0.3", 8082), 2, 0),
      MakeInstance("web", "web-6", "2001:db8::6", 8086),
      WithHealth(MakeInstance("web", "web-4", "10.0.0.4"), registry::Health::kWarning),
      WithHealth(MakeInstance("web", "web-5", "10.0.0.5"), registry::Health::kCritical),
      [] {
        registry::Instance i = MakeInstance("dns", "dns-1", "10.0.1.1", 53);
        i.proto = registry::Proto::kUdp;
        i.dns_ttl = 30;
        return i;
      }(),
      WithHealth(MakeInstance("down", "down-1", "10.0.2.1"), registry::Health::kCritical),
  };
}

const char* const kNames[] = {
    "web.service.discovery.",
    "WeB.SERVICE.Discovery.",
    "blue.web.service.discovery.",
    "nope.web.service.discovery.",
    "_web._tcp.service.discovery.",
    "_dns._udp.service.discovery.",
    "_web._udp.service.discovery.",
    "_web.service.discovery.",
    "_tcp.service.discovery.",
    "_UDP.Service.discovery.",
    "_blue.service.discovery.",
    "_canary.service.discovery.",
    "_nope.service.discovery.",
    "dns.service.discovery.",
    "down.service.discovery.",
    "missing.service.discovery.",
    "service.discovery.",
    "instance.discovery.",
    "web.instance.discovery.",
    "web-1.web.instance.discovery.",
    "web-6.web.instance.discovery.",
    "web-5.web.instance.discovery.",
    "gone.web.instance.discovery.",
    "discovery.",
    "ns.discovery.",
    "a.b.c.d.e.service.discovery.",
    "other.example.",
};
const uint16_t kTypes[] = {
    LDNS_RR_TYPE_A,   LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_TXT,   LDNS_RR_TYPE_MX,
    LDNS_RR_TYPE_ANY, LDNS_RR_TYPE_SOA,  LDNS_RR_TYPE_NS,  LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_AXFR};

TEST_CASE("cached answers equal Answer()'s up to record order", "[dns][cache]") {
  for (bool include_warning : {false, true}) {
    for (bool forwarding : {false, true}) {
      CacheFixture f;
      f.config.include_warning = include_warning;
      f.config.forwarding = forwarding;
      f.Reconfigure();
      f.SetInstances(Mixed());
      for (const char* name : kNames) {
        for (uint16_t type : kTypes) {
          for (bool edns : {false, true}) {
            for (Transport t : {Transport::kUdp, Transport::kTcp}) {
              CAPTURE(include_warning, forwarding, name, type, edns, t == Transport::kTcp);
              QueryOptions o;
              o.edns = edns;
              o.id = static_cast<uint16_t>(type * 7 + edns);
              for (int round = 0; round < 3; ++round) f.Both(BuildQuery(name, type, o), t);
            }
          }
        }
      }
      CHECK(f.cache->stats().hits > 0);
    }
  }
}

TEST_CASE("a hit echoes the query's ID, flags and case and is served from the entry",
          "[dns][cache]") {
  CacheFixture f;
  f.SetInstances(Mixed());
  QueryOptions o;
  o.id = 0xBEEF;
  o.rd = false;
  f.Both(BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A, o), Transport::kUdp);
  f.Both(BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A, o), Transport::kUdp);
  const uint64_t hits = f.cache->stats().hits;
  const std::vector<uint8_t> out =
      f.Both(BuildQuery("wEb.Service.DISCOVERY.", LDNS_RR_TYPE_A, o), Transport::kUdp);
  CHECK(f.cache->stats().hits == hits + 1);
  const Decoded d = Decode(out);
  CHECK(d.id == 0xBEEF);
  CHECK_FALSE(d.rd);
  CHECK(d.aa);
  CHECK(d.question.rfind("wEb.Service.DISCOVERY.", 0) == 0);
}

TEST_CASE("a name gets an entry on its second query; one-off names evict nothing", "[dns][cache]") {
  CacheFixture f;
  f.cache = std::make_unique<dns::AnswerCache>(f.config, 1);  // one set: every name collides
  f.SetInstances(Mixed());
  const auto web = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  f.Both(web, Transport::kUdp);
  CHECK(f.cache->stats().builds == 0);
  f.Both(web, Transport::kUdp);
  CHECK(f.cache->stats().builds == 1);
  for (int i = 0; i < 20; ++i) {
    f.Both(BuildQuery("rnd" + std::to_string(i) + ".service.discovery.", LDNS_RR_TYPE_A),
           Transport::kUdp);
  }
  const uint64_t hits = f.cache->stats().hits;
  f.Both(web, Transport::kUdp);
  CHECK(f.cache->stats().hits == hits + 1);
  CHECK(f.cache->stats().builds == 1);
}

TEST_CASE("two names in one set both keep their entries; a third evicts the older",
          "[dns][cache]") {
  CacheFixture f;
  f.cache = std::make_unique<dns::AnswerCache>(f.config, 2);  // one set of two ways
  f.SetInstances(Mixed());
  const auto web = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  const auto srv = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_SRV);
  const auto dns_a = BuildQuery("dns.service.discovery.", LDNS_RR_TYPE_A);
  for (int i = 0; i < 2; ++i) f.Both(web, Transport::kUdp);
  for (int i = 0; i < 2; ++i) f.Both(srv, Transport::kUdp);
  REQUIRE(f.cache->stats().builds == 2);
  for (int i = 0; i < 3; ++i) {
    f.Both(web, Transport::kUdp);
    f.Both(srv, Transport::kUdp);
  }
  CHECK(f.cache->stats().builds == 2);
  CHECK(f.cache->stats().hits == 2 + 6);  // the admitting query is answered from its entry
  f.Both(web, Transport::kUdp);           // srv is now the least recently used
  for (int i = 0; i < 2; ++i) f.Both(dns_a, Transport::kUdp);
  CHECK(f.cache->stats().builds == 3);
  const uint64_t builds = f.cache->stats().builds;
  f.Both(web, Transport::kUdp);
  CHECK(f.cache->stats().builds == builds);  // web kept its entry
  f.Both(srv, Transport::kUdp);
  f.Both(srv, Transport::kUdp);
  CHECK(f.cache->stats().builds == builds + 1);  // srv was evicted
}

TEST_CASE("the table grows with the working set up to its bound and keeps its entries",
          "[dns][cache]") {
  CacheFixture f;
  f.cache = std::make_unique<dns::AnswerCache>(f.config, 4096);
  f.SetInstances(Mixed());
  REQUIRE(f.cache->slots() == dns::AnswerCache::kInitialSlots);
  auto ask_all = [&] {
    for (int i = 0; i < 1000; ++i) {
      f.Both(BuildQuery("s" + std::to_string(i) + ".service.discovery.", LDNS_RR_TYPE_A),
             Transport::kUdp);
    }
  };
  for (int round = 0; round < 3; ++round) ask_all();
  CHECK(f.cache->slots() == 4096);  // evictions kept it growing to its bound
  const dns::AnswerCache::Stats before = f.cache->stats();
  ask_all();
  // About 3 % of the 2,048 sets are asked for a third name (the hash is fixed, so this
  // is deterministic); those names take turns, every other name hits.
  CHECK(f.cache->stats().hits - before.hits >= 850);
  CHECK(f.cache->stats().builds - before.builds <= 150);
}

TEST_CASE("a new view rebuilds only entries whose service changed", "[dns][cache]") {
  CacheFixture f;
  std::vector<registry::Instance> instances = Mixed();
  f.SetInstances(instances, ViewOptions{7});
  const auto web = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  const auto dns_a = BuildQuery("dns.service.discovery.", LDNS_RR_TYPE_A);
  const auto missing = BuildQuery("late.service.discovery.", LDNS_RR_TYPE_A);
  for (int i = 0; i < 2; ++i) {
    f.Both(web, Transport::kUdp);
    f.Both(dns_a, Transport::kUdp);
    CHECK(Decode(f.Both(missing, Transport::kUdp)).rcode == LDNS_RCODE_NXDOMAIN);
  }
  REQUIRE(f.cache->stats().builds == 3);

  // Same services, a new view: every entry is re-checked and kept.
  f.SetInstances(instances, ViewOptions{7});
  f.Both(web, Transport::kUdp);
  f.Both(dns_a, Transport::kUdp);
  CHECK(f.cache->stats().builds == 3);

  // "web" changes and "late" appears (a new index): their entries are rebuilt.
  std::vector<registry::Instance> next = instances;
  next.push_back(MakeInstance("late", "late-1", "10.0.3.1"));
  next.push_back(MakeInstance("web", "web-9", "10.0.0.9"));
  f.SetInstances(next, ViewOptions{9});
  const Decoded w = Decode(f.Both(web, Transport::kUdp));
  CHECK(w.answer.count("web.service.discovery. 5 IN A 10.0.0.9") == 1);
  const Decoded l = Decode(f.Both(missing, Transport::kUdp));
  CHECK(l.rcode == LDNS_RCODE_NOERROR);
  CHECK(l.answer.size() == 1);
  CHECK(f.cache->stats().builds == 5);
}

TEST_CASE("a new zone set rebuilds entries, so static records join the answer", "[dns][cache]") {
  CacheFixture f;
  f.SetInstances({MakeInstance("web", "web-1", "10.0.0.1")});
  const auto web = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  f.Both(web, Transport::kUdp);
  CHECK(Decode(f.Both(web, Transport::kUdp)).answer.size() == 1);
  std::vector<zones::Node> inside;
  zones::Node node;
  node.name = "web.service.discovery.";
  node.rrsets = {{LDNS_RR_TYPE_A, 120, {{10, 0, 9, 9}}}};
  inside.push_back(node);
  std::vector<zones::Zone> list;
  list.emplace_back("discovery.", std::move(inside));
  f.shared_zones = std::make_shared<zones::ZoneSet>(std::move(list));
  CHECK(Decode(f.Both(web, Transport::kUdp)).answer.size() == 2);
}

TEST_CASE("cached empty non-terminals follow the registry like Answer()", "[dns][cache]") {
  struct Step {
    std::vector<registry::Instance> instances;
    std::vector<std::pair<const char*, int>> rcodes;  // name -> rcode after this change
  };
  registry::Instance udp = MakeInstance("dns", "dns-1", "10.0.1.1", 53);
  udp.proto = registry::Proto::kUdp;
  const registry::Instance blue = WithTags(MakeInstance("web", "web-1", "10.0.0.1"), {"blue"});
  const Step steps[] = {
      {{blue}, {{"_tcp.", 0}, {"_udp.", 3}, {"_blue.", 0}, {"_web.", 3}}},
      {{blue, udp}, {{"_tcp.", 0}, {"_udp.", 0}, {"_blue.", 0}, {"_web.", 3}}},
      {{udp}, {{"_tcp.", 3}, {"_udp.", 0}, {"_blue.", 3}, {"_web.", 3}}},
      {{}, {{"_tcp.", 3}, {"_udp.", 3}, {"_blue.", 3}, {"_web.", 3}}},
      {{blue}, {{"_tcp.", 0}, {"_udp.", 3}, {"_blue.", 0}, {"_web.", 3}}},
  };
  CacheFixture f;
  uint64_t index = 1;
  for (const Step& step : steps) {
    f.SetInstances(step.instances, ViewOptions{++index});
    for (const auto& [label, rcode] : step.rcodes) {
      const std::string name = std::string(label) + "service.discovery.";
      for (uint16_t type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV}) {
        CAPTURE(index, name, type);
        for (int round = 0; round < 3; ++round) {
          const Decoded d = Decode(f.Both(BuildQuery(name, type), Transport::kUdp));
          CHECK(d.rcode == rcode);
          CHECK(d.answer.empty());
          CHECK(d.authority.size() == 1);  // the SOA, NODATA or NXDOMAIN
        }
      }
    }
  }
  CHECK(f.cache->stats().hits > 0);
}

TEST_CASE("answers that do not fit whole are left to Answer() (TC over UDP)", "[dns][cache]") {
  CacheFixture f;
  std::vector<registry::Instance> many;
  for (int i = 0; i < 200; ++i) {
    many.push_back(MakeInstance("big", "b-" + std::to_string(1000 + i),  // equal sizes
                                "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250)));
  }
  f.SetInstances(many);
  for (uint16_t type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV}) {
    const auto q = BuildQuery("big.service.discovery.", type);
    for (int i = 0; i < 3; ++i) CHECK(Decode(f.Both(q, Transport::kUdp)).tc);
    for (int i = 0; i < 3; ++i) CHECK(Decode(f.Both(q, Transport::kTcp)).answer.size() == 200);
  }
}

TEST_CASE("cached answers keep a fresh weighted order per response", "[dns][cache]") {
  CacheFixture f;
  f.SetInstances({WithWeight(MakeInstance("web", "a", "10.0.0.1"), 1, 1),
                  WithWeight(MakeInstance("web", "b", "10.0.0.2"), 1, 1),
                  WithWeight(MakeInstance("web", "c", "10.0.0.3"), 1, 0),
                  WithWeight(MakeInstance("web", "d", "10.0.0.4"), 0, 1)});
  const auto q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_SRV);
  std::map<std::string, int> second;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> out = f.Both(q, Transport::kUdp);
    ldns_pkt* raw = nullptr;
    REQUIRE(ldns_wire2pkt(&raw, out.data(), out.size()) == LDNS_STATUS_OK);
    PktPtr pkt(raw);
    const auto answer = Rrs(ldns_pkt_answer(raw));
    REQUIRE(answer.size() == 4);
    CHECK(RdfText(ldns_rr_rdf(answer[0], 3)) == "d.web.instance.discovery.");  // priority 0
    CHECK(RdfText(ldns_rr_rdf(answer[3], 3)) == "c.web.instance.discovery.");  // weight 0
    ++second[RdfText(ldns_rr_rdf(answer[1], 3))];
    // Glue follows in the order of the SRV records it serves.
    const auto glue = Rrs(ldns_pkt_additional(raw));
    REQUIRE(glue.size() == 4);
    for (size_t k = 0; k < 4; ++k) {
      CHECK(RdfText(ldns_rr_owner(glue[k])) == RdfText(ldns_rr_rdf(answer[k], 3)));
    }
  }
  CHECK(f.cache->stats().hits >= 190);
  CHECK(second["a.web.instance.discovery."] > 40);
  CHECK(second["b.web.instance.discovery."] > 40);
}

}  // namespace
}  // namespace dnsd::testing

namespace dnsd::testing {
namespace {

TEST_CASE("mutated queries get the same disposition, rcode and size as from Answer()",
          "[dns][cache]") {
  CacheFixture f;
  f.SetInstances(Mixed());
  std::mt19937 gen(7);
  std::vector<std::vector<uint8_t>> seeds;
  for (const char* name : kNames) {
    QueryOptions o;
    o.edns = seeds.size() % 2 == 0;
    seeds.push_back(BuildQuery(name, seeds.size() % 3 == 0 ? LDNS_RR_TYPE_SRV : LDNS_RR_TYPE_A, o));
  }
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> q = seeds[gen() % seeds.size()];
    const int edits = 1 + static_cast<int>(gen() % 3);
    for (int k = 0; k < edits; ++k) {
      switch (gen() % 4) {
        case 0:
          q[gen() % q.size()] = static_cast<uint8_t>(gen());
          break;
        case 1:
          q.resize(gen() % (q.size() + 1));
          break;
        case 2:
          q.push_back(static_cast<uint8_t>(gen()));
          break;
        default:
          if (q.size() > 11) q[11] = static_cast<uint8_t>(gen() % 3);
          break;  // ARCOUNT
      }
      if (q.empty()) q.push_back(0);
    }
    for (int round = 0; round < 2; ++round) {
      std::vector<uint8_t> fast = f.Out(Transport::kUdp);
      std::vector<uint8_t> slow = f.Out(Transport::kUdp);
      const dns::AnswerResult a =
          f.cache->Answer(q, Transport::kUdp, f.view, f.shared_zones, f.rng, fast);
      const dns::AnswerResult b =
          dns::Answer(q, Transport::kUdp, *f.view, *f.shared_zones, f.config, f.rng, slow);
      REQUIRE(a.disposition == b.disposition);
      REQUIRE(a.rcode == b.rcode);
      REQUIRE(a.size == b.size);
    }
  }
  CHECK(f.cache->stats().hits > 0);
}

}  // namespace
}  // namespace dnsd::testing
