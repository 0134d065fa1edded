// Duration parsing shared by the HTTP API and the configuration (SPEC §4, §6).
#include "registry/duration.h"

#include <cmath>
#include <cstdint>

namespace registry {
namespace {

constexpr double kMaxMillis = 100.0 * 365 * 24 * 3600 * 1000;  // 100 years
constexpr size_t kMaxDigits = 15;  // keeps every accepted number exact in a double

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads "123" or "1.25" at text[pos]; advances pos. nullopt when no digits are there.
std::optional<double> ReadNumber(std::string_view text, size_t& pos) {
  double value = 0;
  size_t digits = 0;
  while (pos < text.size() && IsDigit(text[pos])) {
    value = value * 10 + (text[pos++] - '0');
    if (++digits > kMaxDigits) return std::nullopt;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    double scale = 0.1;
    size_t fraction_digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      value += (text[pos++] - '0') * scale;
      scale /= 10;
      if (++fraction_digits > kMaxDigits) return std::nullopt;
    }
    if (fraction_digits == 0) return std::nullopt;  // "1." is not a number
  }
  if (digits == 0) return std::nullopt;
  return value;
}

// Reads a unit at text[pos]; returns its length in milliseconds, or 0 when unknown.
double ReadUnit(std::string_view text, size_t& pos) {
  std::string_view rest = text.substr(pos);
  if (rest.starts_with("ms")) {
    pos += 2;
    return 1;
  }
  if (rest.starts_with("s")) {
    pos += 1;
    return 1000;
  }
  if (rest.starts_with("m")) {
    pos += 1;
    return 60'000;
  }
  if (rest.starts_with("h")) {
    pos += 1;
    return 3'600'000;
  }
  return 0;
}

std::optional<Duration> FromMillis(double ms) {
  if (!std::isfinite(ms) || ms < 0 || ms > kMaxMillis) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(ms)));
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t pos = 0;
  double total_ms = 0;
  bool first = true;
  while (pos < text.size()) {
    std::optional<double> number = ReadNumber(text, pos);
    if (!number) return std::nullopt;
    if (pos == text.size()) {
      // A bare number is seconds, but only on its own ("10"), not after a unit ("1m30").
      if (!first) return std::nullopt;
      return FromMillis(*number * 1000);
    }
    double unit = ReadUnit(text, pos);
    if (unit == 0) return std::nullopt;
    total_ms += *number * unit;
    if (total_ms > kMaxMillis) return std::nullopt;
    first = false;
  }
  return FromMillis(total_ms);
}

std::optional<Duration> DurationFromSeconds(double seconds) {
  return FromMillis(seconds * 1000);
}

double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace registry
