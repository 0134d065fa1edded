#include "zones/zone.h"

#include <algorithm>

#include "zones/names.h"

namespace zones {

const RRset* Node::Find(uint16_t type) const {
  for (const RRset& rrset : rrsets) {
    if (rrset.type == type) return &rrset;
  }
  return nullptr;
}

namespace {

constexpr uint16_t kTypeSoa = 6;

// Adds src's records to dst: the same rdata once, the smaller TTL (RFC 2181 §5.2).
void MergeRRset(RRset& dst, RRset src) {
  dst.ttl = std::min(dst.ttl, src.ttl);
  for (auto& rdata : src.rdata) {
    if (std::find(dst.rdata.begin(), dst.rdata.end(), rdata) == dst.rdata.end()) {
      dst.rdata.push_back(std::move(rdata));
    }
  }
}

void MergeNode(Node& dst, Node src) {
  for (RRset& rrset : src.rrsets) {
    auto it = std::find_if(dst.rrsets.begin(), dst.rrsets.end(),
                           [&](const RRset& r) { return r.type == rrset.type; });
    if (it == dst.rrsets.end()) {
      dst.rrsets.push_back(std::move(rrset));
    } else {
      MergeRRset(*it, std::move(rrset));
    }
  }
}

}  // namespace

Zone::Zone(std::string origin, std::vector<Node> nodes) : origin_(NormalizeOrigin(origin)) {
  if (origin_.empty()) origin_ = ".";
  for (Node& node : nodes) {
    node.name = NormalizeOrigin(node.name);
    if (!IsAtOrBelow(node.name, origin_)) continue;
    auto it = nodes_.find(node.name);
    if (it == nodes_.end()) {
      std::string name = node.name;
      nodes_.emplace(std::move(name), std::move(node));
    } else {
      MergeNode(it->second, std::move(node));
    }
  }
  // Every ancestor of a node, up to and including the origin, that owns no records
  // itself is an empty non-terminal (RFC 8020: NODATA, not NXDOMAIN).
  for (const auto& [name, node] : nodes_) {
    if (name == origin_) continue;
    for (std::string_view n = ParentName(name); !n.empty(); n = ParentName(n)) {
      if (nodes_.find(n) == nodes_.end()) empty_non_terminals_.emplace(n);
      if (n == origin_) break;
    }
  }
}

const Node* Zone::apex() const {
  auto it = nodes_.find(origin_);
  return it == nodes_.end() ? nullptr : &it->second;
}

const RRset* Zone::soa() const {
  const Node* node = apex();
  return node ? node->Find(kTypeSoa) : nullptr;
}

LookupResult Zone::Lookup(std::string_view lower_qname) const {
  if (auto it = nodes_.find(lower_qname); it != nodes_.end()) {
    return {LookupKind::kFound, &it->second};
  }
  if (empty_non_terminals_.find(lower_qname) != empty_non_terminals_.end()) {
    return {LookupKind::kEmptyNonTerminal, nullptr};
  }
  return {LookupKind::kNxDomain, nullptr};
}

std::vector<const Node*> Zone::SortedNodes() const {
  std::vector<const Node*> out;
  out.reserve(nodes_.size());
  for (const auto& [name, node] : nodes_) out.push_back(&node);
  std::sort(out.begin(), out.end(), [](const Node* a, const Node* b) { return a->name < b->name; });
  return out;
}

ZoneSet::ZoneSet(std::vector<Zone> zones) {
  std::stable_sort(zones.begin(), zones.end(),
                   [](const Zone& a, const Zone& b) { return a.origin() < b.origin(); });
  for (Zone& zone : zones) {
    if (by_origin_.find(zone.origin()) != by_origin_.end()) continue;
    by_origin_.emplace(zone.origin(), zones_.size());
    zones_.push_back(std::move(zone));
  }
}

const Zone* ZoneSet::FindZone(std::string_view lower_qname) const {
  if (zones_.empty()) return nullptr;
  // Walk from the name towards the root: the first origin met is the deepest.
  for (std::string_view n = lower_qname; !n.empty(); n = ParentName(n)) {
    if (auto it = by_origin_.find(n); it != by_origin_.end()) return &zones_[it->second];
  }
  return nullptr;
}

std::string LoadError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (!out.empty()) out += ": ";
  return out + message;
}

}  // namespace zones
