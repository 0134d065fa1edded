// FakeClock: a registry::Clock that moves only when a test says so.
#pragma once

#include "registry/clock.h"

namespace dnsd::testing {

class FakeClock final : public registry::Clock {
 public:
  registry::TimePoint Now() const override { return now_; }
  void Advance(registry::TimePoint::duration d) { now_ += d; }  // ms or finer
  void Set(registry::TimePoint t) { now_ = t; }

 private:
  registry::TimePoint now_{std::chrono::hours(1000)};
};

}  // namespace dnsd::testing
