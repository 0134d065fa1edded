// Answers from static zones (SPEC §6): records copied from the zone's wire rdata.
#include <algorithm>

#include "dnsd/dns/response.h"

namespace dnsd::dns {
namespace {

bool WriteRRset(QueryContext& ctx, const zones::RRset& set, const Owner& owner, const TtlCaps& caps,
                size_t* n) {
  const uint32_t ttl = std::min(set.ttl, caps.For(set.type));
  for (const std::vector<uint8_t>& rdata : set.rdata) {
    if (!ctx.response.AddRaw(owner, set.type, ttl, rdata)) {
      ctx.omitted = true;
      return false;
    }
    ++*n;
  }
  return true;
}

}  // namespace

size_t WriteStatic(QueryContext& ctx, const zones::Node& node, uint16_t qtype, const Owner& owner,
                   bool skip_soa_ns, const TtlCaps& caps) {
  size_t n = 0;
  auto skipped = [skip_soa_ns](uint16_t type) {
    return skip_soa_ns && (type == wire::kTypeSoa || type == wire::kTypeNs);
  };
  if (qtype != wire::kTypeAny) {
    const zones::RRset* set = node.Find(qtype);
    if (set != nullptr && !skipped(qtype)) WriteRRset(ctx, *set, owner, caps, &n);
    return n;
  }
  // RFC 8482: ANY gets the addresses, or else one RRset, never everything.
  bool found = false;
  for (uint16_t type : {wire::kTypeA, wire::kTypeAaaa}) {
    if (const zones::RRset* set = node.Find(type)) {
      found = true;
      if (!WriteRRset(ctx, *set, owner, caps, &n)) return n;
    }
  }
  if (found) return n;
  for (const zones::RRset& set : node.rrsets) {
    if (skipped(set.type)) continue;
    WriteRRset(ctx, set, owner, caps, &n);
    break;
  }
  return n;
}

std::optional<wire::Name> WriteStaticCname(QueryContext& ctx, const zones::Node& node,
                                           const Owner& owner) {
  const zones::RRset* set = node.Find(wire::kTypeCname);
  if (set == nullptr || set->rdata.empty()) return std::nullopt;
  if (!ctx.response.AddRaw(owner, wire::kTypeCname, set->ttl, set->rdata.front())) {
    ctx.omitted = true;
    return std::nullopt;
  }
  return wire::Name::FromWire(set->rdata.front());
}

StepResult AnswerInZone(QueryContext& ctx, const zones::Zone& zone, const wire::Name& name,
                        const Owner& owner) {
  StepResult result;
  result.kind = StepResult::Kind::kAnswered;
  result.soa_zone = &zone;
  wire::NameText text;
  wire::ToText(name, text);
  const zones::LookupResult found = zone.Lookup(text.view());
  result.exists = found.kind != zones::LookupKind::kNxDomain;
  if (found.kind != zones::LookupKind::kFound) return result;

  const uint16_t qtype = ctx.question.qtype;
  Response& r = ctx.response;
  const size_t before = r.count(Section::kAnswer);
  WriteStatic(ctx, *found.node, qtype, owner, false);
  // A generated SOA may live outside the apex node's record list.
  const zones::RRset* soa = zone.soa();
  if (qtype == wire::kTypeSoa && r.count(Section::kAnswer) == before &&
      found.node->Find(wire::kTypeSoa) == nullptr && text.view() == zone.origin() &&
      soa != nullptr && !soa->rdata.empty()) {
    if (!r.AddRaw(owner, wire::kTypeSoa, soa->ttl, soa->rdata.front())) ctx.omitted = true;
  }
  if (r.count(Section::kAnswer) == before && qtype != wire::kTypeCname) {
    result.cname = WriteStaticCname(ctx, *found.node, owner);
  }
  result.answers = r.count(Section::kAnswer) - before;
  return result;
}

bool WriteZoneSoa(QueryContext& ctx, const zones::Zone& zone) {
  const zones::RRset* soa = zone.soa();
  if (soa == nullptr || soa->rdata.empty()) return false;
  const std::vector<uint8_t>& rdata = soa->rdata.front();
  const std::optional<wire::Name> apex = wire::Name::FromText(zone.origin());
  if (!apex || rdata.size() < 20) return false;
  // RFC 2308 §5: a negative answer's SOA TTL is min(SOA TTL, SOA minimum).
  const uint32_t minimum = wire::Get32(&rdata[rdata.size() - 4]);
  return ctx.response.AddRaw(Owner::Of(*apex), wire::kTypeSoa, std::min(soa->ttl, minimum), rdata);
}

}  // namespace dnsd::dns
