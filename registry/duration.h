// Durations as the HTTP API reads and writes them (SPEC §4): "500ms", "10s", "1m30s",
// "2h", or a number of seconds. Pure functions, no state.
#pragma once

#include <optional>
#include <string_view>

#include "registry/clock.h"

namespace registry {

// Parses a duration string: one or more <digits><unit> groups (units ms, s, m, h, in any
// order, each at most once), or a plain non-negative decimal number of seconds ("1.5").
// Returns nullopt when malformed, negative, or beyond 100 years. Millisecond precision;
// finer fractions are rounded to the nearest millisecond.
std::optional<Duration> ParseDuration(std::string_view text);

// Converts a JSON number of seconds; nullopt when negative, not finite, or too large.
std::optional<Duration> DurationFromSeconds(double seconds);

// Milliseconds as fractional seconds (1500ms -> 1.5), for JSON output.
double ToSeconds(Duration d);

}  // namespace registry
