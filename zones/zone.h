// Static zone data: records that cannot register themselves (databases, legacy hosts),
// loaded from RFC 1035 master files and YAML record files (SPEC §6).
//
// A ZoneSet is immutable once loaded; the server publishes a new one on SIGHUP and DNS
// workers read it concurrently without locks. Names are lower-case presentation form
// with the trailing dot ("db.internal.example."). Record data is kept in uncompressed
// wire form, ready to copy into an answer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace zones {

// Hash for name-keyed maps that can be probed with a string_view (no allocation).
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
};

struct RRset {
  uint16_t type = 0;                        // RR type code (1 = A, 28 = AAAA, 33 = SRV, ...)
  uint32_t ttl = 0;                         // one TTL per RRset (RFC 2181)
  std::vector<std::vector<uint8_t>> rdata;  // uncompressed wire rdata, one per record
};

struct Node {
  std::string name;  // owner, lower-case FQDN
  std::vector<RRset> rrsets;
  const RRset* Find(uint16_t type) const;
};

enum class LookupKind : uint8_t {
  kFound,             // the name owns records (node is set)
  kEmptyNonTerminal,  // the name has no records but names below it do (NODATA)
  kNxDomain,          // the name does not exist in this zone
};

struct LookupResult {
  LookupKind kind = LookupKind::kNxDomain;
  const Node* node = nullptr;
};

class Zone {
 public:
  // Nodes with the same name are merged; nodes outside origin are dropped. Empty
  // non-terminals are computed here, once.
  Zone(std::string origin, std::vector<Node> nodes);

  const std::string& origin() const { return origin_; }
  // The zone's SOA (from the file, or generated when the file has none).
  const Node* apex() const;
  const RRset* soa() const;
  // lower_qname must be at or below origin(). Exact match only: no wildcards, no
  // delegations (the loaders reject both); a CNAME is just an RRset in the node.
  LookupResult Lookup(std::string_view lower_qname) const;
  size_t size() const { return nodes_.size(); }
  // Every node, sorted by name (for tests, dumps and tools; not for the query path).
  std::vector<const Node*> SortedNodes() const;

 private:
  std::string origin_;
  std::unordered_map<std::string, Node, NameHash, std::equal_to<>> nodes_;
  std::unordered_set<std::string, NameHash, std::equal_to<>> empty_non_terminals_;
};

class ZoneSet {
 public:
  ZoneSet() = default;
  // Zones are kept sorted by origin; a second zone with an origin already present is
  // dropped (LoadZoneDir merges same-origin files before building zones).
  explicit ZoneSet(std::vector<Zone> zones);
  // The deepest zone whose origin is lower_qname or one of its ancestors, or nullptr.
  const Zone* FindZone(std::string_view lower_qname) const;
  const std::vector<Zone>& zones() const { return zones_; }
  bool empty() const { return zones_.empty(); }

 private:
  std::vector<Zone> zones_;
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> by_origin_;
};

struct LoadError {
  std::string file;
  int line = 0;  // 0 when the problem is not tied to a line
  std::string message;
  std::string ToString() const;  // "file:line: message"
};

struct LoadResult {
  std::shared_ptr<const ZoneSet> zones;  // null when errors is not empty
  std::vector<LoadError> errors;
};

// Loads every *.zone (master file) and *.yaml (record list) in dir, in name order. A zone
// whose origin is at or below service_domain needs no SOA of its own; any other zone
// without one gets a generated SOA (ns.<origin>, hostmaster.<origin>, serial = load
// time, 3600 600 86400 60). Files with the same origin are merged into one zone (a
// second, different SOA is an error). Every problem in every file is collected. An
// empty dir string or a missing directory yields an empty ZoneSet only when
// allow_missing is true. Safe from any thread: it shares no state.
LoadResult LoadZoneDir(const std::string& dir, std::string_view service_domain,
                       bool allow_missing = true);

// Parsers for one file's text, used by LoadZoneDir and by tests. file_name is used in
// errors and, for a master file with neither SOA nor $ORIGIN, to name the origin
// ("example.com.zone" -> "example.com."). A YAML file must state its origin.
LoadResult ParseMasterFile(std::string_view text, const std::string& file_name,
                           std::string_view service_domain);
LoadResult ParseYamlZone(std::string_view text, const std::string& file_name,
                         std::string_view service_domain);

}  // namespace zones
