// Packet-level rules of SPEC §2: malformed input, opcodes, classes, EDNS, REFUSED and
// forwarding.
#include <catch2/catch.hpp>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using dns::Disposition;
using dns::Transport;

class RulesFixture : public DnsFixture {
 public:
  RulesFixture() { SetInstances({MakeInstance("web", "web-1", "10.0.0.1")}); }

  // Answers a raw packet and checks the reply is a bare FORMERR with the ID echoed.
  void ExpectFormErr(const std::vector<uint8_t>& packet, uint16_t id = 0x1234) {
    std::vector<uint8_t> out;
    const dns::AnswerResult r = Raw(packet, Transport::kUdp, out);
    REQUIRE(r.disposition == Disposition::kReply);
    CHECK(r.rcode == 1);
    ldns_pkt* raw = nullptr;
    REQUIRE(ldns_wire2pkt(&raw, out.data(), out.size()) == LDNS_STATUS_OK);
    PktPtr pkt(raw);
    CHECK(ldns_pkt_get_rcode(pkt.get()) == LDNS_RCODE_FORMERR);
    CHECK(ldns_pkt_id(pkt.get()) == id);
    CHECK(ldns_pkt_qr(pkt.get()));
    CHECK(ldns_pkt_qdcount(pkt.get()) == 0);
  }
};

std::vector<uint8_t> HeaderOnly(uint16_t qdcount) {
  std::vector<uint8_t> q;
  Put16(q, 0x1234);
  Put16(q, 0x0100);
  Put16(q, qdcount);
  Put16(q, 0);
  Put16(q, 0);
  Put16(q, 0);
  return q;
}

TEST_CASE("packets too short for a header and responses (QR=1) are dropped", "[dns]") {
  RulesFixture f;
  std::vector<uint8_t> out;
  for (size_t n : {0, 1, 5, 11}) {
    const std::vector<uint8_t> shorty(n, 0);
    const dns::AnswerResult r = f.Raw(shorty, Transport::kUdp, out);
    CHECK(r.disposition == Disposition::kDrop);
    CHECK(r.size == 0);
  }
  std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  q[2] |= 0x80;  // QR
  CHECK(f.Raw(q, Transport::kUdp, out).disposition == Disposition::kDrop);
  CHECK(f.Raw(q, Transport::kTcp, out).disposition == Disposition::kDrop);
}

TEST_CASE("undecodable packets with a readable header get FORMERR", "[dns]") {
  RulesFixture f;
  SECTION("QDCOUNT 0") { f.ExpectFormErr(HeaderOnly(0)); }
  SECTION("QDCOUNT 2") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    const std::vector<uint8_t> question(q.begin() + 12, q.end());
    q.insert(q.end(), question.begin(), question.end());
    q[5] = 2;
    f.ExpectFormErr(q);
  }
  SECTION("header only, QDCOUNT 1") { f.ExpectFormErr(HeaderOnly(1)); }
  SECTION("label overruns the packet") {
    std::vector<uint8_t> q = HeaderOnly(1);
    q.push_back(40);
    q.insert(q.end(), {'a', 'b', 'c'});
    f.ExpectFormErr(q);
  }
  SECTION("name longer than 255 bytes") {
    std::vector<uint8_t> q = HeaderOnly(1);
    for (int i = 0; i < 5; ++i) {
      q.push_back(60);
      q.insert(q.end(), 60, 'a');
    }
    q.push_back(0);
    Put16(q, 1);
    Put16(q, 1);
    f.ExpectFormErr(q);
  }
  SECTION("compression pointer loop in the question") {
    std::vector<uint8_t> q = HeaderOnly(1);
    q.insert(q.end(), {0xC0, 12});  // points at itself
    Put16(q, 1);
    Put16(q, 1);
    f.ExpectFormErr(q);
  }
  SECTION("extended label type") {
    std::vector<uint8_t> q = HeaderOnly(1);
    q.insert(q.end(), {0x41, 'a', 0});
    Put16(q, 1);
    Put16(q, 1);
    f.ExpectFormErr(q);
  }
  SECTION("truncated question: no QTYPE/QCLASS") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    q.resize(q.size() - 3);
    f.ExpectFormErr(q);
  }
  SECTION("an additional record overruns the packet") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    q[11] = 1;
    q.insert(q.end(), {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1, 2});  // rdlen 9, 2 bytes
    f.ExpectFormErr(q);
  }
  SECTION("two OPT records") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    PutOpt(q, 1232, 0);
    PutOpt(q, 1232, 0);
    q[11] = 2;
    f.ExpectFormErr(q);
  }
  SECTION("OPT options overrun the rdata") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    PutOpt(q, 1232, 0);
    q[11] = 1;
    q[q.size() - 1] = 6;                     // rdlen 6
    q.insert(q.end(), {0, 10, 0, 8, 1, 2});  // option says 8 bytes, 2 present
    f.ExpectFormErr(q);
  }
  SECTION("OPT owner not the root") {
    std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
    q[11] = 1;
    q.insert(q.end(), {1, 'x', 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0});
    f.ExpectFormErr(q);
  }
}

TEST_CASE("opcodes other than QUERY get NOTIMP", "[dns]") {
  RulesFixture f;
  for (uint8_t opcode : {1, 2, 4, 5, 15}) {
    QueryOptions o;
    o.opcode = opcode;
    const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kUdp, o);
    CHECK(r.rcode() == LDNS_RCODE_NOTIMPL);
    CHECK(r.answer().empty());
    CHECK(((r.wire[2] >> 3) & 0xF) == opcode);  // ldns's enum cannot hold every opcode
  }
}

TEST_CASE("AXFR, IXFR and classes other than IN are REFUSED", "[dns]") {
  RulesFixture f;
  CHECK(f.Ask("discovery.", LDNS_RR_TYPE_AXFR).rcode() == LDNS_RCODE_REFUSED);
  CHECK(f.Ask("discovery.", LDNS_RR_TYPE_IXFR, Transport::kTcp).rcode() == LDNS_RCODE_REFUSED);
  for (uint16_t qclass : {3, 4, 254, 255}) {
    QueryOptions o;
    o.qclass = qclass;
    const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kUdp, o);
    CHECK(r.rcode() == LDNS_RCODE_REFUSED);
    CHECK_FALSE(r.aa());
  }
}

TEST_CASE("CH TXT version.bind and id.server are answered only with chaos on", "[dns]") {
  RulesFixture f;
  QueryOptions ch;
  ch.qclass = LDNS_RR_CLASS_CH;
  CHECK(f.Ask("version.bind.", LDNS_RR_TYPE_TXT, Transport::kUdp, ch).rcode() ==
        LDNS_RCODE_REFUSED);
  f.config.chaos = true;
  f.config.version = "dnsd 0.1.0";
  f.config.server_id = "node-7";
  const Reply v = f.Ask("VERSION.bind.", LDNS_RR_TYPE_TXT, Transport::kUdp, ch);
  CHECK(v.rcode() == 0);
  REQUIRE(v.answer().size() == 1);
  CHECK(RrText(v.answer()[0]) == "VERSION.bind. 0 CH TXT \"dnsd 0.1.0\"");
  const Reply id = f.Ask("id.server.", LDNS_RR_TYPE_TXT, Transport::kUdp, ch);
  REQUIRE(id.answer().size() == 1);
  CHECK(RdfText(ldns_rr_rdf(id.answer()[0], 0)) == "\"node-7\"");
  CHECK(f.Ask("hostname.bind.", LDNS_RR_TYPE_TXT, Transport::kUdp, ch).rcode() ==
        LDNS_RCODE_REFUSED);
}

TEST_CASE("names outside the domain and zones: REFUSED, or forwarded when configured", "[dns]") {
  RulesFixture f;
  const Reply refused = f.Ask("example.com.", LDNS_RR_TYPE_A);
  CHECK(refused.rcode() == LDNS_RCODE_REFUSED);
  CHECK_FALSE(refused.aa());
  CHECK_FALSE(refused.ra());
  CHECK(refused.answer().empty());
  // "discovery" as a label further left is not the domain.
  CHECK(f.Ask("discovery.example.com.", LDNS_RR_TYPE_A).rcode() == LDNS_RCODE_REFUSED);
  CHECK(f.Ask(".", LDNS_RR_TYPE_NS).rcode() == LDNS_RCODE_REFUSED);

  f.config.forwarding = true;
  std::vector<uint8_t> out;
  const dns::AnswerResult fwd =
      f.Raw(BuildQuery("example.com.", LDNS_RR_TYPE_A), Transport::kUdp, out);
  CHECK(fwd.disposition == Disposition::kForward);
  CHECK(fwd.size == 0);
  CHECK(fwd.qtype == LDNS_RR_TYPE_A);
  // Names in the domain are still ours.
  CHECK(f.Ask("web.service.discovery.", LDNS_RR_TYPE_A).answer().size() == 1);
}

TEST_CASE("EDNS: the OPT record is echoed last with our UDP size", "[dns]") {
  RulesFixture f;
  f.config.max_udp_size = 1400;
  QueryOptions o;
  o.edns = true;
  o.udp_size = 4096;
  for (uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_MX}) {
    const Reply r = f.Ask("web.service.discovery.", qtype, Transport::kUdp, o);
    CHECK(ldns_pkt_edns(r.pkt.get()));
    CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1400);
    CHECK(ldns_pkt_edns_version(r.pkt.get()) == 0);
    CHECK(r.OptIsLast());
  }
  const Reply refused = f.Ask("example.com.", LDNS_RR_TYPE_A, Transport::kUdp, o);
  CHECK(ldns_pkt_edns(refused.pkt.get()));
  const Reply plain = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A);
  CHECK_FALSE(ldns_pkt_edns(plain.pkt.get()));
  CHECK(ldns_pkt_arcount(plain.pkt.get()) == 0);
}

TEST_CASE("EDNS version above 0 gets BADVERS", "[dns]") {
  RulesFixture f;
  QueryOptions o;
  o.edns = true;
  o.edns_version = 1;
  const Reply r = f.Ask("web.service.discovery.", LDNS_RR_TYPE_A, Transport::kUdp, o);
  CHECK(r.rcode() == 16);
  CHECK(r.result.rcode == 16);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == 0);  // the low bits; the rest is in the OPT
  CHECK(ldns_pkt_edns_extended_rcode(r.pkt.get()) == 1);
  CHECK(r.answer().empty());
  CHECK(r.OptIsLast());
}

TEST_CASE("unknown EDNS options are ignored", "[dns]") {
  RulesFixture f;
  std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  PutOpt(q, 1232, 0);
  q[11] = 1;
  q[q.size() - 1] = 6;
  q.insert(q.end(), {0xFD, 0xE9, 0, 2, 0xAB, 0xCD});  // option 65001, 2 bytes
  const Reply r = f.Send(q);
  CHECK(r.rcode() == 0);
  CHECK(r.answer().size() == 1);
  CHECK(ldns_pkt_edns(r.pkt.get()));
}

TEST_CASE("records the query carries in answer/authority are skipped", "[dns]") {
  RulesFixture f;
  std::vector<uint8_t> q = BuildQuery("web.service.discovery.", LDNS_RR_TYPE_A);
  q[7] = 1;  // ANCOUNT: a record whose owner points at the question
  q.insert(q.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4});
  const Reply r = f.Send(q);
  CHECK(r.rcode() == 0);
  CHECK(r.answer().size() == 1);
}

}  // namespace
}  // namespace dnsd::testing
