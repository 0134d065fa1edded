// The cached fast path: query parsing for the common shape, lookup and re-checking of
// entries, and assembly of a hit (entries are built in answer_cache_build.cc).
#include "dnsd/dns/answer_cache.h"

#include <algorithm>
#include <cstring>

#include "dnsd/dns/answer_cache_internal.h"
#include "dnsd/dns/order.h"

namespace dnsd::dns {
namespace {

using wire::Get16;
using wire::Put16;
using wire::Put32;

constexpr size_t kSoaSerialFromEnd = 20;  // serial, refresh, retry, expire, minimum

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

}  // namespace

struct AnswerCache::Order {
  float key;
  uint16_t priority;
  uint16_t weight;
  uint32_t index;
  uint32_t target;  // where this record's SRV target landed in the response
};

namespace {

uint64_t KeyHash(const uint8_t* key, size_t n) {
  uint64_t h = 0x243F6A8885A308D3ull;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, key + i, std::min<size_t>(8, n - i));
    h = Mix(h, w);
  }
  return Mix(h, n);
}

// The OPT record right after the question, the only record the common shape has: the
// root owner, version 0 (else BADVERS from Answer()), options that tile its rdata (else
// FORMERR from Answer()).
bool ParseOpt(std::span<const uint8_t> p, size_t opt, AnswerCache::Query& q) {
  if (p.size() - opt < wire::kOptRecordSize || p[opt] != 0) return false;
  const wire::RecordFields rr = wire::ReadRecordFields(&p[opt + 1]);
  if (rr.type != wire::kTypeOpt || (rr.ttl >> 16 & 0xFF) != 0) return false;
  q.udp_size = rr.rclass;
  const size_t rdata = opt + wire::kOptRecordSize;
  if (p.size() - rdata < rr.rdlength) return false;
  return wire::OptionsWellFormed(p, rdata, rr.rdlength);
}

// Reads the common query shape: QUERY opcode, one IN question with an uncompressed
// name, no answer or authority records, at most an OPT record of version 0. Anything
// else is left to Answer(), which knows every rule.
bool ParseQuery(std::span<const uint8_t> p, AnswerCache::Query& q) {
  if (p.size() < wire::kHeaderSize + 5) return false;
  const uint8_t* header = p.data();
  q.flags = Get16(header + wire::kFlagsAt);
  if ((q.flags & (wire::kFlagQr | wire::kOpcodeMask)) != 0) return false;  // not a QUERY
  if (Get16(header + wire::kQdcountAt) != 1 || Get16(header + wire::kAncountAt) != 0 ||
      Get16(header + wire::kNscountAt) != 0) {
    return false;
  }
  const uint16_t arcount = Get16(header + wire::kArcountAt);
  if (arcount > 1) return false;
  size_t n = 0;
  const size_t at = wire::ReadName(p, wire::kHeaderSize, [&](const uint8_t* label, size_t len) {
    q.key[n++] = static_cast<uint8_t>(len);
    for (size_t i = 0; i < len; ++i) q.key[n++] = wire::Lower(label[i]);
  });
  if (at == 0 || p.size() - at < 4 || Get16(&p[at + 2]) != wire::kClassIn) return false;
  q.key[n++] = 0;  // the root
  q.qtype = Get16(&p[at]);
  q.key[n++] = p[at];
  q.key[n++] = p[at + 1];
  q.key_len = n;
  q.question_end = at + 4;
  q.hash = KeyHash(q.key.data(), n);
  q.edns = arcount == 1;
  return !q.edns || ParseOpt(p, q.question_end, q);
}

}  // namespace

void AnswerCache::EntryDelete::operator()(Entry* e) const {
  e->~Entry();
  ::operator delete(e);
}

AnswerCache::AnswerCache(const AnswerConfig& config, size_t max_slots)
    : config_(config), domain_(wire::Name::FromText(config.domain)), scratch_(kMaxMessage) {
  max_slots_ = 2;
  while (max_slots_ < max_slots) max_slots_ <<= 1;
  Resize(std::min(kInitialSlots, max_slots_));
  seen_.assign(std::min<size_t>(max_slots_ * 2, size_t{1} << 17), 0);  // 512 KiB at most
}

AnswerCache::~AnswerCache() = default;

void AnswerCache::Resize(size_t slots) {
  slots_ = std::vector<Slot>(slots);
  evict_.assign(slots / 2, 0);
  grow_ = false;
  live_ = 0;
}

void AnswerCache::Grow() {
  std::vector<Slot> old = std::move(slots_);
  Resize(old.size() * 2);
  for (Slot& s : old) {
    if (!s.entry) continue;
    Slot* ways = &slots_[(s.hash & (evict_.size() - 1)) * 2];
    Slot* free = !ways[0].entry ? &ways[0] : !ways[1].entry ? &ways[1] : nullptr;
    if (free == nullptr) continue;  // a third name of a new set: dropped, rebuilt if asked
    *free = std::move(s);
    ++live_;
  }
}

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
  if ((grow_ || live_ > slots_.size() / 4 * 3) && slots_.size() < max_slots_) Grow();
  Query q;  // key is left uninitialised: ParseQuery writes what it uses
  if (domain_ && view->loaded() && out.size() >= wire::kMinUdpSize && ParseQuery(query, q)) {
    const Entry* e = Find(q, *view, *zones);
    if (e != nullptr && !e->slow) {
      const size_t limit =
          transport == Transport::kTcp ? kMaxMessage
          : q.edns                     ? std::clamp<size_t>(q.udp_size, wire::kMinUdpSize,
                                        std::max<size_t>(config_.max_udp_size, wire::kMinUdpSize))
                                       : wire::kMinUdpSize;
      const size_t size = Assemble(*e, q, query, rng, out.first(std::min(limit, out.size())));
      if (size > 0) {
        ++stats_.hits;
        AnswerResult r;
        r.disposition = Disposition::kReply;
        r.size = size;
        r.qtype = q.qtype;
        r.rcode = e->rcode;
        return r;
      }
    }
  }
  ++stats_.fallback;
  return dns::Answer(query, transport, *view, *zones, config_, domain_ ? &*domain_ : nullptr, rng,
                     out);
}

// The entry for q, fresh for view and zones: found, re-checked, or built when the name
// missed once before (the doorkeeper). nullptr: no entry (yet). Inline in Answer(), its
// only caller: out of line, a hit costs 5 % more instructions.
[[gnu::always_inline]] inline const AnswerCache::Entry* AnswerCache::Find(
    const Query& q, const registry::RegistryView& view, const zones::ZoneSet& zones) {
  const size_t set = q.hash & (evict_.size() - 1);
  Slot* ways = &slots_[set * 2];
  size_t way = ways[0].hash == q.hash && ways[0].entry && ways[0].entry->Matches(q)   ? 0
               : ways[1].hash == q.hash && ways[1].entry && ways[1].entry->Matches(q) ? 1
                                                                                      : 2;
  Entry* e = way < 2 ? ways[way].entry.get() : nullptr;
  bool ready = e != nullptr && Fresh(*e, view);
  // Set index from the low bits, doorkeeper index from the high half, fingerprint from
  // the low half: a name's three uses of its hash are independent.
  uint32_t& seen = seen_[(q.hash >> 32) & (seen_.size() - 1)];
  const auto fingerprint = static_cast<uint32_t>(q.hash);
  if (!ready && (e != nullptr || seen == fingerprint)) {
    const bool miss = way == 2;
    if (miss) way = evict_[set];
    if (!ways[way].entry) {
      ++live_;
    } else if (miss && live_ > slots_.size() / 4) {
      grow_ = true;  // another name's entry goes
    }
    e = Build(ways[way], q, view, zones);
    ready = true;
  } else if (!ready) {
    seen = fingerprint;
  }
  if (way < 2) evict_[set] = static_cast<uint8_t>(way ^ 1);
  return ready ? e : nullptr;
}

// Still right for the current view and zones? A new view re-checks what the entry was
// built from; a new zone set never is (static records may now share the name).
bool AnswerCache::Fresh(Entry& e, const registry::RegistryView& view) {
  if (e.zones_epoch != zones_epoch_) return false;
  if (e.view_epoch == view_epoch_ || e.outside) {
    e.view_epoch = view_epoch_;
    return true;
  }
  const std::optional<wire::Name> name = wire::Name::FromWire(e.key().first(e.key_len - 2u));
  size_t above = 0;
  if (!name || !name->IsAtOrBelow(*domain_, &above)) return false;
  const DomainName dn = ClassifyDomainName(*name, above, view, config_.datacenter);
  if (dn.kind != e.kind || (dn.service != nullptr ? dn.service->index : 0) != e.service_index) {
    return false;
  }
  e.view_epoch = view_epoch_;
  return true;
}

namespace {

// The header of a hit, then the query's own question (so the client's case comes back).
void WriteHeader(uint8_t* p, std::span<const uint8_t> query, const AnswerCache::Query& q,
                 const AnswerCache::Entry& e, bool forwarding) {
  std::memcpy(p + wire::kIdAt, query.data() + wire::kIdAt, 2);
  Put16(p + wire::kFlagsAt,
        static_cast<uint16_t>(wire::kFlagQr | (q.flags & kEchoedFlags) | wire::kFlagAa |
                              (forwarding ? wire::kFlagRa : 0) | e.rcode));
  Put16(p + wire::kQdcountAt, 1);
  Put16(p + wire::kAncountAt, e.records);
  Put16(p + wire::kNscountAt, e.soa_len > 0 ? 1 : 0);
  Put16(p + wire::kArcountAt, static_cast<uint16_t>(e.glue + (q.edns ? 1 : 0)));
  std::memcpy(p + wire::kHeaderSize, query.data() + wire::kHeaderSize,
              q.question_end - wire::kHeaderSize);
}

}  // namespace

// A fresh weighted order of e's records in order_[0, records) (ShuffleKey and
// ShuffledBefore: the rule CandidateList::Order follows). Inline in Assemble(), its only
// caller.
[[gnu::always_inline]] inline void AnswerCache::Shuffle(const Entry& e, std::minstd_rand& rng) {
  const size_t n = e.records;
  const Record* records = e.record();
  if (order_.size() < n) order_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Record& rec = records[i];
    order_[i] = Order{n > 1 ? ShuffleKey(rec.weight, rng) : 0.0f, rec.priority, rec.weight,
                      static_cast<uint32_t>(i), 0};
  }
  if (n > 1) {
    std::sort(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(n),
              [](const Order& a, const Order& b) {
                return ShuffledBefore(a.priority, a.weight, a.key, b.priority, b.weight, b.key);
              });
  }
}

size_t AnswerCache::Assemble(const Entry& e, const Query& q, std::span<const uint8_t> query,
                             std::minstd_rand& rng, std::span<uint8_t> out) {
  const size_t qlen = q.question_end - wire::kHeaderSize;
  const size_t size = wire::kHeaderSize + qlen + e.total + (q.edns ? wire::kOptRecordSize : 0);
  if (size > out.size() || (e.glue > 0 && size > wire::kMaxPointerTarget)) return 0;
  uint8_t* p = out.data();
  WriteHeader(p, query, q, e, config_.forwarding);
  size_t at = wire::kHeaderSize + qlen;

  Shuffle(e, rng);
  const Record* records = e.record();
  const uint8_t* bytes = e.bytes();
  for (size_t k = 0; k < e.records; ++k) {
    const Record& rec = records[order_[k].index];
    std::memcpy(p + at, bytes + rec.off, rec.len);
    order_[k].target = static_cast<uint32_t>(at + rec.target);
    at += rec.len;
  }
  if (e.soa_len > 0) {
    std::memcpy(p + at, bytes + e.soa_off, e.soa_len);
    at += e.soa_len;
    Put32(p + at - kSoaSerialFromEnd, static_cast<uint32_t>(view_->index()));
  }
  for (size_t k = 0; k < e.records && e.glue > 0; ++k) {  // each glue owner: its SRV target
    const Record& rec = records[order_[k].index];
    std::memcpy(p + at, bytes + rec.glue_off, rec.glue_len);
    Put16(p + at, static_cast<uint16_t>(wire::kPointerBits | order_[k].target));
    at += rec.glue_len;
  }
  if (q.edns) {
    wire::PutOpt(p + at,
                 static_cast<uint16_t>(std::max<size_t>(config_.max_udp_size, wire::kMinUdpSize)));
    at += wire::kOptRecordSize;
  }
  return at;
}

}  // namespace dnsd::dns
