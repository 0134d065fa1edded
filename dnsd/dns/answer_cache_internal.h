// Internal to the answer cache (answer_cache.cc, answer_cache_build.cc): the parsed
// query and the layout of an entry.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dnsd/dns/answer_cache.h"
#include "dnsd/dns/domain.h"
#include "dnsd/wire/wire.h"

namespace dnsd::dns {

// One answer record (with its glue for SRV) as ready bytes in its entry.
struct AnswerCache::Record {
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
  std::array<uint8_t, wire::kMaxNameWire + 2> key;  // lower-case wire name, then qtype
  size_t key_len = 0;
  size_t question_end = 0;
  uint16_t qtype = 0;
  bool edns = false;
  uint16_t udp_size = 0;
  uint64_t hash = 0;

  std::span<const uint8_t> name() const { return {key.data(), key_len - 2}; }
};

// One block per entry: this header, then the key (padded to 8 bytes), the records and
// their bytes, so that a hit reads the slot and one contiguous allocation.
struct AnswerCache::Entry {
  uint64_t view_epoch = 0;
  uint64_t zones_epoch = 0;
  // What the entry was built from; a new view re-checks these.
  uint64_t service_index = 0;
  DomainNameKind kind = DomainNameKind::kNone;
  bool outside = false;  // not at or below the service domain
  // The answer. slow: Answer() answers it (zones, ANY, TXT, apex, ...).
  bool slow = true;
  uint8_t rcode = 0;
  uint16_t key_len = 0;
  uint16_t records = 0;
  uint16_t glue = 0;     // glue records
  uint16_t soa_len = 0;  // negative answers: the SOA of the authority section
  uint32_t soa_off = 0;
  uint32_t total = 0;  // bytes of every record
  uint32_t bytes_len = 0;
  uint32_t capacity = 0;  // of the tail

  static size_t KeySpace(size_t key_len) { return (key_len + 7) & ~size_t{7}; }
  size_t TailSize() const { return KeySpace(key_len) + records * sizeof(Record) + bytes_len; }
  uint8_t* tail() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* tail() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  std::span<const uint8_t> key() const { return {tail(), key_len}; }
  const Record* record() const {
    return reinterpret_cast<const Record*>(tail() + KeySpace(key_len));
  }
  const uint8_t* bytes() const { return tail() + KeySpace(key_len) + records * sizeof(Record); }
  bool Matches(const Query& q) const {
    return key_len == q.key_len && std::memcmp(tail(), q.key.data(), q.key_len) == 0;
  }
};

}  // namespace dnsd::dns
