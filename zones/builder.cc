#include "zones/builder.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "zones/names.h"

namespace zones {

namespace {

constexpr uint16_t kTypeNs = 2;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeSoa = 6;
constexpr uint16_t kTypeRrsig = 46;
constexpr uint16_t kTypeNsec = 47;

struct Where {
  std::string file;
  int line = 0;
  std::string ToString() const { return file + ":" + std::to_string(line); }
};

struct PendingRRset {
  RRset rrset;
  Where first;
};

struct PendingNode {
  std::vector<PendingRRset> rrsets;
  PendingRRset* Find(uint16_t type) {
    for (auto& r : rrsets) {
      if (r.rrset.type == type) return &r;
    }
    return nullptr;
  }
};

// One zone under construction; nodes ordered by name so zones build deterministically.
struct PendingZone {
  std::string origin;
  std::map<std::string, PendingNode> nodes;
};

bool CoexistsWithCname(uint16_t type) { return type == kTypeRrsig || type == kTypeNsec; }

// Returns an error message when the record may not join its node, else "".
std::string CheckRecord(const PendingZone& zone, const PendingNode& node, const RecordData& rec) {
  if (rec.type == kTypeSoa && rec.owner != zone.origin) {
    return "SOA record at " + rec.owner + " is not at the zone origin " + zone.origin;
  }
  if (rec.type == kTypeNs && rec.owner != zone.origin) {
    return "NS record at " + rec.owner +
           ": delegations are not supported (NS records belong at the zone origin)";
  }
  for (const PendingRRset& other : node.rrsets) {
    uint16_t t = other.rrset.type;
    if (t == rec.type) continue;
    bool conflict = (rec.type == kTypeCname && !CoexistsWithCname(t)) ||
                    (t == kTypeCname && !CoexistsWithCname(rec.type));
    if (conflict) {
      return "CNAME and other data at " + rec.owner + " (first record at " +
             other.first.ToString() + ")";
    }
  }
  return {};
}

void AddRecord(PendingZone& zone, const std::string& file, SourceRecord rec,
               std::vector<LoadError>& errors) {
  PendingNode& node = zone.nodes[rec.data.owner];
  if (std::string problem = CheckRecord(zone, node, rec.data); !problem.empty()) {
    errors.push_back({file, rec.line, problem});
    return;
  }
  PendingRRset* existing = node.Find(rec.data.type);
  if (!existing) {
    RRset rrset{rec.data.type, rec.data.ttl, {std::move(rec.data.rdata)}};
    node.rrsets.push_back({std::move(rrset), {file, rec.line}});
    return;
  }
  RRset& rrset = existing->rrset;
  if (std::find(rrset.rdata.begin(), rrset.rdata.end(), rec.data.rdata) != rrset.rdata.end()) {
    rrset.ttl = std::min(rrset.ttl, rec.data.ttl);
    return;  // the same record twice (RFC 2181 §5: an RRset holds it once)
  }
  if (rec.data.type == kTypeSoa || rec.data.type == kTypeCname) {
    errors.push_back({file, rec.line,
                      "a second, different " + TypeName(rec.data.type) + " record at " +
                          rec.data.owner + " (first at " + existing->first.ToString() + ")"});
    return;
  }
  rrset.ttl = std::min(rrset.ttl, rec.data.ttl);
  rrset.rdata.push_back(std::move(rec.data.rdata));
}

// SOA rdata in wire form: mname ns.<origin>, rname hostmaster.<origin>, then the timers.
RRset GeneratedSoa(const std::string& origin, uint32_t serial) {
  std::string prefix = origin == "." ? "" : origin;
  std::string text = origin + " 60 IN SOA ns." + prefix + " hostmaster." + prefix + " " +
                     std::to_string(serial) + " 3600 600 86400 60";
  ldns_rr* raw = nullptr;
  ldns_status status = ldns_rr_new_frm_str(&raw, text.c_str(), 60, nullptr, nullptr);
  RrPtr rr(raw);
  RRset soa{kTypeSoa, 60, {}};
  if (status != LDNS_STATUS_OK || !rr) return soa;  // origin already validated by the parser
  auto converted = ConvertRr(*rr);
  if (auto* data = std::get_if<RecordData>(&converted)) soa.rdata.push_back(data->rdata);
  return soa;
}

Zone Finish(PendingZone pending, std::string_view service_domain, uint32_t serial,
            const Where& where, std::vector<LoadError>& errors) {
  bool in_service_domain = !service_domain.empty() && IsAtOrBelow(pending.origin, service_domain);
  PendingNode& apex = pending.nodes[pending.origin];
  if (!apex.Find(kTypeSoa) && !in_service_domain) {
    if (PendingRRset* cname = apex.Find(kTypeCname)) {
      errors.push_back(
          {cname->first.file, cname->first.line,
           "CNAME at the zone origin " + pending.origin + " (the zone needs an SOA there)"});
    }
    apex.rrsets.insert(apex.rrsets.begin(), {GeneratedSoa(pending.origin, serial), where});
  }
  std::vector<Node> nodes;
  nodes.reserve(pending.nodes.size());
  for (auto& [name, node] : pending.nodes) {
    if (node.rrsets.empty()) continue;
    Node out{name, {}};
    for (PendingRRset& r : node.rrsets) out.rrsets.push_back(std::move(r.rrset));
    nodes.push_back(std::move(out));
  }
  return Zone(pending.origin, std::move(nodes));
}

}  // namespace

void SortErrors(std::vector<LoadError>& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const LoadError& a, const LoadError& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
}

uint32_t SerialNow() { return static_cast<uint32_t>(std::time(nullptr)); }

std::vector<Zone> BuildZones(std::vector<ParsedFile> files, std::string_view service_domain,
                             uint32_t serial, std::vector<LoadError>& errors) {
  std::string domain = NormalizeOrigin(service_domain);
  std::map<std::string, PendingZone> pending;
  std::map<std::string, Where> first_file;
  for (ParsedFile& file : files) {
    PendingZone& zone = pending[file.origin];
    zone.origin = file.origin;
    first_file.try_emplace(file.origin, Where{file.file, 0});
    for (SourceRecord& rec : file.records) AddRecord(zone, file.file, std::move(rec), errors);
  }
  std::vector<Zone> zones;
  for (auto& [origin, zone] : pending) {
    zones.push_back(Finish(std::move(zone), domain, serial, first_file[origin], errors));
  }
  return zones;
}

LoadResult FinishSingleFile(ParsedFile file, std::string_view service_domain,
                            std::vector<LoadError> errors) {
  std::vector<ParsedFile> files;
  files.push_back(std::move(file));
  std::vector<Zone> zones = BuildZones(std::move(files), service_domain, SerialNow(), errors);
  LoadResult result;
  if (errors.empty()) result.zones = std::make_shared<const ZoneSet>(std::move(zones));
  SortErrors(errors);
  result.errors = std::move(errors);
  return result;
}

}  // namespace zones
