// Clock: where the registry gets time. The server passes SteadyClock; tests pass
// a fake clock (tests/support/fake_clock.h) and advance it by hand, never sleeping.
#pragma once

#include <chrono>

namespace registry {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

}  // namespace registry
