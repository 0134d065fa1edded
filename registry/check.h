// Active health checks as registry data (SPEC §9): what an instance asks to be checked
// with (CheckSpec, validated here) and the last result of each check (CheckState).
// Pure values; the engine that runs them is dnsd/checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/clock.h"
#include "registry/result.h"

namespace registry {

enum class Health : uint8_t;

// kTtl: a check the client keeps passing itself (Consul's TTL check beside the
// instance's own lease, SPEC §10): `interval` is its TTL; the registry runs it out.
enum class CheckKind : uint8_t { kHttp, kTcp, kExec, kTtl };
std::string_view CheckKindName(CheckKind k);  // "http", "tcp", "exec", "ttl"
std::optional<CheckKind> ParseCheckKind(std::string_view name);  // exact names, as above

struct CheckSpec {
  CheckKind kind = CheckKind::kHttp;
  std::string target;             // http(s) URL, or host:port; empty for exec and ttl
  std::vector<std::string> args;  // exec only: argv (from the configuration file only)
  Duration interval = std::chrono::seconds(10);
  Duration timeout{0};  // 0 = the default: the interval, at most kMaxCheckTimeout
  uint32_t success_before_passing = 1;
  uint32_t failures_before_critical = 1;
  std::string check_id;  // Consul's CheckID / Name, shown as given; may be empty
  std::string name;

  // The timeout a run gets: the given one or the default, never over the interval.
  Duration EffectiveTimeout() const;
  friend bool operator==(const CheckSpec&, const CheckSpec&) = default;
};

inline constexpr size_t kMaxChecks = 16;  // per instance
inline constexpr Duration kMinCheckInterval = std::chrono::milliseconds(100);
inline constexpr Duration kMaxCheckInterval = std::chrono::hours(24);
inline constexpr Duration kMaxCheckTimeout = std::chrono::seconds(10);
inline constexpr uint32_t kMaxCheckThreshold = 100;
inline constexpr size_t kMaxCheckOutput = 512;
inline constexpr size_t kMaxCheckTarget = 1024;

// "http://host[:port][/path...]" or "https://...": a scheme, a non-empty host (a name,
// an IPv4 literal or a bracketed IPv6 literal), an optional port 1-65535, no whitespace
// or control characters.
bool IsCheckUrl(std::string_view url);
// "host:port": a name, an IPv4 literal or "[v6]", and a port 1-65535.
bool IsHostPort(std::string_view target);

// Checks one spec; `prefix` names it in errors ("checks[0]" gives "checks[0].http").
Status ValidateCheck(const CheckSpec& spec, std::string_view prefix);
Status ValidateChecks(const std::vector<CheckSpec>& specs);

// One check of an instance with its last result. A check starts passing (dnsd's rule of
// SPEC §3: registering makes an instance passing) and never run (last_run_ms 0).
struct CheckState {
  CheckSpec spec;
  Health status{};  // Health::kPassing
  std::string output;
  int64_t last_run_ms = 0;  // wall clock, milliseconds since the Unix epoch; 0 = never
  // kTtl only: when the check runs out unless renewed (registry time; not persisted, a
  // restart or a new owner grants a whole TTL, as for the lease).
  std::optional<TimePoint> deadline;
  friend bool operator==(const CheckState&, const CheckState&) = default;
};

}  // namespace registry
