// The wire library: names, question and EDNS parsing, skipping compressed names, the
// Writer's compression and whole-record rollback.
#include "dnsd/wire/wire.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/query_builder.h"

namespace dnsd::testing {
namespace {

using wire::Name;

std::string Text(const Name& n) {
  wire::NameText t;
  wire::ToText(n, t);
  return std::string(t.view());
}

TEST_CASE("Name lower-cases, bounds labels and names, and finds suffixes", "[wire]") {
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

TEST_CASE("ToText escapes as ldns does", "[wire]") {
  Name n;
  REQUIRE(n.Append(std::string("a.b\\c", 5)));
  REQUIRE(n.Append(std::string("\x01 z", 3)));
  CHECK(Text(n) == "a\\.b\\\\c.\\001\\032z.");
}

TEST_CASE("FromWire reads an uncompressed rdata name", "[wire]") {
  const std::vector<uint8_t> wire = {2, 'D', 'b', 3, 'c', 'o', 'm', 0};
  CHECK(Text(*Name::FromWire(wire)) == "db.com.");
  CHECK_FALSE(Name::FromWire(std::vector<uint8_t>{2, 'a'}));
  CHECK_FALSE(Name::FromWire(std::vector<uint8_t>{0xC0, 0}));
}

TEST_CASE("ParseQuestion keeps the client's bytes and a lower-case name", "[wire]") {
  const std::vector<uint8_t> q = BuildQuery("Foo.Bar.", 33, QueryOptions{});
  wire::Question question;
  REQUIRE(wire::ParseQuestion(q, question));
  CHECK(Text(question.name) == "foo.bar.");
  CHECK(question.qtype == 33);
  CHECK(question.qclass == 1);
  CHECK(question.end == q.size());
  CHECK(q[13] == 'F');
}

TEST_CASE("ParseRecords finds the OPT record", "[wire]") {
  QueryOptions o;
  o.edns = true;
  o.udp_size = 1400;
  const std::vector<uint8_t> q = BuildQuery("a.", 1, o);
  wire::Question question;
  REQUIRE(wire::ParseQuestion(q, question));
  wire::Edns edns;
  REQUIRE(wire::ParseRecords(q, *wire::ParseHeader(q), question.end, edns));
  CHECK(edns.present);
  CHECK(edns.udp_size == 1400);
  CHECK(edns.version == 0);
}

struct NameCase {
  const char* what;
  std::vector<uint8_t> bytes;
  size_t length;  // NameLength: 0 = rejected
};

// count labels of size bytes each, then the root.
std::vector<uint8_t> Labels(size_t count, size_t size) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += static_cast<char>(size) + std::string(size, 'x');
  text.push_back('\0');
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST_CASE("ReadName and NameLength accept exactly the names a question may hold", "[wire]") {
  const NameCase cases[] = {
      {"root", {0}, 1},
      {"a.bc", {1, 'a', 2, 'b', 'c', 0}, 6},
      {"no root", {1, 'a', 2, 'b', 'c'}, 0},
      {"label past the end", {5, 'a'}, 0},
      {"empty", {}, 0},
      {"pointer", {0xC0, 0x0C}, 0},
      {"pointer after a label", {1, 'a', 0xC0, 0x0C}, 0},
      {"extended label type", {0x41, 'a', 0}, 0},
      {"63-byte label", Labels(1, 63), 65},
      {"64-byte label", Labels(1, 64), 0},
      {"255 bytes",
       [] {
         auto n = Labels(3, 63);
         n.pop_back();
         auto tail = Labels(1, 61);
         n.insert(n.end(), tail.begin(), tail.end());
         return n;
       }(),
       255},
      {"256 bytes",
       [] {
         auto n = Labels(3, 63);
         n.pop_back();
         auto tail = Labels(1, 62);
         n.insert(n.end(), tail.begin(), tail.end());
         return n;
       }(),
       0},
  };
  for (const NameCase& c : cases) {
    CAPTURE(c.what);
    CHECK(wire::NameLength(c.bytes, 0) == c.length);
    std::string seen;
    const size_t end = wire::ReadName(c.bytes, 0, [&](const uint8_t* label, size_t len) {
      seen += std::string(reinterpret_cast<const char*>(label), len) + ".";
    });
    CHECK(end == c.length);
    if (c.length > 0) CHECK(seen.size() + 1 == c.length);  // "label." each, then the root
  }
  const std::vector<uint8_t> shifted = {9, 9, 1, 'a', 0};  // at an offset
  CHECK(wire::NameLength(shifted, 2) == 3);
  CHECK(wire::ReadName(shifted, 2, [](const uint8_t*, size_t) {}) == 5);
}

TEST_CASE("SkipName stops at a pointer without following it", "[wire]") {
  bool root = false;
  const std::vector<uint8_t> msg = {0, 1, 'a', 0xC0, 0x00, 1, 'b', 0};
  CHECK(wire::SkipName(msg, 0, &root) == 1);
  CHECK(root);
  CHECK(wire::SkipName(msg, 1, &root) == 5);  // "a" then a pointer
  CHECK_FALSE(root);
  CHECK(wire::SkipName(msg, 5) == 8);
  CHECK(wire::SkipName(std::vector<uint8_t>{0xC0}, 0) == 0);        // pointer cut short
  CHECK(wire::SkipName(std::vector<uint8_t>{0x80, 1, 0}, 0) == 0);  // extended label type
  CHECK(wire::SkipName(std::vector<uint8_t>{3, 'a'}, 0) == 0);
  auto big = Labels(5, 63);  // 321 bytes
  CHECK(wire::SkipName(big, 0) == 0);
}

TEST_CASE("big-endian helpers, record fields and the OPT record round-trip", "[wire]") {
  uint8_t b[wire::kOptRecordSize] = {};
  wire::Put32(b, 0x01020304);
  CHECK(wire::Get16(b) == 0x0102);
  CHECK(wire::Get16(b + 2) == 0x0304);
  CHECK(wire::Lower('Q') == 'q');
  CHECK(wire::Lower('@') == '@');
  CHECK(wire::Lower(0xC4) == 0xC4);
  wire::PutOpt(b, 1232, 1);
  CHECK(b[0] == 0);
  const wire::RecordFields rr = wire::ReadRecordFields(b + 1);
  CHECK(rr.type == wire::kTypeOpt);
  CHECK(rr.rclass == 1232);
  CHECK(rr.ttl == 0x01000000u);  // extended rcode 1 (BADVERS = 16), version 0
  CHECK(rr.rdlength == 0);
}

TEST_CASE("OPT options must tile the rdata", "[wire]") {
  const std::vector<uint8_t> two = {0, 10, 0, 2, 'a', 'b', 0, 8, 0, 0};
  CHECK(wire::OptionsWellFormed(two, 0, two.size()));
  CHECK(wire::OptionsWellFormed(two, 0, 0));
  CHECK_FALSE(wire::OptionsWellFormed(two, 0, 5));  // the first option's data cut
  CHECK_FALSE(wire::OptionsWellFormed(two, 0, 9));  // a second header cut
  CHECK(wire::OptionsWellFormed(two, 6, 4));
}

TEST_CASE("ParseQuestion rejects what ReadName rejects and short type/class", "[wire]") {
  std::vector<uint8_t> q = BuildQuery("a.b.", 1, QueryOptions{});
  wire::Question question;
  REQUIRE(wire::ParseQuestion(q, question));
  CHECK(question.end == q.size());
  q.pop_back();  // QCLASS cut short
  CHECK_FALSE(wire::ParseQuestion(q, question));
  q = BuildQuery("a.b.", 1, QueryOptions{});
  q[12] = 0xC0;  // a pointer as the first label
  CHECK_FALSE(wire::ParseQuestion(q, question));
  CHECK_FALSE(wire::ParseQuestion(std::vector<uint8_t>(12, 0), question));
}

TEST_CASE("ParseHeader reads the fields and the flag bits", "[wire]") {
  QueryOptions o;
  o.id = 0xABCD;
  o.opcode = 2;
  const std::vector<uint8_t> q = BuildQuery("a.", 1, o);
  const auto h = wire::ParseHeader(q);
  REQUIRE(h);
  CHECK(h->id == 0xABCD);
  CHECK(h->opcode() == 2);
  CHECK(h->rd());
  CHECK_FALSE(h->qr());
  CHECK_FALSE(h->aa());
  CHECK(h->qdcount == 1);
  CHECK_FALSE(wire::ParseHeader(std::vector<uint8_t>(11, 0)));
}

TEST_CASE("Writer compresses repeated names and rolls back whole records", "[wire]") {
  std::vector<uint8_t> buf(64);
  wire::Writer w(buf, 40);
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
  const wire::Writer::Mark m = w.Save();
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

}  // namespace
}  // namespace dnsd::testing
