// Answers for names inside the service domain.
#include "dnsd/dns/domain.h"

#include <string_view>

namespace dnsd::dns {
namespace {

constexpr size_t kNoOffset = static_cast<size_t>(-1);

DomainName Make(DomainNameKind kind, const registry::ServiceSnapshot* service = nullptr,
                const registry::Instance* instance = nullptr, InstanceFilter filter = {}) {
  DomainName dn;
  dn.kind = kind;
  dn.service = service;
  dn.instance = instance;
  dn.filter = filter;
  return dn;
}

bool StartsWithUnderscore(std::string_view s) { return !s.empty() && s.front() == '_'; }

bool AnyMatches(const registry::ServiceSnapshot& service, const InstanceFilter& filter) {
  for (const registry::Instance& instance : service.instances) {
    if (filter.Matches(instance)) return true;
  }
  return false;
}

DomainName ServiceForm(const registry::RegistryView& view, std::string_view svc,
                       const InstanceFilter& filter) {
  const registry::ServiceSnapshot* service = view.Find(svc);
  if (service == nullptr || !AnyMatches(*service, filter)) return {};
  return Make(DomainNameKind::kService, service, nullptr, filter);
}

// The filter of the second label of _<svc>._<label>.service.D (RFC 2782): _tcp and _udp
// select by protocol, any other label is a tag.
InstanceFilter Rfc2782Filter(std::string_view label) {
  InstanceFilter filter;
  if (label == "tcp" || label == "udp") {
    filter.kind = InstanceFilter::Kind::kProto;
    filter.proto = label == "tcp" ? registry::Proto::kTcp : registry::Proto::kUdp;
  } else {
    filter.kind = InstanceFilter::Kind::kTag;
    filter.tag = label;
  }
  return filter;
}

// _<label>.service.D is the parent of _<svc>._<label>.service.D for every service: an
// empty non-terminal exactly when one of those exists, i.e. when some instance of any
// service (any health) matches the label (RFC 8020: an NXDOMAIN here would deny all of
// them to a resolver that minimises query names).
DomainName Rfc2782Parent(const registry::RegistryView& view, std::string_view label) {
  const InstanceFilter filter = Rfc2782Filter(label);
  const bool below = filter.kind == InstanceFilter::Kind::kProto
                         ? view.AnyInstanceWithProto(filter.proto)
                         : view.AnyInstanceWithTag(filter.tag);
  return below ? Make(DomainNameKind::kEmptyNonTerminal) : DomainName{};
}

// <svc>.service.D, <tag>.<svc>.service.D, _<svc>._<label>.service.D and its parent
// _<label>.service.D. r[0] is the label next to "service", r[1] the one left of it.
DomainName ClassifyService(const registry::RegistryView& view, const std::string_view* r,
                           size_t n) {
  if (n == 1) {
    if (StartsWithUnderscore(r[0])) return Rfc2782Parent(view, r[0].substr(1));
    return ServiceForm(view, r[0], {});
  }
  if (n != 2) return {};
  if (StartsWithUnderscore(r[0]) && StartsWithUnderscore(r[1])) {
    // _<svc>._<label>: r[0] is _<label>, r[1] is _<svc>.
    return ServiceForm(view, r[1].substr(1), Rfc2782Filter(r[0].substr(1)));
  }
  if (StartsWithUnderscore(r[0]) || StartsWithUnderscore(r[1])) return {};
  InstanceFilter filter;
  filter.kind = InstanceFilter::Kind::kTag;
  filter.tag = r[1];
  return ServiceForm(view, r[0], filter);
}

// <svc>.instance.D and <id>.<svc>.instance.D.
DomainName ClassifyInstance(const registry::RegistryView& view, const std::string_view* r,
                            size_t n) {
  if (n == 0 || n > 2) return {};
  const registry::ServiceSnapshot* service = view.Find(r[0]);
  if (service == nullptr || service->instances.empty()) return {};
  if (n == 1) return Make(DomainNameKind::kEmptyNonTerminal, service);  // <id>.<svc> exist
  const registry::Instance* instance = service->FindInstance(r[1]);
  if (instance == nullptr) return {};
  return Make(DomainNameKind::kInstance, service, instance);
}

}  // namespace

DomainName ClassifyDomainName(const wire::Name& name, size_t labels_above,
                              const registry::RegistryView& view, std::string_view datacenter) {
  if (labels_above == 0) return Make(DomainNameKind::kApex);
  // Labels right to left from D: r[0] is "service", "instance" or "ns" for our forms, or
  // the datacenter of <svc>.service.<dc>.D. Longer names than 5 labels above D are never
  // one of them.
  if (labels_above > 5) return {};
  std::string_view r[5];
  for (size_t k = 0; k < labels_above; ++k) r[k] = name.label(labels_above - 1 - k);
  if (!datacenter.empty() && r[0] == datacenter) {
    if (labels_above == 1) return Make(DomainNameKind::kEmptyNonTerminal);  // <dc>.D
    if (r[1] != "service" || labels_above > 4) return {};
    if (labels_above == 2) return Make(DomainNameKind::kEmptyNonTerminal);  // service.<dc>.D
    return ClassifyService(view, r + 2, labels_above - 2);
  }
  if (labels_above > 4) return {};
  if (labels_above == 1) {
    if (r[0] == "ns") return Make(DomainNameKind::kNameServer);
    if (r[0] == "service" || r[0] == "instance") {
      return Make(DomainNameKind::kEmptyNonTerminal);
    }
    return {};
  }
  if (r[0] == "service") return ClassifyService(view, r + 1, labels_above - 1);
  if (r[0] == "instance") return ClassifyInstance(view, r + 1, labels_above - 1);
  return {};
}

namespace {

// A/AAAA of the healthy matching instances, in priority / weighted-random order.
void WriteAddresses(QueryContext& ctx, const DomainName& dn, FamilyFilter family,
                    const Owner& owner) {
  CandidateList list;
  list.Collect(*dn.service, dn.filter, family, ctx.config.include_warning);
  if (list.empty()) return;
  const uint32_t ttl = ctx.Ttl(family == FamilyFilter::kV4 ? wire::kTypeA : wire::kTypeAaaa,
                               list.MinTtl(ctx.config.ttl));
  list.Order(ctx.rng);
  for (size_t i = 0; i < list.size() && ctx.answer_budget > 0; ++i) {
    if (!ctx.response.AddAddress(owner, list[i].instance->address, ttl)) {
      ctx.omitted = true;
      return;
    }
    --ctx.answer_budget;
  }
}

size_t GlueOwnerSize(const Candidate& c, size_t suffix_off, const wire::Name& domain) {
  const registry::Instance& i = *c.instance;
  if (c.target_off <= wire::kMaxPointerTarget) return 2;
  if (suffix_off <= wire::kMaxPointerTarget) return 1 + i.id.size() + 2;
  return 1 + i.id.size() + 1 + i.service.size() + 9 + domain.wire_size();
}

size_t GlueSize(const Candidate& c, size_t suffix_off, const wire::Name& domain) {
  return GlueOwnerSize(c, suffix_off, domain) + 10 + (c.instance->address.is_v4() ? 4 : 16);
}

// Glue owners point at the SRV target; targets past the 14-bit pointer range repeat
// their first label and point at "<svc>.instance.D" inside the first target.
bool WriteGlue(QueryContext& ctx, const Candidate& c, size_t suffix_off) {
  const registry::Instance& i = *c.instance;
  const uint32_t ttl = InstanceTtl(i, ctx.config.ttl);
  if (c.target_off <= wire::kMaxPointerTarget) {
    return ctx.response.AddAddress(Owner::At(c.target_off), i.address, ttl);
  }
  if (suffix_off <= wire::kMaxPointerTarget) {
    return ctx.response.AddAddress(Owner::LabelAt(i.id, suffix_off), i.address, ttl);
  }
  wire::Name target;
  (void)(target.Append(i.id) && target.Append(i.service) && target.Append("instance") &&
         target.AppendName(*ctx.domain));
  return ctx.response.AddAddress(Owner::Of(target, false), i.address, ttl);
}

// SRV records in order while they fit. Over UDP each SRV is kept only together with
// room for its glue (whole pairs: the glue always follows the kept SRVs, and TC tells
// the client to come back over TCP for the rest). Over TCP there is no further fallback,
// so the SRV records come first (SPEC: ~1,300 fit) and glue fills what room is left.
// Returns how many were kept; *suffix_off receives the glue compression target.
size_t WriteSrvRecords(QueryContext& ctx, CandidateList& list, uint32_t ttl, const Owner& owner,
                       size_t* suffix_off) {
  const bool pair_glue = ctx.transport == Transport::kUdp;
  Response& r = ctx.response;
  size_t kept = 0;
  for (; kept < list.size() && ctx.answer_budget > 0; ++kept) {
    Candidate& c = list[kept];
    const Response::Mark mark = r.Save();
    size_t target = 0;
    if (!r.AddSrv(owner, *c.instance, ttl, *ctx.domain, &target)) break;
    c.target_off = static_cast<uint16_t>(target);
    const size_t suffix =
        *suffix_off != kNoOffset ? *suffix_off : target + 1 + c.instance->id.size();
    if (pair_glue && !r.writer().TryReserve(GlueSize(c, suffix, *ctx.domain))) {
      r.Rewind(mark);
      break;
    }
    *suffix_off = suffix;
    --ctx.answer_budget;
  }
  if (kept < list.size() && ctx.answer_budget > 0) ctx.omitted = true;
  return kept;
}

void WriteSrv(QueryContext& ctx, const DomainName& dn, const Owner& owner) {
  CandidateList list;
  list.Collect(*dn.service, dn.filter, FamilyFilter::kSrv, ctx.config.include_warning);
  if (list.empty()) return;
  const uint32_t ttl = ctx.Ttl(wire::kTypeSrv, list.MinTtl(ctx.config.ttl));
  list.Order(ctx.rng);
  size_t suffix_off = kNoOffset;
  const size_t kept = WriteSrvRecords(ctx, list, ttl, owner, &suffix_off);
  Response& r = ctx.response;
  const bool reserved = ctx.transport == Transport::kUdp;
  r.SetSection(Section::kAdditional);
  for (size_t i = 0; i < kept; ++i) {
    if (reserved) r.writer().Release(GlueSize(list[i], suffix_off, *ctx.domain));
    if (!WriteGlue(ctx, list[i], suffix_off)) {
      ctx.omitted = true;
      break;
    }
  }
  r.SetSection(Section::kAnswer);
}

void WriteService(QueryContext& ctx, const DomainName& dn, uint16_t qtype, const Owner& owner) {
  switch (qtype) {
    case wire::kTypeA:
      return WriteAddresses(ctx, dn, FamilyFilter::kV4, owner);
    case wire::kTypeAaaa:
      return WriteAddresses(ctx, dn, FamilyFilter::kV6, owner);
    case wire::kTypeAny:  // RFC 8482: the addresses only, never the whole set
      WriteAddresses(ctx, dn, FamilyFilter::kV4, owner);
      return WriteAddresses(ctx, dn, FamilyFilter::kV6, owner);
    case wire::kTypeSrv:
      return WriteSrv(ctx, dn, owner);
    default:
      return;
  }
}

void WriteInstance(QueryContext& ctx, const registry::Instance& i, uint16_t qtype,
                   const Owner& owner) {
  const uint32_t ttl = InstanceTtl(i, ctx.config.ttl);
  Response& r = ctx.response;
  bool ok = true;
  if (qtype == wire::kTypeAny || (qtype == wire::kTypeA && i.address.is_v4()) ||
      (qtype == wire::kTypeAaaa && !i.address.is_v4())) {
    ok = r.AddAddress(owner, i.address,
                      ctx.Ttl(i.address.is_v4() ? wire::kTypeA : wire::kTypeAaaa, ttl));
  } else if (qtype == wire::kTypeTxt) {
    const uint32_t txt_ttl = ctx.Ttl(wire::kTypeTxt, ttl);
    const std::string_view status[] = {"status=", registry::HealthName(i.health)};
    ok = r.AddTxt(owner, wire::kClassIn, txt_ttl, status);
    for (auto it = i.meta.begin(); ok && it != i.meta.end(); ++it) {
      const std::string_view entry[] = {it->first, "=", it->second};
      ok = r.AddTxt(owner, wire::kClassIn, txt_ttl, entry);
    }
  }
  if (!ok) ctx.omitted = true;
}

// cap: the records belong to the name being answered (not glue for another name).
void WriteAdvertised(QueryContext& ctx, uint16_t qtype, const Owner& owner, bool cap) {
  for (const registry::IpAddress& a : ctx.config.advertise) {
    const uint16_t type = a.is_v4() ? wire::kTypeA : wire::kTypeAaaa;
    if (qtype != wire::kTypeAny && qtype != type) continue;
    const uint32_t ttl = cap ? ctx.Ttl(type, ctx.config.ttl) : ctx.config.ttl;
    if (!ctx.response.AddAddress(owner, a, ttl)) {
      ctx.omitted = true;
      return;
    }
  }
}

void WriteApex(QueryContext& ctx, uint16_t qtype, const Owner& owner) {
  if (qtype == wire::kTypeSoa || qtype == wire::kTypeAny) {
    if (!ctx.response.AddSoa(*ctx.domain, static_cast<uint32_t>(ctx.view.index()),
                             ctx.config.negative_ttl, ctx.config.negative_ttl)) {
      ctx.omitted = true;
    }
    return;
  }
  if (qtype != wire::kTypeNs) return;
  wire::Name ns;
  if (!ns.Append("ns") || !ns.AppendName(*ctx.domain)) return;
  if (!ctx.response.AddNs(owner, ns, ctx.config.ttl)) {
    ctx.omitted = true;
    return;
  }
  ctx.response.SetSection(Section::kAdditional);
  WriteAdvertised(ctx, wire::kTypeAny, Owner::Of(ns), false);
  ctx.response.SetSection(Section::kAnswer);
}

// The TTLs registered records of this name would get, per type (only computed when a
// static node shares the name).
TtlCaps RegisteredTtls(const QueryContext& ctx, const DomainName& dn) {
  TtlCaps caps;
  auto lower = [](uint32_t& slot, uint32_t ttl) { slot = ttl < slot ? ttl : slot; };
  if (dn.kind == DomainNameKind::kService) {
    for (const registry::Instance& i : dn.service->instances) {
      if (!IsHealthy(i, ctx.config.include_warning) || !dn.filter.Matches(i)) continue;
      const uint32_t ttl = InstanceTtl(i, ctx.config.ttl);
      lower(i.address.is_v4() ? caps.a : caps.aaaa, ttl);
      lower(caps.srv, ttl);
    }
  } else if (dn.kind == DomainNameKind::kInstance) {
    const uint32_t ttl = InstanceTtl(*dn.instance, ctx.config.ttl);
    lower(dn.instance->address.is_v4() ? caps.a : caps.aaaa, ttl);
    lower(caps.txt, ttl);
  } else if (dn.kind == DomainNameKind::kNameServer) {
    for (const registry::IpAddress& a : ctx.config.advertise) {
      lower(a.is_v4() ? caps.a : caps.aaaa, ctx.config.ttl);
    }
  }
  return caps;
}

// The records dnsd's own data holds for the name: the apex's, ns.D's, or those of the
// registered instances.
void WriteRegistered(QueryContext& ctx, const DomainName& dn, uint16_t qtype, const Owner& owner) {
  switch (dn.kind) {
    case DomainNameKind::kApex:
      return WriteApex(ctx, qtype, owner);
    case DomainNameKind::kNameServer:
      return WriteAdvertised(ctx, qtype, owner, true);
    case DomainNameKind::kService:
      return WriteService(ctx, dn, qtype, owner);
    case DomainNameKind::kInstance:
      return WriteInstance(ctx, *dn.instance, qtype, owner);
    case DomainNameKind::kEmptyNonTerminal:
    case DomainNameKind::kNone:
      return;
  }
}

// The static records at the name (zone files may place records inside D).
zones::LookupResult LookupStatic(const QueryContext& ctx, const wire::Name& name) {
  if (ctx.zones.empty()) return {};
  wire::NameText text;
  wire::ToText(name, text);
  const zones::Zone* zone = ctx.zones.FindZone(text.view());
  return zone != nullptr ? zone->Lookup(text.view()) : zones::LookupResult{};
}

}  // namespace

StepResult AnswerInDomain(QueryContext& ctx, const wire::Name& name, size_t labels_above,
                          const Owner& owner) {
  StepResult result;
  if (!ctx.view.loaded()) {
    result.kind = StepResult::Kind::kServFail;
    return result;
  }
  result.kind = StepResult::Kind::kAnswered;
  const DomainName dn = ClassifyDomainName(name, labels_above, ctx.view, ctx.config.datacenter);
  const zones::LookupResult st = LookupStatic(ctx, name);
  result.exists = dn.kind != DomainNameKind::kNone || st.kind != zones::LookupKind::kNxDomain;

  const uint16_t qtype = ctx.question.qtype;
  Response& r = ctx.response;
  const size_t before = r.count(Section::kAnswer);
  // Static records first: a service SRV answer ends with its glue in the additional
  // section, after which no answer record may follow.
  if (st.kind == zones::LookupKind::kFound) {
    WriteStatic(ctx, *st.node, qtype, owner, dn.kind == DomainNameKind::kApex,
                RegisteredTtls(ctx, dn));
    ctx.static_node = st.node;
  }
  WriteRegistered(ctx, dn, qtype, owner);
  if (r.count(Section::kAnswer) == before && st.kind == zones::LookupKind::kFound &&
      qtype != wire::kTypeCname) {
    result.cname = WriteStaticCname(ctx, *st.node, owner);
  }
  ctx.static_node = nullptr;
  result.answers = r.count(Section::kAnswer) - before;
  return result;
}

bool WriteDomainSoa(QueryContext& ctx) {
  return ctx.response.AddSoa(*ctx.domain, static_cast<uint32_t>(ctx.view.index()),
                             ctx.config.negative_ttl, ctx.config.negative_ttl);
}

}  // namespace dnsd::dns
