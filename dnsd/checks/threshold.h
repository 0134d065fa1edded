// Threshold: the status a check reports from its raw run results (SPEC §9), as Consul's
// success_before_passing / failures_before_critical: a passing or warning run counts as a
// success, and the check reports it once `success_before_passing` successes came in a
// row; a failed run reports critical once `failures_before_critical` failures came in a
// row. Pure; no clock (the engine feeds it one result per run).
#pragma once

#include <cstdint>

#include "registry/instance.h"

namespace dnsd::checks {

class Threshold {
 public:
  Threshold(uint32_t success_before_passing, uint32_t failures_before_critical,
            registry::Health initial = registry::Health::kPassing)
      : successes_needed_(success_before_passing < 1 ? 1 : success_before_passing),
        failures_needed_(failures_before_critical < 1 ? 1 : failures_before_critical),
        status_(initial) {}

  // Feeds one run's raw result (passing, warning or critical). Returns true when the run
  // is reported (the status now follows it), false when it is still being counted.
  bool Observe(registry::Health raw) {
    if (raw == registry::Health::kCritical) {
      successes_ = 0;
      if (failures_ < failures_needed_) ++failures_;
      if (failures_ < failures_needed_) return false;
    } else {
      failures_ = 0;
      if (successes_ < successes_needed_) ++successes_;
      if (successes_ < successes_needed_) return false;
    }
    status_ = raw;
    return true;
  }
  registry::Health status() const { return status_; }

 private:
  uint32_t successes_needed_;
  uint32_t failures_needed_;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
  registry::Health status_;
};

}  // namespace dnsd::checks
