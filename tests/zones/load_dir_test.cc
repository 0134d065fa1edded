#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "zones/zone.h"

namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed with its files at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("dnsd-zones-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }

 private:
  fs::path path_;
};

std::vector<std::string> Messages(const zones::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.ToString());
  return out;
}

}  // namespace

TEST_CASE("LoadZoneDir loads .zone and .yaml files and merges the same origin", "[zones]") {
  TempDir dir;
  dir.Write("b.example.zone", "host A 10.0.0.1\n");
  dir.Write("more-b.yaml",
            "origin: b.example.\nrecords:\n  - {name: other, type: A, data: 10.0.0.2}\n"
            "  - {name: host, type: A, data: 10.0.0.1, ttl: 30}\n");
  dir.Write("db.yaml",
            "origin: db.discovery.\nrecords:\n  - {name: pg, type: A, data: 10.0.0.3}\n");
  dir.Write("README.md", "not a zone");
  auto r = zones::LoadZoneDir(dir.path().string(), "discovery.");
  REQUIRE(Messages(r).empty());
  REQUIRE(r.zones);
  REQUIRE(r.zones->zones().size() == 2);
  const zones::Zone* b = r.zones->FindZone("host.b.example.");
  REQUIRE(b);
  CHECK(b->soa() != nullptr);
  const zones::RRset* host = b->Lookup("host.b.example.").node->Find(1);
  CHECK(host->rdata.size() == 1);
  CHECK(host->ttl == 30);
  CHECK(b->Lookup("other.b.example.").kind == zones::LookupKind::kFound);
  const zones::Zone* db = r.zones->FindZone("pg.db.discovery.");
  REQUIRE(db);
  CHECK(db->soa() == nullptr);
}

TEST_CASE("LoadZoneDir collects the errors of every file", "[zones]") {
  TempDir dir;
  dir.Write("a.zone", "x A 10.0.0\n");
  dir.Write("b.yaml", "origin: b.\nrecords:\n  - {name: y, type: A, data: 10.0.0.1, x: 1}\n");
  dir.Write("c.zone", "c.example. 60 IN SOA ns hm 1 2 3 4 5\n");
  dir.Write("d.yaml",
            "origin: c.example.\nrecords:\n  - {name: '@', type: SOA, data: ns hm 2 2 3 4 5}\n");
  auto r = zones::LoadZoneDir(dir.path().string(), "discovery.");
  std::string p = dir.path().string() + "/";
  CHECK(
      Messages(r) ==
      std::vector<std::string>{
          p + "a.zone:1: Syntax error, could not parse the RR's rdata: x A 10.0.0",
          p + "b.yaml:3: records[0].x: unknown key (expected name, type, data, ttl)",
          p + "d.yaml:3: a second, different SOA record at c.example. (first at " + p + "c.zone:1)",
      });
  CHECK(r.zones == nullptr);
}

TEST_CASE("A missing or empty zones dir is empty unless it was asked for", "[zones]") {
  TempDir dir;
  auto empty = zones::LoadZoneDir(dir.path().string(), "discovery.");
  REQUIRE(empty.zones);
  CHECK(empty.zones->empty());

  std::string missing = (dir.path() / "nope").string();
  auto allowed = zones::LoadZoneDir(missing, "discovery.", true);
  REQUIRE(allowed.zones);
  CHECK(allowed.zones->empty());
  auto none = zones::LoadZoneDir("", "discovery.", true);
  REQUIRE(none.zones);
  CHECK(none.zones->empty());

  auto refused = zones::LoadZoneDir(missing, "discovery.", false);
  CHECK(refused.zones == nullptr);
  CHECK(Messages(refused) ==
        std::vector<std::string>{missing + ": zones directory does not exist"});
}

TEST_CASE("The example zone files load cleanly", "[zones]") {
  fs::path examples =
      fs::path(__FILE__).parent_path().parent_path().parent_path() / "examples" / "zones";
  REQUIRE(fs::is_directory(examples));
  auto r = zones::LoadZoneDir(examples.string(), "discovery.", false);
  REQUIRE(Messages(r).empty());
  REQUIRE(r.zones);
  const zones::Zone* zone = r.zones->FindZone("db.internal.example.");
  REQUIRE(zone);
  CHECK(zone->origin() == "internal.example.");
  CHECK(zone->soa() != nullptr);
  CHECK(zone->Lookup("db.internal.example.").kind == zones::LookupKind::kFound);
}
