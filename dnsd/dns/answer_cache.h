// AnswerCache: the per-worker fast path in front of Answer().
//
// The queries a service-discovery server mostly gets — A, AAAA and SRV of service
// names, A/AAAA of instance names, and negative answers inside the service domain — are
// kept per (lower-case name, type) as ready wire records. A query that hits writes the
// header (its ID and flags), copies its own question (so the client's case comes back),
// then the records in a fresh weighted-random order, patching only the glue's pointers
// to the SRV targets and the SOA serial. Nothing is allocated on a hit. Every other
// query, and every answer that would not fit whole in the client's size, goes to
// Answer(), which stays the reference: a hit is byte-for-byte what Answer() would send
// with the same record order.
//
// Invalidation follows the registry's change notification: each published view is a new
// object. When the view changes, an entry is re-checked once, by classifying its name
// again against the new view and comparing what its answer was built from (the name's
// kind and its service's index). A change to one service rebuilds only the entries of
// that service; entries of other services cost one lookup. A new zone set drops all.
//
// The table is two-way set-associative (a miss evicts the way its set used least
// recently). It starts small and doubles, up to a fixed number of slots, when it is 3/4
// full or when an entry is evicted while it is a quarter full, so memory follows the working set
// and stays bounded however many names are asked (a sidecar with a few services keeps a few KiB). A
// name gets an entry only on its second miss: a first miss leaves the name's fingerprint
// in a doorkeeper table (fixed size, up to twice the largest table, so it remembers a
// name for a whole pass over a large working set even while the table is small), so a
// stream of one-off names (random
// subdomains) costs no build and evicts nothing.
//
// Thread: one per worker thread; not shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "dnsd/dns/answer.h"
#include "dnsd/wire/wire.h"
#include "registry/snapshot.h"
#include "zones/zone.h"

namespace dnsd::dns {

class CandidateList;

class AnswerCache {
 public:
  static constexpr size_t kInitialSlots = 256;
  static constexpr size_t kDefaultSlots = 1u << 18;  // at most: 128 K sets of 2 ways

  struct Stats {
    uint64_t hits = 0;      // answered from an entry
    uint64_t builds = 0;    // entries built or rebuilt
    uint64_t fallback = 0;  // answered by Answer()
  };

  // config must outlive the cache. max_slots is rounded up to a power of two (at
  // least 2); the table starts at kInitialSlots or max_slots, whichever is smaller.
  explicit AnswerCache(const AnswerConfig& config, size_t max_slots = kDefaultSlots);
  ~AnswerCache();
  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  // Same contract as dns::Answer(). The cache keeps the last view and zone set alive, so
  // a new object is always a change (pointer identity cannot be reused meanwhile).
  AnswerResult Answer(std::span<const uint8_t> query, Transport transport,
                      const std::shared_ptr<const registry::RegistryView>& view,
                      const std::shared_ptr<const zones::ZoneSet>& zones, std::minstd_rand& rng,
                      std::span<uint8_t> out);

  const Stats& stats() const { return stats_; }
  size_t slots() const { return slots_.size(); }

  struct Entry;  // defined in answer_cache.cc
  struct Query;
  struct Record;

 private:
  void Observe(const std::shared_ptr<const registry::RegistryView>& view,
               const std::shared_ptr<const zones::ZoneSet>& zones);
  struct EntryDelete {
    void operator()(Entry* e) const;
  };
  struct Slot {         // one way of a set; a set is two adjacent slots
    uint64_t hash = 0;  // of the entry's key
    std::unique_ptr<Entry, EntryDelete> entry;
  };

  void Resize(size_t slots);  // empties the table (not the doorkeeper)
  void Grow();                // doubles it, keeping the entries
  const Entry* Find(const Query& q, const registry::RegistryView& view,
                    const zones::ZoneSet& zones);
  bool Fresh(Entry& e, const registry::RegistryView& view);
  Entry* Build(Slot& slot, const Query& q, const registry::RegistryView& view,
               const zones::ZoneSet& zones);
  void Fill(Entry& meta, const Query& q, const registry::RegistryView& view,
            const zones::ZoneSet& zones);
  void Shuffle(const Entry& e, std::minstd_rand& rng);
  size_t Assemble(const Entry& e, const Query& q, std::span<const uint8_t> query,
                  std::minstd_rand& rng, std::span<uint8_t> out);

  const AnswerConfig& config_;
  std::optional<wire::Name> domain_;
  size_t max_slots_;
  size_t live_ = 0;    // slots holding an entry
  bool grow_ = false;  // set by an eviction from a table at least a quarter full
  std::vector<Slot> slots_;
  std::vector<uint8_t> evict_;         // per set: the way to replace next (used least recently)
  std::vector<uint32_t> seen_;         // doorkeeper: fingerprints of names that missed once
  std::vector<Record> build_records_;  // an entry's records and bytes while it is built
  std::vector<uint8_t> build_bytes_;
  std::vector<uint8_t> scratch_;               // where entries' records are written before copying
  std::unique_ptr<CandidateList> candidates_;  // large: allocated on the first build
  struct Order;
  std::vector<Order> order_;  // per-query record order (grows, never shrinks)
  std::shared_ptr<const registry::RegistryView> view_;
  std::shared_ptr<const zones::ZoneSet> zones_;
  uint64_t view_epoch_ = 0;   // bumps when view_ changes
  uint64_t zones_epoch_ = 0;  // bumps when zones_ changes
  Stats stats_;
};

}  // namespace dnsd::dns
