// The hand-written wire layer: names, question and EDNS parsing, the Writer's
// compression and whole-record rollback; plus random packets never crash Answer().
#include "dnsd/dns/wire.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/dns/dns_test_util.h"

namespace dnsd::testing {
namespace {

using dns::Name;

std::string Text(const Name& n) {
  dns::NameText t;
  dns::ToText(n, t);
  return std::string(t.view());
}

TEST_CASE("Name lower-cases, bounds labels and names, and finds suffixes", "[dns][wire]") {
  const auto n = Name::FromText("Web.Service.Discovery.");
  REQUIRE(n);
  CHECK(n->label_count() == 3);
  CHECK(n->label(0) == "web");
  CHECK(Text(*n) == "web.service.discovery.");
  CHECK(n->wire_size() == 23);
  const auto d = Name::FromText("discovery");
  size_t above = 0;
  CHECK(n->IsAtOrBelow(*d, &above));
  CHECK(above == 2);
  CHECK_FALSE(d->IsAtOrBelow(*n));
  CHECK_FALSE(Name::FromText("xdiscovery.")->IsAtOrBelow(*d));
  CHECK(Name::FromText(".")->label_count() == 0);
  CHECK(Text(*Name::FromText(".")) == ".");
  CHECK_FALSE(Name::FromText("a..b."));
  CHECK_FALSE(Name::FromText(std::string(64, 'a') + "."));
  CHECK(Name::FromText(std::string(63, 'a') + "."));
  Name big;
  for (int i = 0; i < 3; ++i) CHECK(big.Append(std::string(63, 'x')));
  CHECK(big.Append(std::string(61, 'x')));  // 4 * 64 - 2 + 1 = 255
  CHECK(big.wire_size() == 255);
  CHECK_FALSE(big.Append("y"));
}

TEST_CASE("ToText escapes as ldns does", "[dns][wire]") {
  Name n;
  REQUIRE(n.Append(std::string("a.b\\c", 5)));
  REQUIRE(n.Append(std::string("\x01 z", 3)));
  CHECK(Text(n) == "a\\.b\\\\c.\\001\\032z.");
}

TEST_CASE("FromWire reads an uncompressed rdata name", "[dns][wire]") {
  const std::vector<uint8_t> wire = {2, 'D', 'b', 3, 'c', 'o', 'm', 0};
  CHECK(Text(*Name::FromWire(wire)) == "db.com.");
  CHECK_FALSE(Name::FromWire(std::vector<uint8_t>{2, 'a'}));
  CHECK_FALSE(Name::FromWire(std::vector<uint8_t>{0xC0, 0}));
}

TEST_CASE("ParseQuestion keeps the client's bytes and a lower-case name", "[dns][wire]") {
  const std::vector<uint8_t> q = BuildQuery("Foo.Bar.", 33, QueryOptions{});
  dns::Question question;
  REQUIRE(dns::ParseQuestion(q, question));
  CHECK(Text(question.name) == "foo.bar.");
  CHECK(question.qtype == 33);
  CHECK(question.qclass == 1);
  CHECK(question.end == q.size());
  CHECK(q[13] == 'F');
}

TEST_CASE("ParseRecords finds the OPT record", "[dns][wire]") {
  QueryOptions o;
  o.edns = true;
  o.udp_size = 1400;
  const std::vector<uint8_t> q = BuildQuery("a.", 1, o);
  dns::Question question;
  REQUIRE(dns::ParseQuestion(q, question));
  dns::Edns edns;
  REQUIRE(dns::ParseRecords(q, *dns::ParseHeader(q), question.end, edns));
  CHECK(edns.present);
  CHECK(edns.udp_size == 1400);
  CHECK(edns.version == 0);
}

TEST_CASE("Writer compresses repeated names and rolls back whole records", "[dns][wire]") {
  std::vector<uint8_t> buf(64);
  dns::Writer w(buf, 40);
  const Name a = *Name::FromText("x.example.");
  const Name b = *Name::FromText("y.EXAMPLE.");
  w.WriteName(a);
  CHECK(w.pos() == 11);
  w.WriteName(a);  // all of it: a pointer
  CHECK(w.pos() == 13);
  CHECK(buf[11] == 0xC0);
  CHECK(buf[12] == 0);
  w.WriteName(b);  // "y" + pointer to "example."
  CHECK(w.pos() == 17);
  CHECK(buf[15] == 0xC0);
  CHECK(buf[16] == 2);
  const dns::Writer::Mark m = w.Save();
  w.Bytes(std::vector<uint8_t>(30, 1));
  CHECK(w.overflow());
  w.Rewind(m);
  CHECK_FALSE(w.overflow());
  CHECK(w.pos() == 17);
  CHECK(w.TryReserve(20));
  CHECK_FALSE(w.TryReserve(4));
  w.U32(7);
  CHECK(w.overflow());  // 17 + 20 reserved + 4 > 40
}

TEST_CASE("random and mutated packets never crash and give drop, FORMERR or a reply",
          "[dns][wire]") {
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
