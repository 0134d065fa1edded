#include <catch2/catch.hpp>
#include <ctime>

#include "zones/zone.h"

namespace {

using Bytes = std::vector<uint8_t>;

std::vector<std::string> Messages(const zones::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.ToString());
  return out;
}

const zones::RRset* Find(const zones::ZoneSet& set, const std::string& name, uint16_t type) {
  const zones::Zone* zone = set.FindZone(name);
  if (!zone) return nullptr;
  auto r = zone->Lookup(name);
  return r.node ? r.node->Find(type) : nullptr;
}

const char* kGood = R"(; a complete zone
$TTL 300
@       IN SOA ns hostmaster (
            2024010101 ; serial
            3600 600 86400 60 )
        IN NS  ns
ns         A   10.0.0.1
WWW        A   10.0.0.2
www    100 A   10.0.0.3
           AAAA 2001:db8::2
mail       MX  10 Mail.Example.COM.
alias      CNAME www
txt        TXT "hello world" "two"
a.b.c      TXT "deep"
_pg._tcp   SRV 1 2 5432 db.example.com.
$ORIGIN sub
host       A   10.1.1.1
)";

}  // namespace

TEST_CASE("A master file loads with owners lower-cased and one TTL per RRset", "[zones]") {
  auto r = zones::ParseMasterFile(kGood, "example.com.zone", "discovery.");
  REQUIRE(Messages(r).empty());
  REQUIRE(r.zones);
  REQUIRE(r.zones->zones().size() == 1);
  const zones::Zone& zone = r.zones->zones()[0];
  CHECK(zone.origin() == "example.com.");
  REQUIRE(zone.soa());
  CHECK(zone.soa()->ttl == 300);

  const zones::RRset* a = Find(*r.zones, "www.example.com.", 1);
  REQUIRE(a);
  CHECK(a->ttl == 100);  // the smallest of 300 and 100
  CHECK(a->rdata == std::vector<Bytes>{{10, 0, 0, 2}, {10, 0, 0, 3}});
  const zones::RRset* aaaa = Find(*r.zones, "www.example.com.", 28);
  REQUIRE(aaaa);
  CHECK(aaaa->rdata[0] == Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});

  // Names in rdata keep their case; owners do not.
  const zones::RRset* mx = Find(*r.zones, "mail.example.com.", 15);
  REQUIRE(mx);
  CHECK(mx->rdata[0] == Bytes{0,   10,  4,   'M', 'a', 'i', 'l', 7,   'E', 'x',
                              'a', 'm', 'p', 'l', 'e', 3,   'C', 'O', 'M', 0});
  const zones::RRset* cname = Find(*r.zones, "alias.example.com.", 5);
  REQUIRE(cname);
  CHECK(cname->rdata[0] ==
        Bytes{3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
  const zones::RRset* txt = Find(*r.zones, "txt.example.com.", 16);
  REQUIRE(txt);
  CHECK(txt->rdata[0] ==
        Bytes{11, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', 3, 't', 'w', 'o'});
  const zones::RRset* srv = Find(*r.zones, "_pg._tcp.example.com.", 33);
  REQUIRE(srv);
  CHECK(srv->rdata[0].size() == 6 + 16);
  CHECK(Find(*r.zones, "host.sub.example.com.", 1) != nullptr);  // relative $ORIGIN
  CHECK(zone.Lookup("b.c.example.com.").kind == zones::LookupKind::kEmptyNonTerminal);
  CHECK(zone.Lookup("sub.example.com.").kind == zones::LookupKind::kEmptyNonTerminal);
  CHECK(zone.Lookup("_tcp.example.com.").kind == zones::LookupKind::kEmptyNonTerminal);
  CHECK(zone.Lookup("nope.example.com.").kind == zones::LookupKind::kNxDomain);
}

TEST_CASE("The origin comes from the SOA, then $ORIGIN, then the file name", "[zones]") {
  struct Case {
    const char* text;
    const char* file;
    const char* origin;
  } cases[] = {
      {"corp.example. 60 IN SOA ns hm 1 2 3 4 5\nhost A 10.0.0.1\n", "x.zone", "corp.example."},
      {"$ORIGIN Lab.Example.\nhost A 10.0.0.1\n", "x.zone", "lab.example."},
      {"host A 10.0.0.1\n", "dir/Internal.Example.zone", "internal.example."},
      {"host A 10.0.0.1", "legacy.zone", "legacy."},
      {"", "empty.example.zone", "empty.example."},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text, c.file);
    auto r = zones::ParseMasterFile(c.text, c.file, "discovery.");
    REQUIRE(Messages(r).empty());
    REQUIRE(r.zones->zones().size() == 1);
    CHECK(r.zones->zones()[0].origin() == c.origin);
  }
}

TEST_CASE("A zone without an SOA outside the service domain gets a generated one", "[zones]") {
  uint32_t before = static_cast<uint32_t>(std::time(nullptr));
  auto r = zones::ParseMasterFile("db A 10.0.0.5\n", "internal.example.zone", "discovery.");
  uint32_t after = static_cast<uint32_t>(std::time(nullptr));
  REQUIRE(r.zones);
  const zones::RRset* soa = r.zones->zones()[0].soa();
  REQUIRE(soa);
  REQUIRE(soa->rdata.size() == 1);
  const Bytes& rd = soa->rdata[0];
  Bytes names = {2,   'n', 's', 8,   'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 7,
                 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,   10,  'h', 'o', 's', 't',
                 'm', 'a', 's', 't', 'e', 'r', 8,   'i', 'n', 't', 'e', 'r', 'n',
                 'a', 'l', 7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  REQUIRE(rd.size() == names.size() + 20);
  CHECK(Bytes(rd.begin(), rd.begin() + names.size()) == names);
  auto u32 = [&](size_t at) {
    return uint32_t{rd[at]} << 24 | uint32_t{rd[at + 1]} << 16 | uint32_t{rd[at + 2]} << 8 |
           rd[at + 3];
  };
  size_t t = names.size();
  CHECK(u32(t) >= before);
  CHECK(u32(t) <= after);
  CHECK(u32(t + 4) == 3600);
  CHECK(u32(t + 8) == 600);
  CHECK(u32(t + 12) == 86400);
  CHECK(u32(t + 16) == 60);
}

TEST_CASE("Zones at or below the service domain get no generated SOA", "[zones]") {
  for (const char* origin : {"discovery.", "db.discovery.", "a.b.Discovery."}) {
    CAPTURE(origin);
    std::string text = std::string("$ORIGIN ") + origin + "\npg A 10.0.0.5\n";
    auto r = zones::ParseMasterFile(text, "x.zone", "Discovery");
    REQUIRE(r.zones);
    const zones::Zone& zone = r.zones->zones()[0];
    CHECK(zone.soa() == nullptr);
    CHECK(zone.Lookup("pg." + zone.origin()).kind == zones::LookupKind::kFound);
  }
}

TEST_CASE("Bad master files report every problem with file and line", "[zones]") {
  struct Case {
    const char* text;
    std::vector<std::string> errors;
  } cases[] = {
      {"ok A 10.0.0.1\nbad A 10.0.0\n\n; c\nbad2 AAAA nope\n",
       {"t.zone:2: Syntax error, could not parse the RR's rdata: bad A 10.0.0",
        "t.zone:5: Syntax error, could not parse the RR's rdata: bad2 AAAA nope"}},
      {"x CH TXT \"a\"\n", {"t.zone:1: only class IN is supported: x CH TXT \"a\""}},
      {"*.w A 10.0.0.1\n", {"t.zone:1: wildcard names are not supported (*.w.t.): *.w A 10.0.0.1"}},
      {"$INCLUDE other.zone\n", {"t.zone:1: $INCLUDE is not supported: $INCLUDE other.zone"}},
      {"x A\n", {"t.zone:1: Syntax error, value expected: x A"}},
      {"\n\nx A 1.1.1.1 extra\n",
       {"t.zone:3: Syntax error, superfluous text present: x A 1.1.1.1 extra"}},
      {"host.elsewhere. A 10.0.0.1\n", {"t.zone:1: host.elsewhere. is outside the zone t."}},
      {"a CNAME b\na A 10.0.0.1\n",
       {"t.zone:2: CNAME and other data at a.t. (first record at t.zone:1)"}},
      {"a CNAME b\na CNAME c\n",
       {"t.zone:2: a second, different CNAME record at a.t. (first at t.zone:1)"}},
      {"sub NS ns.other.\n",
       {"t.zone:1: NS record at sub.t.: delegations are not supported (NS records belong at "
        "the zone origin)"}},
      {"@ SOA ns hm 1 2 3 4 5\n@ SOA ns hm 2 2 3 4 5\n",
       {"t.zone:2: a second, different SOA record at t. (first at t.zone:1)"}},
      {"@ SOA ns hm 1 2 3 4 5\nsub SOA ns hm 1 2 3 4 5\n",
       {"t.zone:2: SOA record at sub.t. is not at the zone origin t."}},
      {"@ CNAME elsewhere.\n",
       {"t.zone:1: CNAME at the zone origin t. (the zone needs an SOA there)"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = zones::ParseMasterFile(c.text, "t.zone", "discovery.");
    CHECK(Messages(r) == c.errors);
    CHECK(r.zones == nullptr);
  }
}

TEST_CASE("The same record twice is kept once", "[zones]") {
  auto r = zones::ParseMasterFile("a A 10.0.0.1\na 60 A 10.0.0.1\n", "t.zone", "");
  REQUIRE(r.zones);
  const zones::RRset* a = Find(*r.zones, "a.t.", 1);
  REQUIRE(a);
  CHECK(a->rdata.size() == 1);
  CHECK(a->ttl == 60);
}
