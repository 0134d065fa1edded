// The query -> answer function shared by UDP and TCP: a pure function of the query
// bytes, the registry view, the static zones and the configuration. No sockets, no
// clock, no allocation on the common path: the response is written into a buffer the
// transport owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dnsd/wire/wire.h"
#include "registry/instance.h"
#include "registry/snapshot.h"
#include "zones/zone.h"

namespace dnsd::dns {

struct AnswerConfig {
  std::string domain = "discovery.";  // lower-case FQDN
  uint32_t ttl = 5;                   // default answer TTL (seconds)
  uint32_t negative_ttl = 5;          // SOA minimum and TTL of the SOA in negative answers
  uint16_t max_udp_size = 1232;
  uint32_t udp_answer_limit = 0;      // 0 = off
  bool include_warning = false;
  bool chaos = false;
  bool forwarding = false;            // upstreams configured: out-of-zone -> kForward
  std::vector<registry::IpAddress> advertise;  // A/AAAA of ns.<domain>
  std::string version = "dnsd";       // CH TXT version.bind
  std::string server_id = "dnsd";     // CH TXT id.server
  std::string datacenter = "dc1";     // <svc>.service.<dc>.D answers as <svc>.service.D
};

enum class Transport : uint8_t { kUdp, kTcp };

enum class Disposition : uint8_t {
  kReply,    // send out[0, size)
  kDrop,     // send nothing (QR=1, header unreadable)
  kForward,  // not ours: hand the query to the forwarder
};

struct AnswerResult {
  Disposition disposition = Disposition::kDrop;
  size_t size = 0;        // bytes written to out
  uint16_t qtype = 0;     // for metrics (0 when unreadable)
  uint8_t rcode = 0;      // extended rcodes (BADVERS = 16) included
  bool truncated = false; // TC set (UDP) or subset chosen (TCP cap)
};

// Largest response dnsd ever builds (TCP).
inline constexpr size_t kMaxMessage = 65535;

// out must hold at least kMaxMessage bytes for TCP, max_udp_size (>= 512) for UDP.
// rng drives the weighted shuffle; each worker thread owns one.
AnswerResult Answer(std::span<const uint8_t> query, Transport transport,
                    const registry::RegistryView& view, const zones::ZoneSet& zones,
                    const AnswerConfig& config, std::minstd_rand& rng,
                    std::span<uint8_t> out);

// The same, with config.domain already parsed (nullptr when it is not a valid name), for
// callers that answer many queries with one configuration.
AnswerResult Answer(std::span<const uint8_t> query, Transport transport,
                    const registry::RegistryView& view, const zones::ZoneSet& zones,
                    const AnswerConfig& config, const wire::Name* domain, std::minstd_rand& rng,
                    std::span<uint8_t> out);

}  // namespace dnsd::dns
