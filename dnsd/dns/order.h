// Choosing and ordering the instances of one answer (SPEC §2 "Order"): the healthy
// instances that match a filter, lower priority first, within a priority a weighted
// random order (weight 0 last), fresh for every response.
//
// CandidateList keeps up to kInlineCandidates entries on the stack and falls back to the
// heap only beyond that, so the common path does not allocate. Single-threaded value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "registry/instance.h"
#include "registry/snapshot.h"

namespace dnsd::dns {

// Which instances of a service a name selects (any health).
struct InstanceFilter {
  enum class Kind : uint8_t { kAll, kTag, kProto };
  Kind kind = Kind::kAll;
  std::string_view tag;  // lower-case, for kTag
  registry::Proto proto = registry::Proto::kTcp;

  bool Matches(const registry::Instance& instance) const;
};

// Whether an instance is served in DNS (passing; warning too when include_warning).
bool IsHealthy(const registry::Instance& instance, bool include_warning);

// kSrv: any family, and a port (an instance registered with port 0 has no SRV record).
enum class FamilyFilter : uint8_t { kAny, kV4, kV6, kSrv };

struct Candidate {
  const registry::Instance* instance;
  float key;            // weighted-random sort key (larger first)
  uint16_t target_off;  // where the SRV target was written (0 = not written)
};

inline constexpr size_t kInlineCandidates = 4096;

class CandidateList {
 public:
  CandidateList() = default;
  CandidateList(const CandidateList&) = delete;
  CandidateList& operator=(const CandidateList&) = delete;

  // Replaces the contents with the healthy instances of service that pass both filters.
  void Collect(const registry::ServiceSnapshot& service, const InstanceFilter& filter,
               FamilyFilter family, bool include_warning);
  // Priority ascending; within a priority weighted random, weight 0 last (shuffled).
  void Order(std::minstd_rand& rng);

  std::span<Candidate> items() { return {data_, size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Candidate& operator[](size_t i) { return data_[i]; }
  // The smallest answer TTL over the list (dns_ttl, else default_ttl); the RRset TTL.
  uint32_t MinTtl(uint32_t default_ttl) const;

 private:
  std::array<Candidate, kInlineCandidates> inline_;  // left uninitialised on purpose
  std::vector<Candidate> heap_;
  Candidate* data_ = inline_.data();
  size_t size_ = 0;
};

// The order rule shared by every answer: priority ascending; within a priority weighted
// random by a ShuffleKey drawn per record and response, weight 0 after every weighted one.
float ShuffleKey(uint16_t weight, std::minstd_rand& rng);
inline bool ShuffledBefore(uint16_t priority_a, uint16_t weight_a, float key_a,
                           uint16_t priority_b, uint16_t weight_b, float key_b) {
  if (priority_a != priority_b) return priority_a < priority_b;
  if ((weight_a == 0) != (weight_b == 0)) return weight_b == 0;
  return key_a > key_b;
}

uint32_t InstanceTtl(const registry::Instance& instance, uint32_t default_ttl);

}  // namespace dnsd::dns
