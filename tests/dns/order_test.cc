// Answer order (SPEC §2): lower priority first, weighted random within a priority,
// weight 0 last, a fresh order per response.
#include "dnsd/dns/order.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

struct Spec {
  const char* id;
  const char* address;
  uint16_t priority;
  uint16_t weight;
};

// Priority 1: a, b, z(weight 0); priority 2: c, d; priority 5: e(weight 0).
const Spec kSpecs[] = {
    {"a", "10.0.0.1", 1, 1}, {"b", "10.0.0.2", 1, 5}, {"z", "10.0.0.9", 1, 0},
    {"c", "10.0.0.3", 2, 1}, {"d", "10.0.0.4", 2, 1}, {"e", "10.0.0.5", 5, 0},
};

std::vector<registry::Instance> Instances() {
  std::vector<registry::Instance> out;
  for (const Spec& s : kSpecs) {
    out.push_back(WithWeight(MakeInstance("svc", s.id, s.address, 1000), s.priority, s.weight));
  }
  return out;
}

// (priority, weight) of each answer in order, looked up by address or SRV target.
std::vector<std::pair<uint16_t, uint16_t>> Ranks(const Reply& r, bool srv) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  for (const ldns_rr* rr : r.answer()) {
    if (srv) {
      out.emplace_back(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)),
                       ldns_rdf2native_int16(ldns_rr_rdf(rr, 1)));
      continue;
    }
    const std::string addr = RdfText(ldns_rr_rdf(rr, 0));
    for (const Spec& s : kSpecs) {
      if (addr == s.address) out.emplace_back(s.priority, s.weight);
    }
  }
  return out;
}

TEST_CASE("priority order and weight-0-last hold for every rng seed", "[dns][order]") {
  for (bool srv : {false, true}) {
    DnsFixture f;
    f.SetInstances(Instances());
    for (unsigned seed = 1; seed <= 300; ++seed) {
      f.rng.seed(seed);
      const Reply r = f.Ask("svc.service.discovery.", srv ? LDNS_RR_TYPE_SRV : LDNS_RR_TYPE_A);
      const auto ranks = Ranks(r, srv);
      REQUIRE(ranks.size() == 6);
      for (size_t i = 1; i < ranks.size(); ++i) {
        CAPTURE(seed, srv, i);
        CHECK(ranks[i - 1].first <= ranks[i].first);
        if (ranks[i - 1].first == ranks[i].first && ranks[i - 1].second == 0) {
          CHECK(ranks[i].second == 0);  // nothing weighted after a weight-0 one
        }
      }
    }
  }
}

TEST_CASE("weights shift how often an instance comes first", "[dns][order]") {
  DnsFixture f;
  auto light = WithWeight(MakeInstance("svc", "light", "10.0.0.1"), 1, 1);
  auto heavy = WithWeight(MakeInstance("svc", "heavy", "10.0.0.2"), 1, 3);
  auto zero = WithWeight(MakeInstance("svc", "zero", "10.0.0.3"), 1, 0);
  f.SetInstances({light, heavy, zero});
  std::map<std::string, int> first;
  constexpr int kRuns = 4000;
  for (int i = 0; i < kRuns; ++i) {
    const Reply r = f.Ask("svc.service.discovery.", LDNS_RR_TYPE_A);
    REQUIRE(r.answer().size() == 3);
    ++first[RdfText(ldns_rr_rdf(r.answer()[0], 0))];
    CHECK(RdfText(ldns_rr_rdf(r.answer()[2], 0)) == "10.0.0.3");
  }
  // P(heavy first) = 3/4; the bounds are > 8 standard deviations wide.
  CHECK(first["10.0.0.2"] > kRuns * 0.70);
  CHECK(first["10.0.0.2"] < kRuns * 0.80);
  CHECK(first["10.0.0.3"] == 0);
}

TEST_CASE("weight-0 instances alone are shuffled uniformly", "[dns][order]") {
  DnsFixture f;
  f.SetInstances({WithWeight(MakeInstance("svc", "a", "10.0.0.1"), 1, 0),
                  WithWeight(MakeInstance("svc", "b", "10.0.0.2"), 1, 0)});
  int a_first = 0;
  for (int i = 0; i < 2000; ++i) {
    const Reply r = f.Ask("svc.service.discovery.", LDNS_RR_TYPE_A);
    if (RdfText(ldns_rr_rdf(r.answer()[0], 0)) == "10.0.0.1") ++a_first;
  }
  CHECK(a_first > 850);
  CHECK(a_first < 1150);
}

TEST_CASE("CandidateList keeps healthy matching instances and spills to the heap", "[dns][order]") {
  registry::ServiceSnapshot svc;
  svc.name = "big";
  for (size_t i = 0; i < dns::kInlineCandidates + 10; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "i%05zu", i);
    auto inst = MakeInstance("big", id, i % 2 ? "10.0.0.1" : "::1");
    if (i % 7 == 0) inst.health = registry::Health::kCritical;
    svc.instances.push_back(inst);
  }
  dns::CandidateList list;
  list.Collect(svc, {}, dns::FamilyFilter::kAny, false);
  size_t healthy = 0;
  for (const auto& i : svc.instances) healthy += i.health == registry::Health::kPassing;
  CHECK(list.size() == healthy);
  list.Collect(svc, {}, dns::FamilyFilter::kV4, false);
  for (const dns::Candidate& c : list.items()) CHECK(c.instance->address.is_v4());
  std::minstd_rand rng(1);
  list.Order(rng);
  CHECK(list.MinTtl(5) == 5);
}

}  // namespace
}  // namespace dnsd::testing
