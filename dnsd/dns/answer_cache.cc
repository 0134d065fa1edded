// The cached fast path: query parsing for the common shape, entry building with the
// same Response code Answer() uses, and assembly of a hit.
#include "dnsd/dns/answer_cache.h"

#include <algorithm>
#include <cstring>

#include "dnsd/dns/domain.h"
#include "dnsd/dns/order.h"
#include "dnsd/dns/response.h"

namespace dnsd::dns {
namespace {

constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagRa = 0x0080;
constexpr uint16_t kEchoedFlags = 0x7800 | 0x0100 | 0x0010;  // opcode, RD, CD
constexpr size_t kSoaSerialFromEnd = 20;  // serial, refresh, retry, expire, minimum

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

}  // namespace

// One answer record (with its glue for SRV) as ready bytes in Entry::bytes.
struct Record {
  uint32_t off = 0;
  uint16_t len = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t target = 0;  // SRV: offset of the target name within the record
  uint32_t glue_off = 0;
  uint16_t glue_len = 0;  // 0: no glue; else its first two bytes are the owner pointer
};

struct AnswerCache::Query {
  uint16_t flags = 0;
  std::array<uint8_t, kMaxNameWire + 2> key;  // lower-case wire name, then qtype
  size_t key_len = 0;
  size_t question_end = 0;
  uint16_t qtype = 0;
  bool edns = false;
  uint16_t udp_size = 0;
  uint64_t hash = 0;

  std::span<const uint8_t> name() const { return {key.data(), key_len - 2}; }
};

struct AnswerCache::Entry {
  uint64_t seen = 0;  // hash of the last name that missed here (admission on the 2nd)
  bool used = false;
  uint64_t hash = 0;
  std::vector<uint8_t> key;
  uint64_t view_epoch = 0;
  uint64_t zones_epoch = 0;
  // What the entry was built from; a new view re-checks these.
  bool outside = false;  // not at or below the service domain
  DomainNameKind kind = DomainNameKind::kNone;
  uint64_t service_index = 0;
  // The answer. slow: Answer() answers it (zones, ANY, TXT, apex, ...).
  bool slow = true;
  uint8_t rcode = 0;
  std::vector<Record> records;
  std::vector<uint8_t> bytes;
  uint32_t soa_off = 0;
  uint16_t soa_len = 0;  // negative answers: the SOA of the authority section
  size_t total = 0;      // bytes of every record
  size_t glue = 0;       // glue records

  bool Matches(const Query& q) const {
    return used && hash == q.hash && key.size() == q.key_len &&
           std::memcmp(key.data(), q.key.data(), q.key_len) == 0;
  }
};

struct AnswerCache::Order {
  float key;
  uint16_t priority;
  uint16_t weight;
  uint32_t index;
  uint32_t target;  // where this record's SRV target landed in the response
};

namespace {

// Reads the common query shape: QUERY opcode, one IN question with an uncompressed
// name, no answer or authority records, at most an OPT record of version 0. Anything
// else is left to Answer(), which knows every rule.
bool ParseQuery(std::span<const uint8_t> p, AnswerCache::Query& q) {
  if (p.size() < kHeaderSize + 5) return false;
  q.flags = Get16(&p[2]);
  if ((q.flags & 0xF800) != 0) return false;  // QR=1 or an opcode other than QUERY
  if (Get16(&p[4]) != 1 || Get16(&p[6]) != 0 || Get16(&p[8]) != 0) return false;
  const uint16_t arcount = Get16(&p[10]);
  if (arcount > 1) return false;
  size_t at = kHeaderSize;
  size_t n = 0;
  uint64_t h = 0x243F6A8885A308D3ull;
  for (;;) {
    if (at >= p.size()) return false;
    const uint8_t len = p[at];
    if (len > kMaxLabel || n + 1 + len > kMaxNameWire || at + 1 + len > p.size()) return false;
    q.key[n++] = len;
    for (size_t i = 1; i <= len; ++i) {
      const uint8_t c = p[at + i];
      q.key[n++] = (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
    }
    at += 1 + len;
    if (len == 0) break;
  }
  if (p.size() - at < 4 || Get16(&p[at + 2]) != kClassIn) return false;
  q.qtype = Get16(&p[at]);
  q.key[n++] = p[at];
  q.key[n++] = p[at + 1];
  q.key_len = n;
  q.question_end = at + 4;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, &q.key[i], std::min<size_t>(8, n - i));
    h = Mix(h, w);
  }
  q.hash = Mix(h, n);
  q.edns = arcount == 1;
  if (!q.edns) return true;
  at = q.question_end;  // the OPT record: root owner, type, size, ext-rcode, version
  if (p.size() - at < kOptRecordSize || p[at] != 0 || Get16(&p[at + 1]) != kTypeOpt) return false;
  if (p[at + 6] != 0) return false;  // EDNS version > 0: BADVERS from Answer()
  q.udp_size = Get16(&p[at + 3]);
  const size_t rdlen = Get16(&p[at + 9]);
  size_t opt = at + kOptRecordSize;
  if (p.size() - opt < rdlen) return false;
  const size_t end = opt + rdlen;
  while (opt < end) {  // options must tile the rdata (else FORMERR from Answer())
    if (end - opt < 4 || end - opt - 4 < Get16(&p[opt + 2])) return false;
    opt += 4 + Get16(&p[opt + 2]);
  }
  return true;
}

}  // namespace

AnswerCache::AnswerCache(const AnswerConfig& config, size_t slots)
    : config_(config), domain_(Name::FromText(config.domain)), scratch_(kMaxMessage) {
  size_t n = 1;
  while (n < slots) n <<= 1;
  slots_.resize(n);
}

AnswerCache::~AnswerCache() = default;

void AnswerCache::Observe(const std::shared_ptr<const registry::RegistryView>& view,
                          const std::shared_ptr<const zones::ZoneSet>& zones) {
  if (view.get() != view_.get()) {
    view_ = view;
    ++view_epoch_;
  }
  if (zones.get() != zones_.get()) {
    zones_ = zones;
    ++zones_epoch_;
  }
}

AnswerResult AnswerCache::Answer(std::span<const uint8_t> query, Transport transport,
                                 const std::shared_ptr<const registry::RegistryView>& view,
                                 const std::shared_ptr<const zones::ZoneSet>& zones,
                                 std::minstd_rand& rng, std::span<uint8_t> out) {
  Observe(view, zones);
  Query q;  // key is left uninitialised: ParseQuery writes what it uses
  if (domain_ && view->loaded() && out.size() >= kMinUdpSize && ParseQuery(query, q)) {
    std::unique_ptr<Entry>& slot = slots_[q.hash & (slots_.size() - 1)];
    if (!slot) slot = std::make_unique<Entry>();
    Entry& e = *slot;
    bool ready = e.Matches(q) && Fresh(e, *view);
    if (!ready && (e.Matches(q) || e.seen == q.hash)) {
      Build(e, q, *view, *zones);
      ready = true;
    } else if (!ready) {
      e.seen = q.hash;
    }
    if (ready && !e.slow) {
      const size_t limit = transport == Transport::kTcp ? kMaxMessage
                           : q.edns ? std::clamp<size_t>(q.udp_size, kMinUdpSize,
                                                         std::max<size_t>(config_.max_udp_size,
                                                                          kMinUdpSize))
                                    : kMinUdpSize;
      const size_t size = Assemble(e, q, query, rng, out.first(std::min(limit, out.size())));
      if (size > 0) {
        ++stats_.hits;
        AnswerResult r;
        r.disposition = Disposition::kReply;
        r.size = size;
        r.qtype = q.qtype;
        r.rcode = e.rcode;
        return r;
      }
    }
  }
  ++stats_.fallback;
  return dns::Answer(query, transport, *view, *zones, config_, domain_ ? &*domain_ : nullptr, rng,
                     out);
}

// Still right for the current view and zones? A new view re-checks what the entry was
// built from; a new zone set never is (static records may now share the name).
bool AnswerCache::Fresh(Entry& e, const registry::RegistryView& view) {
  if (e.zones_epoch != zones_epoch_) return false;
  if (e.view_epoch == view_epoch_ || e.outside) {
    e.view_epoch = view_epoch_;
    return true;
  }
  const std::optional<Name> name = Name::FromWire(std::span(e.key).first(e.key.size() - 2));
  size_t above = 0;
  if (!name || !name->IsAtOrBelow(*domain_, &above)) return false;
  const DomainName dn = ClassifyDomainName(*name, above, view);
  if (dn.kind != e.kind || (dn.service != nullptr ? dn.service->index : 0) != e.service_index) {
    return false;
  }
  e.view_epoch = view_epoch_;
  return true;
}

}  // namespace dnsd::dns

namespace dnsd::dns {

// Builds e for q with the Response code Answer() uses, one record at a time right after
// the question in scratch_, so that every record's only compression pointer is to the
// question (at the same offset in every response) and glue points at its SRV target
// (patched per response). The SOA of a negative answer also sits right after the
// question, as it will in every response.
void AnswerCache::Build(Entry& e, const Query& q, const registry::RegistryView& view,
                        const zones::ZoneSet& zones) {
  ++stats_.builds;
  e.used = true;
  e.hash = q.hash;
  e.key.assign(q.key.begin(), q.key.begin() + static_cast<ptrdiff_t>(q.key_len));
  e.view_epoch = view_epoch_;
  e.zones_epoch = zones_epoch_;
  e.outside = false;
  e.kind = DomainNameKind::kNone;
  e.service_index = 0;
  e.slow = true;
  e.rcode = kRcodeNoError;
  e.records.clear();
  e.bytes.clear();
  e.soa_len = 0;
  e.total = 0;
  e.glue = 0;

  const std::optional<Name> name = Name::FromWire(q.name());
  size_t above = 0;
  if (!name || !name->IsAtOrBelow(*domain_, &above)) {
    e.outside = true;  // a static zone or upstream answers it
    return;
  }
  const DomainName dn = ClassifyDomainName(*name, above, view);
  e.kind = dn.kind;
  e.service_index = dn.service != nullptr ? dn.service->index : 0;
  const uint16_t qtype = q.qtype;
  if (qtype == kTypeAny || qtype == kTypeAxfr || qtype == kTypeIxfr) return;
  if (!zones.empty()) {
    NameText text;
    ToText(*name, text);
    const zones::Zone* zone = zones.FindZone(text.view());
    if (zone != nullptr && zone->Lookup(text.view()).kind != zones::LookupKind::kNxDomain) return;
  }

  std::array<uint8_t, kMaxNameWire + 4> question{};
  std::memcpy(question.data(), q.key.data(), q.key_len);
  Put16(&question[q.key_len], kClassIn);
  const size_t qend = kHeaderSize + q.key_len + 2;
  Response r(scratch_, kMaxMessage, OptSpec{});
  r.Begin(std::span(question).first(q.key_len + 2), &*name);
  auto keep = [&](size_t from, uint32_t* off) {
    const size_t to = r.writer().pos();
    *off = static_cast<uint32_t>(e.bytes.size());
    e.bytes.insert(e.bytes.end(), scratch_.begin() + static_cast<ptrdiff_t>(from),
                   scratch_.begin() + static_cast<ptrdiff_t>(to));
    e.total += to - from;
    return static_cast<uint16_t>(to - from);
  };

  const bool address = qtype == kTypeA || qtype == kTypeAaaa;
  const FamilyFilter family = qtype == kTypeA ? FamilyFilter::kV4 : FamilyFilter::kV6;
  if (dn.kind == DomainNameKind::kService && (address || qtype == kTypeSrv)) {
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
        ++e.glue;
      }
      e.records.push_back(rec);
      r.Rewind(mark);
    }
  } else if (dn.kind == DomainNameKind::kInstance && address) {
    const registry::Instance& in = *dn.instance;
    if (in.address.is_v4() == (qtype == kTypeA)) {
      Record rec{0, 0, in.priority, in.weight, 0, 0, 0};
      if (!r.AddAddress(Owner::Question(), in.address, InstanceTtl(in, config_.ttl))) return;
      rec.len = keep(qend, &rec.off);
      e.records.push_back(rec);
    }
  } else if (dn.kind == DomainNameKind::kApex || dn.kind == DomainNameKind::kNameServer ||
             (dn.kind == DomainNameKind::kInstance && qtype == kTypeTxt)) {
    return;  // rare, or built from more than the instance's address: Answer() does these
  }
  if (e.records.empty()) {  // NXDOMAIN or NODATA: the domain's SOA in the authority section
    e.rcode = dn.kind == DomainNameKind::kNone ? kRcodeNxDomain : kRcodeNoError;
    r.SetSection(Section::kAuthority);
    if (!r.AddSoa(*domain_, 0, config_.negative_ttl, config_.negative_ttl)) return;
    e.soa_len = keep(qend, &e.soa_off);
  }
  e.slow = false;
}

size_t AnswerCache::Assemble(const Entry& e, const Query& q, std::span<const uint8_t> query,
                             std::minstd_rand& rng, std::span<uint8_t> out) {
  const size_t qlen = q.question_end - kHeaderSize;
  const size_t size = kHeaderSize + qlen + e.total + (q.edns ? kOptRecordSize : 0);
  if (size > out.size() || (e.glue > 0 && size > kMaxPointerTarget)) return 0;
  uint8_t* p = out.data();
  std::memcpy(p, query.data(), 2);  // ID
  Put16(p + 2, static_cast<uint16_t>(kFlagQr | (q.flags & kEchoedFlags) | kFlagAa |
                                     (config_.forwarding ? kFlagRa : 0) | e.rcode));
  Put16(p + 4, 1);
  Put16(p + 6, static_cast<uint16_t>(e.records.size()));
  Put16(p + 8, e.soa_len > 0 ? 1 : 0);
  Put16(p + 10, static_cast<uint16_t>(e.glue + (q.edns ? 1 : 0)));
  std::memcpy(p + kHeaderSize, query.data() + kHeaderSize, qlen);  // the client's case
  size_t at = kHeaderSize + qlen;

  const size_t n = e.records.size();
  if (order_.size() < n) order_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Record& rec = e.records[i];
    order_[i] = Order{n > 1 ? ShuffleKey(rec.weight, rng) : 0.0f, rec.priority, rec.weight,
                      static_cast<uint32_t>(i), 0};
  }
  if (n > 1) {
    std::sort(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(n),
              [](const Order& a, const Order& b) {
                return ShuffledBefore(a.priority, a.weight, a.key, b.priority, b.weight, b.key);
              });
  }
  for (size_t k = 0; k < n; ++k) {
    const Record& rec = e.records[order_[k].index];
    std::memcpy(p + at, e.bytes.data() + rec.off, rec.len);
    order_[k].target = static_cast<uint32_t>(at + rec.target);
    at += rec.len;
  }
  if (e.soa_len > 0) {
    std::memcpy(p + at, e.bytes.data() + e.soa_off, e.soa_len);
    at += e.soa_len;
    Put32(p + at - kSoaSerialFromEnd, static_cast<uint32_t>(view_->index()));
  }
  for (size_t k = 0; k < n && e.glue > 0; ++k) {
    const Record& rec = e.records[order_[k].index];
    std::memcpy(p + at, e.bytes.data() + rec.glue_off, rec.glue_len);
    Put16(p + at, static_cast<uint16_t>(0xC000 | order_[k].target));
    at += rec.glue_len;
  }
  if (q.edns) {
    p[at] = 0;  // root owner
    Put16(p + at + 1, kTypeOpt);
    Put16(p + at + 3, static_cast<uint16_t>(std::max<size_t>(config_.max_udp_size, kMinUdpSize)));
    Put32(p + at + 5, 0);  // extended rcode, version 0, flags
    Put16(p + at + 9, 0);
    at += kOptRecordSize;
  }
  return at;
}

}  // namespace dnsd::dns
