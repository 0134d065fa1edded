#include "zones/zone.h"

#include <catch2/catch.hpp>

#include "zones/names.h"

namespace {

using zones::LookupKind;

zones::RRset A(uint8_t last, uint32_t ttl = 300) { return {1, ttl, {{10, 0, 0, last}}}; }

zones::Zone MakeZone() {
  return zones::Zone("example.com.", {
                                         {"example.com.", {A(1)}},
                                         {"www.example.com.", {A(2)}},
                                         {"a.b.c.example.com.", {A(3)}},
                                     });
}

}  // namespace

TEST_CASE("Lookup tells found names, empty non-terminals and NXDOMAIN apart", "[zones]") {
  zones::Zone zone = MakeZone();
  struct Case {
    const char* name;
    LookupKind kind;
  } cases[] = {
      {"example.com.", LookupKind::kFound},
      {"www.example.com.", LookupKind::kFound},
      {"a.b.c.example.com.", LookupKind::kFound},
      {"b.c.example.com.", LookupKind::kEmptyNonTerminal},
      {"c.example.com.", LookupKind::kEmptyNonTerminal},
      {"nope.example.com.", LookupKind::kNxDomain},
      {"x.www.example.com.", LookupKind::kNxDomain},
      {"z.a.b.c.example.com.", LookupKind::kNxDomain},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    zones::LookupResult r = zone.Lookup(c.name);
    CHECK(r.kind == c.kind);
    CHECK((r.node != nullptr) == (c.kind == LookupKind::kFound));
    if (r.node) CHECK(r.node->name == c.name);
  }
}

TEST_CASE("Zone merges nodes of the same name and keeps the smallest TTL", "[zones]") {
  zones::Zone zone("example.com.", {{"www.example.com.", {A(2, 300)}},
                                    {"WWW.Example.COM.", {A(3, 60), A(2, 100)}}});
  REQUIRE(zone.size() == 1);
  const zones::Node* node = zone.Lookup("www.example.com.").node;
  REQUIRE(node);
  const zones::RRset* a = node->Find(1);
  REQUIRE(a);
  CHECK(a->ttl == 60);
  CHECK(a->rdata.size() == 2);
  CHECK(node->Find(28) == nullptr);
  CHECK(zone.apex() == nullptr);
  CHECK(zone.soa() == nullptr);
}

TEST_CASE("An apex without records is an empty non-terminal when names exist below", "[zones]") {
  zones::Zone zone("db.discovery.", {{"pg.db.discovery.", {A(5)}}});
  CHECK(zone.Lookup("db.discovery.").kind == LookupKind::kEmptyNonTerminal);
  CHECK(zone.Lookup("pg.db.discovery.").kind == LookupKind::kFound);
}

TEST_CASE("ZoneSet finds the deepest zone holding a name", "[zones]") {
  std::vector<zones::Zone> list;
  list.emplace_back("example.com.", std::vector<zones::Node>{{"example.com.", {A(1)}}});
  list.emplace_back("sub.example.com.", std::vector<zones::Node>{{"sub.example.com.", {A(2)}}});
  list.emplace_back("other.", std::vector<zones::Node>{{"other.", {A(3)}}});
  zones::ZoneSet set(std::move(list));
  struct Case {
    const char* qname;
    const char* origin;  // nullptr: no zone
  } cases[] = {
      {"example.com.", "example.com."},
      {"www.example.com.", "example.com."},
      {"sub.example.com.", "sub.example.com."},
      {"x.y.sub.example.com.", "sub.example.com."},
      {"xsub.example.com.", "example.com."},
      {"other.", "other."},
      {"com.", nullptr},
      {"notexample.com.", nullptr},
      {".", nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.qname);
    const zones::Zone* zone = set.FindZone(c.qname);
    if (!c.origin) {
      CHECK(zone == nullptr);
    } else {
      REQUIRE(zone);
      CHECK(zone->origin() == c.origin);
    }
  }
  CHECK(zones::ZoneSet().FindZone("example.com.") == nullptr);
}

TEST_CASE("A root zone holds every name", "[zones]") {
  std::vector<zones::Zone> list;
  list.emplace_back(".", std::vector<zones::Node>{{"host.", {A(1)}}});
  zones::ZoneSet set(std::move(list));
  REQUIRE(set.FindZone("a.b.") != nullptr);
  CHECK(set.FindZone("a.b.")->origin() == ".");
}

TEST_CASE("Name helpers respect escaped dots", "[zones]") {
  CHECK(zones::ParentName("a.b.") == "b.");
  CHECK(zones::ParentName("b.") == ".");
  CHECK(zones::ParentName(".") == "");
  CHECK(zones::ParentName("a\\.b.c.") == "c.");
  CHECK(zones::ParentName("a\\\\.b.") == "b.");
  CHECK(zones::IsAtOrBelow("a.example.", "example."));
  CHECK(zones::IsAtOrBelow("example.", "example."));
  CHECK_FALSE(zones::IsAtOrBelow("a\\.example.", "example."));
  CHECK_FALSE(zones::IsAtOrBelow("xexample.", "example."));
  CHECK(zones::IsAtOrBelow("anything.", "."));
}

TEST_CASE("LoadError prints file:line: message", "[zones]") {
  CHECK(zones::LoadError{"a.zone", 3, "bad"}.ToString() == "a.zone:3: bad");
  CHECK(zones::LoadError{"a.zone", 0, "bad"}.ToString() == "a.zone: bad");
}
