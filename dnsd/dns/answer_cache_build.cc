// Building an answer cache entry with the Response code Answer() uses.
#include <algorithm>
#include <cstring>

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
  const DomainName dn = ClassifyDomainName(*name, above, view);
  meta.kind = dn.kind;
  meta.service_index = dn.service != nullptr ? dn.service->index : 0;
  const uint16_t qtype = q.qtype;
  if (qtype == wire::kTypeAny || qtype == wire::kTypeAxfr || qtype == wire::kTypeIxfr) return;
  if (!zones.empty()) {
    wire::NameText text;
    wire::ToText(*name, text);
    const zones::Zone* zone = zones.FindZone(text.view());
    if (zone != nullptr && zone->Lookup(text.view()).kind != zones::LookupKind::kNxDomain) return;
  }

  std::array<uint8_t, wire::kMaxNameWire + 4> question{};
  std::memcpy(question.data(), q.key.data(), q.key_len);
  wire::Put16(&question[q.key_len], wire::kClassIn);
  const size_t qend = wire::kHeaderSize + q.key_len + 2;
  Response r(scratch_, kMaxMessage, OptSpec{});
  r.Begin(std::span(question).first(q.key_len + 2), &*name);
  auto keep = [&](size_t from, uint32_t* off) {
    const size_t to = r.writer().pos();
    *off = static_cast<uint32_t>(build_bytes_.size());
    build_bytes_.insert(build_bytes_.end(), scratch_.begin() + static_cast<ptrdiff_t>(from),
                        scratch_.begin() + static_cast<ptrdiff_t>(to));
    meta.total += static_cast<uint32_t>(to - from);
    return static_cast<uint16_t>(to - from);
  };

  const bool address = qtype == wire::kTypeA || qtype == wire::kTypeAaaa;
  const FamilyFilter family = qtype == wire::kTypeA ? FamilyFilter::kV4 : FamilyFilter::kV6;
  if (dn.kind == DomainNameKind::kService && (address || qtype == wire::kTypeSrv)) {
    if (config_.udp_answer_limit > 0) return;  // a random subset per response
    if (!candidates_) candidates_ = std::make_unique<CandidateList>();
    CandidateList& list = *candidates_;
    list.Collect(*dn.service, dn.filter, address ? family : FamilyFilter::kAny,
                 config_.include_warning);
    const uint32_t ttl = list.MinTtl(config_.ttl);
    const Response::Mark mark = r.Save();
    for (size_t i = 0; i < list.size(); ++i) {
      const registry::Instance& in = *list[i].instance;
      Record rec{0, 0, in.priority, in.weight, 0, 0, 0};
      size_t target = 0;
      if (address) {
        if (!r.AddAddress(Owner::Question(), in.address, ttl)) return;
      } else if (!r.AddSrv(Owner::Question(), in, ttl, *domain_, &target)) {
        return;
      }
      rec.len = keep(qend, &rec.off);
      if (!address) {
        rec.target = static_cast<uint16_t>(target - qend);
        const size_t glue = r.writer().pos();
        r.SetSection(Section::kAdditional);
        if (!r.AddAddress(Owner::At(target), in.address, InstanceTtl(in, config_.ttl))) return;
        rec.glue_len = keep(glue, &rec.glue_off);
        r.SetSection(Section::kAnswer);
        ++meta.glue;
      }
      build_records_.push_back(rec);
      r.Rewind(mark);
    }
  } else if (dn.kind == DomainNameKind::kInstance && address) {
    const registry::Instance& in = *dn.instance;
    if (in.address.is_v4() == (qtype == wire::kTypeA)) {
      Record rec{0, 0, in.priority, in.weight, 0, 0, 0};
      if (!r.AddAddress(Owner::Question(), in.address, InstanceTtl(in, config_.ttl))) return;
      rec.len = keep(qend, &rec.off);
      build_records_.push_back(rec);
    }
  } else if (dn.kind == DomainNameKind::kApex || dn.kind == DomainNameKind::kNameServer ||
             (dn.kind == DomainNameKind::kInstance && qtype == wire::kTypeTxt)) {
    return;  // rare, or built from more than the instance's address: Answer() does these
  }
  if (build_records_.empty()) {  // NXDOMAIN or NODATA: the domain's SOA in authority
    meta.rcode = dn.kind == DomainNameKind::kNone ? wire::kRcodeNxDomain : wire::kRcodeNoError;
    r.SetSection(Section::kAuthority);
    if (!r.AddSoa(*domain_, 0, config_.negative_ttl, config_.negative_ttl)) return;
    meta.soa_len = keep(qend, &meta.soa_off);
  }
  meta.slow = false;
}

}  // namespace dnsd::dns
