// Response sizes (SPEC §2): 512 without EDNS, the EDNS size capped by max_udp_size,
// whole records, TC, glue following the kept SRVs, udp_answer_limit, and TCP's 65535.
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "dnsd/wire/wire.h"
#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using dns::Transport;

std::vector<registry::Instance> Many(size_t n) {
  std::vector<registry::Instance> out;
  for (size_t i = 0; i < n; ++i) {
    char id[32];
    char addr[32];
    std::snprintf(id, sizeof id, "i-%04zu", i);
    std::snprintf(addr, sizeof addr, "10.%zu.%zu.%zu", i / 65536, (i / 256) % 256, i % 256);
    out.push_back(MakeInstance("web", id, addr, 8080));
  }
  return out;
}

// Header + question "web.service.discovery." A: 12 + 23 + 4.
constexpr size_t kPrefix = 39;
constexpr size_t kARecord = 16;  // pointer owner + 10 + 4

struct SizeCase {
  bool edns;
  uint16_t client_size;
  uint16_t max_udp_size;
  size_t limit;
};

TEST_CASE("A answers are cut to whole records within the UDP size, with TC", "[dns][size]") {
  const SizeCase cases[] = {
      {false, 0, 1232, 512},  {true, 4096, 1232, 1232}, {true, 800, 1232, 800},
      {true, 100, 1232, 512}, {true, 1232, 4096, 1232}, {true, 4096, 512, 512},
  };
  for (const SizeCase& c : cases) {
    CAPTURE(c.edns, c.client_size, c.max_udp_size);
    DnsFixture f;
    f.config.max_udp_size = c.max_udp_size;
    f.SetInstances(Many(300));
    QueryOptions o;
    o.edns = c.edns;
    o.udp_size = c.client_size;
    const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kUdp, o);
    const size_t opt = c.edns ? wire::kOptRecordSize : 0;
    const size_t expected = (c.limit - kPrefix - opt) / kARecord;
    CHECK(r.wire.size() <= c.limit);
    CHECK(r.answer().size() == expected);
    CHECK(r.tc());
    CHECK(r.result.truncated);
    CHECK(r.rcode() == 0);
    if (c.edns) CHECK(r.OptIsLast());
  }
}

TEST_CASE("an answer that fits is sent whole without TC", "[dns][size]") {
  DnsFixture f;
  f.SetInstances(Many(29));
  const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A);
  CHECK(r.answer().size() == 29);
  CHECK(r.wire.size() == kPrefix + 29 * kARecord);
  CHECK(r.wire.size() <= 512);
  CHECK_FALSE(r.tc());
  CHECK_FALSE(r.result.truncated);
}

std::set<std::string> SrvTargets(const Reply& r) {
  std::set<std::string> out;
  for (const ldns_rr* rr : r.answer()) out.insert(RdfText(ldns_rr_rdf(rr, 3)));
  return out;
}

std::set<std::string> GlueOwners(const Reply& r) {
  std::set<std::string> out;
  for (const ldns_rr* rr : r.additional()) {
    CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_A);
    out.insert(RdfText(ldns_rr_owner(rr)));
  }
  return out;
}

TEST_CASE("truncated SRV answers keep the glue of exactly the kept SRVs", "[dns][size]") {
  for (bool edns : {false, true}) {
    DnsFixture f;
    f.SetInstances(Many(100));
    QueryOptions o;
    o.edns = edns;
    const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_SRV, Transport::kUdp, o);
    CAPTURE(edns);
    CHECK(r.tc());
    CHECK(r.wire.size() <= (edns ? 1232u : 512u));
    // SRV 2+10+6+31 bytes, glue 16: pairs of 65 bytes.
    CHECK(r.answer().size() == (edns ? (1232 - kPrefix - 11) / 65 : (512 - kPrefix) / 65));
    CHECK(SrvTargets(r) == GlueOwners(r));
    if (edns) CHECK(r.OptIsLast());
  }
}

TEST_CASE("udp_answer_limit returns N random records with glue and no TC", "[dns][size]") {
  DnsFixture f;
  f.config.udp_answer_limit = 3;
  f.SetInstances(Many(100));
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const Reply a = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A);
    CHECK(a.answer().size() == 3);
    CHECK_FALSE(a.tc());
    CHECK_FALSE(a.result.truncated);
    for (const ldns_rr* rr : a.answer()) seen.insert(RdfText(ldns_rr_rdf(rr, 0)));
  }
  CHECK(seen.size() > 10);  // random, not always the same three
  const Reply srv = f.Ask("web.service.discovery.", LDNS_RR_TYPE_SRV);
  CHECK(srv.answer().size() == 3);
  CHECK(SrvTargets(srv) == GlueOwners(srv));
  CHECK_FALSE(srv.tc());
  // TCP is not limited.
  CHECK(f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kTcp).answer().size() == 100);
}

TEST_CASE("a TCP answer holds all 2,000 A records", "[dns][size]") {
  DnsFixture f;
  f.SetInstances(Many(2000));
  const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kTcp);
  CHECK(r.answer().size() == 2000);
  CHECK(r.wire.size() == kPrefix + 2000 * kARecord);
  CHECK_FALSE(r.tc());
  CHECK_FALSE(r.result.truncated);
}

TEST_CASE("TCP SRV answers past 65535 bytes are a subset, no TC, counted", "[dns][size]") {
  DnsFixture f;
  f.SetInstances(Many(2000));
  const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_SRV, Transport::kTcp);
  CHECK(r.wire.size() <= dns::kMaxMessage);
  CHECK(r.wire.size() > dns::kMaxMessage - 100);
  CHECK_FALSE(r.tc());
  CHECK(r.result.truncated);
  // SRV records first (2+10+6+31 bytes each: ~1,330 fit), glue in what is left.
  CHECK(r.answer().size() > 1300);
  CHECK(r.answer().size() < 2000);
  CHECK(r.additional().size() < r.answer().size());
  // Glue is for the first SRV records, in answer order.
  const auto answers = r.answer();
  const auto glue = r.additional();
  for (size_t i = 0; i < glue.size(); ++i) {
    CHECK(RdfText(ldns_rr_owner(glue[i])) == RdfText(ldns_rr_rdf(answers[i], 3)));
  }
}

TEST_CASE("900 SRV with their glue fit in one TCP answer", "[dns][size]") {
  DnsFixture f;
  f.SetInstances(Many(900));
  const Reply r = f.Ask("_web._tcp.service.discovery.", LDNS_RR_TYPE_SRV, Transport::kTcp);
  CHECK(r.answer().size() == 900);
  CHECK(r.additional().size() == 900);
  CHECK_FALSE(r.result.truncated);
  // Past 16 KiB glue owners cannot point at their target; they are still the right names.
  CHECK(r.wire.size() > 0x4000);
  CHECK(SrvTargets(r) == GlueOwners(r));
}

}  // namespace
}  // namespace dnsd::testing
