// Candidate selection and the weighted shuffle.
#include "dnsd/dns/order.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dnsd::dns {

bool InstanceFilter::Matches(const registry::Instance& instance) const {
  switch (kind) {
    case Kind::kAll:
      return true;
    case Kind::kTag:
      return instance.HasTag(tag);
    case Kind::kProto:
      return instance.proto == proto;
  }
  return false;
}

bool IsHealthy(const registry::Instance& instance, bool include_warning) {
  return instance.health == registry::Health::kPassing ||
         (include_warning && instance.health == registry::Health::kWarning);
}

uint32_t InstanceTtl(const registry::Instance& instance, uint32_t default_ttl) {
  return instance.dns_ttl.value_or(default_ttl);
}

void CandidateList::Collect(const registry::ServiceSnapshot& service, const InstanceFilter& filter,
                            FamilyFilter family, bool include_warning) {
  size_ = 0;
  if (service.instances.size() > kInlineCandidates) {
    heap_.resize(service.instances.size());
    data_ = heap_.data();
  } else {
    data_ = inline_.data();
  }
  for (const registry::Instance& instance : service.instances) {
    if (!IsHealthy(instance, include_warning) || !filter.Matches(instance)) continue;
    if (family == FamilyFilter::kV4 && !instance.address.is_v4()) continue;
    if (family == FamilyFilter::kV6 && instance.address.is_v4()) continue;
    if (family == FamilyFilter::kSrv && instance.port == 0) continue;
    data_[size_++] = Candidate{&instance, 0.0f, 0};
  }
}

// Efraimidis-Spirakis: sorting by u^(1/w) (here log(u)/w, same order) descending draws a
// weighted random permutation, i.e. repeated weighted sampling without replacement.
// Weight-0 instances get a uniform key and sort after every weighted one.
float ShuffleKey(uint16_t weight, std::minstd_rand& rng) {
  constexpr double kSpan = double{std::minstd_rand::max() - std::minstd_rand::min()} + 2.0;
  const double u = (double(rng() - std::minstd_rand::min()) + 1.0) / kSpan;  // (0,1)
  return static_cast<float>(weight == 0 ? u : std::log(u) / weight);
}

void CandidateList::Order(std::minstd_rand& rng) {
  for (size_t i = 0; i < size_; ++i) data_[i].key = ShuffleKey(data_[i].instance->weight, rng);
  std::sort(data_, data_ + size_, [](const Candidate& a, const Candidate& b) {
    const registry::Instance& x = *a.instance;
    const registry::Instance& y = *b.instance;
    return ShuffledBefore(x.priority, x.weight, a.key, y.priority, y.weight, b.key);
  });
}

uint32_t CandidateList::MinTtl(uint32_t default_ttl) const {
  uint32_t ttl = std::numeric_limits<uint32_t>::max();
  for (size_t i = 0; i < size_; ++i)
    ttl = std::min(ttl, InstanceTtl(*data_[i].instance, default_ttl));
  return size_ == 0 ? default_ttl : ttl;
}

}  // namespace dnsd::dns
