// Rate limiting for repeated warnings (malformed packets, upstream failures): at most
// `burst` lines per `interval` for one kind of warning; the line that is let through
// after a quiet spell says how many were held back ("(N similar suppressed)").
//
// A plain value with no clock of its own: callers pass the time in (unit tests pass fake
// times). Not thread-safe: keep one per thread (e.g. one per DNS worker or forwarder).
#pragma once

#include <chrono>
#include <cstdint>

namespace dnsd::log {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Defaults: one line per 10 s. A flood of junk packets then costs at most one
  // warning line per worker every 10 s, while a single stray packet is still logged.
  static constexpr uint32_t kDefaultBurst = 1;
  static constexpr Clock::duration kDefaultInterval = std::chrono::seconds(10);

  RateLimiter() = default;
  // burst 0 is treated as 1; a non-positive interval lets every call through.
  RateLimiter(uint32_t burst, Clock::duration interval);

  // True when a line may be written now. When true, *suppressed (if not null) is the
  // number of calls refused since the last allowed one, and that count restarts at 0.
  // When false, *suppressed is left as it was. Windows are fixed: the first allowed call
  // opens one of length interval; up to burst calls pass within it.
  bool Allow(Clock::time_point now, uint64_t* suppressed);

  // Calls refused since the last allowed one (for a final flush or tests).
  uint64_t pending_suppressed() const { return suppressed_; }

 private:
  uint32_t burst_ = kDefaultBurst;
  Clock::duration interval_ = kDefaultInterval;
  bool started_ = false;
  Clock::time_point window_start_{};
  uint32_t used_ = 0;  // lines allowed in the current window
  uint64_t suppressed_ = 0;
};

}  // namespace dnsd::log
