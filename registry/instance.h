// The data of one service instance, as registered and as readers see it, and the
// validation of registration input (SPEC §3). Pure values: no locking, no ownership games.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/check.h"
#include "registry/clock.h"
#include "registry/result.h"

namespace registry {

enum class Health : uint8_t { kPassing, kWarning, kCritical, kMaintenance };
enum class Proto : uint8_t { kTcp, kUdp };

std::string_view HealthName(Health h);                  // "passing", ...
std::optional<Health> ParseHealth(std::string_view s);  // exact lower-case names
std::string_view ProtoName(Proto p);                    // "tcp" / "udp"

// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  enum class Family : uint8_t { kV4, kV6 } family = Family::kV4;
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4

  bool is_v4() const { return family == Family::kV4; }
  std::string ToString() const;
  // Accepts dotted-quad IPv4 or RFC 4291 IPv6 text (no brackets, no zone id).
  static std::optional<IpAddress> Parse(std::string_view text);
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// True when s is a DNS label: 1-63 of [A-Za-z0-9-], no leading/trailing hyphen.
bool IsDnsLabel(std::string_view s);
std::string ToLower(std::string_view s);

// What a client asks for when it registers. Optional fields take SPEC §3 defaults.
struct InstanceSpec {
  std::string service;
  std::string id;
  std::optional<IpAddress> address;  // the HTTP layer fills in the peer address
  uint32_t port = 0;                 // 0: none (no SRV record); wide: validation rejects > 65535
  Proto proto = Proto::kTcp;
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  uint32_t weight = 1;
  uint32_t priority = 1;
  Duration ttl{0};                           // 0 = no lease
  std::optional<Duration> deregister_after;  // default from RegistryConfig
  std::optional<uint32_t> dns_ttl;           // seconds
  std::vector<CheckSpec> checks;             // active checks (SPEC §9)
};

// Limits on registration input, enforced with a named field in the error.
inline constexpr size_t kMaxTags = 64;
inline constexpr size_t kMaxMetaEntries = 64;
inline constexpr size_t kMaxMetaKeyLength = 128;
inline constexpr size_t kMaxMetaValueLength = 512;
inline constexpr uint32_t kMaxDnsTtl = 86400;
inline constexpr Duration kMaxLeaseTtl = std::chrono::hours(24);
inline constexpr size_t kMaxNoteLength = 1024;  // heartbeat / status note

// Checks every field; returns the first problem with its field name
// ("service", "id", "address", "port", "proto", "weight", "priority", "ttl",
// "deregister_after", "dns_ttl", "meta", "tags", "checks[<n>].<field>"). A missing address is an error here:
// the HTTP layer fills in the peer address before it calls.
// Lower-cases service, id and tags in place on success (tags keep their order,
// case-insensitive duplicates removed).
Status Validate(InstanceSpec& spec);

// One instance as stored and as published to readers.
struct Instance {
  std::string service;  // lower-case
  std::string id;       // lower-case
  IpAddress address;
  uint16_t port = 0;
  Proto proto = Proto::kTcp;
  std::vector<std::string> tags;  // lower-case, as registered (duplicates removed)
  std::map<std::string, std::string> meta;
  uint16_t weight = 1;
  uint16_t priority = 1;
  Duration ttl{0};
  Duration deregister_after{0};
  std::optional<uint32_t> dns_ttl;
  Health health = Health::kPassing;         // kMaintenance overrides the lease's health
  // The part of health that leases, heartbeats and status calls set; health is the worst
  // of it and the checks' statuses. Derived again on restore (not persisted).
  Health own_health = Health::kPassing;
  std::string note;                         // from the last heartbeat or status call
  bool is_protected = false;                // lapse held back by self-preservation
  std::optional<TimePoint> lease_deadline;  // set when ttl > 0
  uint64_t index = 0;                       // registry index of its last change
  // Active checks with their last results; health is the worst of them and the lease.
  std::vector<CheckState> checks;

  bool HasTag(std::string_view lower_tag) const;
};

// The health an instance shows when its lease, heartbeats and status calls make it `own`:
// `own` in maintenance, else the worst of `own` and its checks' statuses.
Health WithChecks(Health own, const std::vector<CheckState>& checks);

// Whether a and b hold the same registration data: everything a registration sets
// (check specs included) but health and note.
bool SameData(const Instance& a, const Instance& b);

// The checks of an instance registered with `specs` whose checks were `previous`: a
// check whose spec is unchanged at its place keeps its last result; the others start
// passing, never run.
std::vector<CheckState> CarryChecks(std::vector<CheckSpec> specs, std::vector<CheckState> previous);

}  // namespace registry
