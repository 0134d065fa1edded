#include "dnsd/checks/threshold.h"

#include <catch2/catch.hpp>

using dnsd::checks::Threshold;
using registry::Health;

TEST_CASE("with thresholds of 1 every run is reported at once", "[checks]") {
  Threshold t(1, 1);
  CHECK(t.status() == Health::kPassing);
  CHECK(t.Observe(Health::kCritical));
  CHECK(t.status() == Health::kCritical);
  CHECK(t.Observe(Health::kWarning));
  CHECK(t.status() == Health::kWarning);
  CHECK(t.Observe(Health::kPassing));
  CHECK(t.status() == Health::kPassing);
}

TEST_CASE("failures_before_critical failures in a row turn a check critical", "[checks]") {
  Threshold t(1, 3);
  CHECK_FALSE(t.Observe(Health::kCritical));
  CHECK_FALSE(t.Observe(Health::kCritical));
  CHECK(t.status() == Health::kPassing);
  CHECK(t.Observe(Health::kCritical));
  CHECK(t.status() == Health::kCritical);
  CHECK(t.Observe(Health::kCritical));  // further failures keep it reported
}

TEST_CASE("a success between failures restarts the count", "[checks]") {
  Threshold t(1, 2);
  CHECK_FALSE(t.Observe(Health::kCritical));
  CHECK(t.Observe(Health::kPassing));
  CHECK_FALSE(t.Observe(Health::kCritical));
  CHECK(t.status() == Health::kPassing);
  CHECK(t.Observe(Health::kCritical));
  CHECK(t.status() == Health::kCritical);
}

TEST_CASE("success_before_passing successes in a row end critical; warning counts", "[checks]") {
  Threshold t(3, 1, Health::kCritical);
  CHECK_FALSE(t.Observe(Health::kPassing));
  CHECK_FALSE(t.Observe(Health::kWarning));
  CHECK(t.status() == Health::kCritical);
  CHECK(t.Observe(Health::kWarning));  // the third success: reported as it came
  CHECK(t.status() == Health::kWarning);
  CHECK(t.Observe(Health::kPassing));
  CHECK(t.status() == Health::kPassing);
}

TEST_CASE("pass, fail, warn, pass with thresholds 2 and 2", "[checks]") {
  Threshold t(2, 2);
  const std::vector<std::pair<Health, Health>> runs = {
      {Health::kPassing, Health::kPassing},   {Health::kCritical, Health::kPassing},
      {Health::kCritical, Health::kCritical}, {Health::kWarning, Health::kCritical},
      {Health::kWarning, Health::kWarning},   {Health::kPassing, Health::kPassing},
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO("run " << i);
    t.Observe(runs[i].first);
    CHECK(t.status() == runs[i].second);
  }
}

TEST_CASE("thresholds of 0 behave as 1", "[checks]") {
  Threshold t(0, 0);
  CHECK(t.Observe(Health::kCritical));
}
