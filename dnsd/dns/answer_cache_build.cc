// Building an answer cache entry with the Response code Answer() uses.
#include <algorithm>
#include <cstring>
#include <vector>

#include "dnsd/dns/answer_cache_internal.h"
#include "dnsd/dns/order.h"
#include "dnsd/dns/response.h"

namespace dnsd::dns {

// Builds the entry for q with the Response code Answer() uses, one record at a time right
// after the question in scratch_, so that every record's only compression pointer is to
// the question (at the same offset in every response) and glue points at its SRV target
// (patched per response). The SOA of a negative answer also sits right after the
// question, as it will in every response. Then stores it in slot (reusing its block
// when large enough).
AnswerCache::Entry* AnswerCache::Build(Slot& slot, const Query& q,
                                       const registry::RegistryView& view,
                                       const zones::ZoneSet& zones) {
  ++stats_.builds;
  Entry meta;
  meta.view_epoch = view_epoch_;
  meta.zones_epoch = zones_epoch_;
  meta.key_len = static_cast<uint16_t>(q.key_len);
  build_records_.clear();
  build_bytes_.clear();
  Fill(meta, q, view, zones);
  meta.records = static_cast<uint16_t>(build_records_.size());
  meta.bytes_len = static_cast<uint32_t>(build_bytes_.size());

  const size_t tail = meta.TailSize();
  if (!slot.entry || slot.entry->capacity < tail) {
    void* block = ::operator new(sizeof(Entry) + tail);
    slot.entry.reset(new (block) Entry());
    meta.capacity = static_cast<uint32_t>(tail);
  } else {
    meta.capacity = slot.entry->capacity;
  }
  Entry* e = slot.entry.get();
  *e = meta;
  slot.hash = q.hash;
  uint8_t* t = e->tail();
  std::memcpy(t, q.key.data(), q.key_len);
  if (!build_records_.empty()) {
    std::memcpy(t + Entry::KeySpace(q.key_len), build_records_.data(),
                build_records_.size() * sizeof(Record));
  }
  if (!build_bytes_.empty()) {
    std::memcpy(const_cast<uint8_t*>(e->bytes()), build_bytes_.data(), build_bytes_.size());
  }
  return e;
}

namespace {

// Where an entry's records go while it is built: the Response writes each one right
// after the question in scratch; Keep copies its bytes into the entry's.
struct EntryWriter {
  Response& r;
  const std::vector<uint8_t>& scratch;
  AnswerCache::Entry& meta;
  std::vector<AnswerCache::Record>& records;
  std::vector<uint8_t>& bytes;
  size_t qend;  // where the first record starts in scratch

  // Keeps scratch[from, the writer's position); *off gets its offset in bytes.
  uint16_t Keep(size_t from, uint32_t* off) {
    const size_t to = r.writer().pos();
    *off = static_cast<uint32_t>(bytes.size());
    bytes.insert(bytes.end(), scratch.begin() + static_cast<ptrdiff_t>(from),
                 scratch.begin() + static_cast<ptrdiff_t>(to));
    meta.total += static_cast<uint32_t>(to - from);
    return static_cast<uint16_t>(to - from);
  }
};

// Answer() answers these: ANY and transfers, names static zones also hold (their
// records join the answer), a random subset per response (udp_answer_limit), and the
// rare names built from more than an instance's address (apex, ns.D, instance TXT).
bool LeftToAnswer(const DomainName& dn, uint16_t qtype, const wire::Name& name,
                  const zones::ZoneSet& zones, const AnswerConfig& config) {
  if (qtype == wire::kTypeAny || qtype == wire::kTypeAxfr || qtype == wire::kTypeIxfr) return true;
  if (!zones.empty()) {
    wire::NameText text;
    wire::ToText(name, text);
    const zones::Zone* zone = zones.FindZone(text.view());
    if (zone != nullptr && zone->Lookup(text.view()).kind != zones::LookupKind::kNxDomain) {
      return true;
    }
  }
  const bool address = qtype == wire::kTypeA || qtype == wire::kTypeAaaa;
  switch (dn.kind) {
    case DomainNameKind::kService:
      return config.udp_answer_limit > 0 && (address || qtype == wire::kTypeSrv);
    case DomainNameKind::kInstance:
      return qtype == wire::kTypeTxt;
    case DomainNameKind::kApex:
    case DomainNameKind::kNameServer:
      return true;
    case DomainNameKind::kEmptyNonTerminal:
    case DomainNameKind::kNone:
      return false;
  }
  return true;
}

// One SRV record and its glue, each kept on its own: the glue's owner pointer is
// patched per response to where the SRV target lands.
bool KeepSrv(EntryWriter& w, const registry::Instance& in, uint32_t ttl, const AnswerConfig& config,
             const wire::Name& domain, AnswerCache::Record& rec) {
  size_t target = 0;
  if (!w.r.AddSrv(Owner::Question(), in, ttl, domain, &target)) return false;
  rec.len = w.Keep(w.qend, &rec.off);
  rec.target = static_cast<uint16_t>(target - w.qend);
  const size_t glue = w.r.writer().pos();
  w.r.SetSection(Section::kAdditional);
  const bool ok = w.r.AddAddress(Owner::At(target), in.address, InstanceTtl(in, config.ttl));
  w.r.SetSection(Section::kAnswer);
  if (!ok) return false;
  rec.glue_len = w.Keep(glue, &rec.glue_off);
  ++w.meta.glue;
  return true;
}

// A/AAAA or SRV of a service's healthy instances (other types have none), one record
// at a time (each rewound once kept, so that all start right after the question).
// False when one does not fit.
bool KeepService(EntryWriter& w, CandidateList& list, const DomainName& dn, uint16_t qtype,
                 const AnswerConfig& config, const wire::Name& domain) {
  const bool address = qtype == wire::kTypeA || qtype == wire::kTypeAaaa;
  if (!address && qtype != wire::kTypeSrv) return true;  // no records of the type: NODATA
  const FamilyFilter family = !address                ? FamilyFilter::kSrv
                              : qtype == wire::kTypeA ? FamilyFilter::kV4
                                                      : FamilyFilter::kV6;
  list.Collect(*dn.service, dn.filter, family, config.include_warning);
  const uint32_t ttl = list.MinTtl(config.ttl);
  const Response::Mark mark = w.r.Save();
  for (size_t i = 0; i < list.size(); ++i) {
    const registry::Instance& in = *list[i].instance;
    AnswerCache::Record rec{0, 0, in.priority, in.weight, 0, 0, 0};
    if (address) {
      if (!w.r.AddAddress(Owner::Question(), in.address, ttl)) return false;
      rec.len = w.Keep(w.qend, &rec.off);
    } else if (!KeepSrv(w, in, ttl, config, domain, rec)) {
      return false;
    }
    w.records.push_back(rec);
    w.r.Rewind(mark);
  }
  return true;
}

// The instance's own address for A or AAAA (none: NODATA).
bool KeepInstance(EntryWriter& w, const registry::Instance& in, uint16_t qtype,
                  const AnswerConfig& config) {
  if (qtype != wire::kTypeA && qtype != wire::kTypeAaaa) return true;
  if (in.address.is_v4() != (qtype == wire::kTypeA)) return true;
  AnswerCache::Record rec{0, 0, in.priority, in.weight, 0, 0, 0};
  if (!w.r.AddAddress(Owner::Question(), in.address, InstanceTtl(in, config.ttl))) return false;
  rec.len = w.Keep(w.qend, &rec.off);
  w.records.push_back(rec);
  return true;
}

}  // namespace

// The answer for q into meta, build_records_ and build_bytes_; meta.slow stays true for
// what Answer() must answer.
void AnswerCache::Fill(Entry& meta, const Query& q, const registry::RegistryView& view,
                       const zones::ZoneSet& zones) {
  const std::optional<wire::Name> name = wire::Name::FromWire(q.name());
  size_t above = 0;
  if (!name || !name->IsAtOrBelow(*domain_, &above)) {
    meta.outside = true;  // a static zone or upstream answers it
    return;
  }
  const DomainName dn = ClassifyDomainName(*name, above, view, config_.datacenter);
  meta.kind = dn.kind;
  meta.service_index = dn.service != nullptr ? dn.service->index : 0;
  if (LeftToAnswer(dn, q.qtype, *name, zones, config_)) return;

  std::array<uint8_t, wire::kMaxNameWire + 4> question{};
  std::memcpy(question.data(), q.key.data(), q.key_len);
  wire::Put16(&question[q.key_len], wire::kClassIn);
  Response r(scratch_, kMaxMessage, OptSpec{});
  r.Begin(std::span(question).first(q.key_len + 2), &*name);
  EntryWriter w{r, scratch_, meta, build_records_, build_bytes_, wire::kHeaderSize + q.key_len + 2};
  if (dn.kind == DomainNameKind::kService) {
    if (!candidates_) candidates_ = std::make_unique<CandidateList>();
    if (!KeepService(w, *candidates_, dn, q.qtype, config_, *domain_)) return;
  } else if (dn.kind == DomainNameKind::kInstance) {
    if (!KeepInstance(w, *dn.instance, q.qtype, config_)) return;
  }
  if (build_records_.empty()) {  // NXDOMAIN or NODATA: the domain's SOA in authority
    meta.rcode = dn.kind == DomainNameKind::kNone ? wire::kRcodeNxDomain : wire::kRcodeNoError;
    r.SetSection(Section::kAuthority);
    if (!r.AddSoa(*domain_, 0, config_.negative_ttl, config_.negative_ttl)) return;
    meta.soa_len = w.Keep(w.qend, &meta.soa_off);
  }
  meta.slow = false;
}

}  // namespace dnsd::dns
