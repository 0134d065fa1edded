#include "dnsd/log/rate_limit.h"

namespace dnsd::log {

RateLimiter::RateLimiter(uint32_t burst, Clock::duration interval)
    : burst_(burst == 0 ? 1 : burst), interval_(interval) {}

bool RateLimiter::Allow(Clock::time_point now, uint64_t* suppressed) {
  bool new_window = !started_ || interval_ <= Clock::duration::zero() ||
                    now - window_start_ >= interval_ || now < window_start_;
  if (new_window) {
    started_ = true;
    window_start_ = now;
    used_ = 0;
  }
  if (used_ >= burst_) {
    ++suppressed_;
    return false;
  }
  ++used_;
  if (suppressed != nullptr) *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace dnsd::log
