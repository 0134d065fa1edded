// Clock: where the registry gets time. The server passes SteadyClock; tests pass
// a fake clock (tests/support/fake_clock.h) and advance it by hand, never sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace registry {

// Durations (leases, windows, API values) are whole milliseconds; time points are finer,
// so that a lease counted from a registration inside a millisecond never ends early.
using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// Wall-clock milliseconds since the Unix epoch: for values shown to people and clients
// (a check's last run, Eureka's timestamps), never for deadlines.
inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::steady_clock::now());
  }
};

}  // namespace registry
