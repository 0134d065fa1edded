#include <catch2/catch.hpp>

#include "zones/zone.h"

namespace {

using Bytes = std::vector<uint8_t>;

std::vector<std::string> Messages(const zones::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.ToString());
  return out;
}

const char* kSpecExample = R"(origin: internal.example.     # a zone of its own, or a name inside D
ttl: 300                      # default for its records
records:
  - {name: db, type: A, data: 10.0.0.5}
  - {name: _pg._tcp.db, type: SRV, data: "1 1 5432 db.internal.example."}
  - {name: legacy, type: CNAME, data: old-host.internal.example., ttl: 60}
  - name: "@"
    type: MX
    data: 10 Mail
  - {name: Abs.Internal.Example., type: TXT, data: '"v=1" "x"'}
)";

}  // namespace

TEST_CASE("The YAML zone of SPEC section 6 loads", "[zones]") {
  auto r = zones::ParseYamlZone(kSpecExample, "internal.yaml", "discovery.");
  REQUIRE(Messages(r).empty());
  const zones::Zone& zone = r.zones->zones().at(0);
  CHECK(zone.origin() == "internal.example.");
  CHECK(zone.soa() != nullptr);  // generated: outside the service domain

  auto db = zone.Lookup("db.internal.example.");
  REQUIRE(db.kind == zones::LookupKind::kFound);
  REQUIRE(db.node->Find(1));
  CHECK(db.node->Find(1)->ttl == 300);
  CHECK(db.node->Find(1)->rdata[0] == Bytes{10, 0, 0, 5});

  auto srv = zone.Lookup("_pg._tcp.db.internal.example.");
  REQUIRE(srv.node);
  Bytes want = {0,   1,   0,   1,   0x15, 0x38, 2,   'd', 'b', 8,   'i', 'n', 't', 'e',
                'r', 'n', 'a', 'l', 7,    'e',  'x', 'a', 'm', 'p', 'l', 'e', 0};
  CHECK(srv.node->Find(33)->rdata[0] == want);

  auto legacy = zone.Lookup("legacy.internal.example.");
  REQUIRE(legacy.node);
  CHECK(legacy.node->Find(5)->ttl == 60);

  const zones::RRset* mx = zone.apex()->Find(15);
  REQUIRE(mx);  // relative data names are completed with the origin, case kept
  CHECK(mx->rdata[0] == Bytes{0,   10,  4,   'M', 'a', 'i', 'l', 8,   'i', 'n', 't', 'e', 'r',
                              'n', 'a', 'l', 7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 0});
  CHECK(zone.Lookup("abs.internal.example.").node != nullptr);
  CHECK(zone.Lookup("_tcp.db.internal.example.").kind == zones::LookupKind::kEmptyNonTerminal);
}

TEST_CASE("YAML records inside the service domain need no SOA", "[zones]") {
  auto r = zones::ParseYamlZone(
      "origin: db.discovery.\nrecords:\n  - {name: pg, type: A, data: 10.0.0.7}\n", "db.yaml",
      "discovery.");
  REQUIRE(Messages(r).empty());
  const zones::Zone& zone = r.zones->zones().at(0);
  CHECK(zone.soa() == nullptr);
  CHECK(zone.Lookup("pg.db.discovery.").node->Find(1)->ttl == 3600);  // the default TTL
  CHECK(zone.Lookup("db.discovery.").kind == zones::LookupKind::kEmptyNonTerminal);
}

TEST_CASE("Bad YAML zones name file, line and key", "[zones]") {
  struct Case {
    const char* text;
    std::vector<std::string> errors;
  } cases[] = {
      {"origin: a.\nrecords: [\n", {"b.yaml:3: YAML syntax error: end of sequence flow not found"}},
      {"ttl: 5\n", {"b.yaml:1: origin: missing (the zone's name, e.g. internal.example.)"}},
      {"- a\n", {"b.yaml:1: the file must be a map with origin, ttl and records"}},
      {"origin: a.\nbogus: 1\n", {"b.yaml:2: bogus: unknown key (expected origin, ttl, records)"}},
      {"origin: [a]\n", {"b.yaml:1: origin: must be a domain name, e.g. internal.example."}},
      {"origin: a.\nttl: -5\n",
       {"b.yaml:2: ttl: must be a whole number of seconds from 0 to 2147483647"}},
      {"origin: a.\nrecords: {name: x}\n",
       {"b.yaml:2: records: must be a list of {name, type, data, ttl} maps"}},
      {"origin: a.\nrecords:\n  - just text\n",
       {"b.yaml:3: records[0]: must be a map with name, type and data"}},
      {"origin: a.\nrecords:\n  - {name: x, type: A, data: 10.0.0.1, color: red}\n",
       {"b.yaml:3: records[0].color: unknown key (expected name, type, data, ttl)"}},
      {"origin: a.\nrecords:\n  - {name: x, type: A}\n", {"b.yaml:3: records[0].data: missing"}},
      {"origin: a.\nrecords:\n  - {name: x, type: BOGUS, data: 1}\n",
       {"b.yaml:3: records[0].type: unknown record type \"BOGUS\""}},
      {"origin: a.\nrecords:\n  - {name: x y, type: A, data: 10.0.0.1}\n",
       {"b.yaml:3: records[0].name: must be a single word"}},
      {"origin: a.\nrecords:\n  - {name: x, type: A, data: 10.0.0.1, ttl: 1h}\n",
       {"b.yaml:3: records[0].ttl: must be a whole number of seconds from 0 to 2147483647"}},
      {"origin: a.\nrecords:\n  - {name: x, type: A, data: [10.0.0.1]}\n",
       {"b.yaml:3: records[0].data: must be one line of record data, as in a zone file"}},
      {"origin: a.\nrecords:\n  - name: x\n    type: A\n    data: 10.0.0\n",
       {"b.yaml:5: records[0].data: Syntax error, could not parse the RR's rdata: \"A 10.0.0\""}},
      {"origin: a.\nrecords:\n  - {name: x.b., type: A, data: 10.0.0.1}\n",
       {"b.yaml:3: records[0].name: x.b. is outside the zone a."}},
      {"origin: a.\nrecords:\n  - {name: x, type: ANY, data: 10.0.0.1}\n",
       {"b.yaml:3: records[0].type: type ANY cannot be stored in a zone"}},
      {"origin: a.\nrecords:\n  - {name: x, type: CNAME, data: y}\n  - {name: x, type: A, "
       "data: 10.0.0.1}\n",
       {"b.yaml:4: CNAME and other data at x.a. (first record at b.yaml:3)"}},
      // Every problem is reported, not only the first.
      {"origin: a.\nrecords:\n  - {name: x, type: A, data: 1}\n  - {nme: y}\n",
       {"b.yaml:3: records[0].data: Syntax error, could not parse the RR's rdata: \"A 1\"",
        "b.yaml:4: records[1].nme: unknown key (expected name, type, data, ttl)",
        "b.yaml:4: records[1].name: missing", "b.yaml:4: records[1].type: missing",
        "b.yaml:4: records[1].data: missing"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = zones::ParseYamlZone(c.text, "b.yaml", "discovery.");
    CHECK(Messages(r) == c.errors);
    CHECK(r.zones == nullptr);
  }
}
