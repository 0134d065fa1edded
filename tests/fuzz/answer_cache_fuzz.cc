// Differential fuzz target: dns::AnswerCache against the pure dns::Answer on the same
// view, zones and query. Every reply of the cache must equal Answer()'s up to the order
// of records within a section (same ID, flags, rcode, question and records; only the
// number of records when a random subset was chosen: TC, the TCP cap, or
// dns.udp_answer_limit). Aborts on a mismatch.
//
// Input: one control byte, then the query message. The query is asked over the control
// byte's transport (bit 0: TCP) and configuration (bit 1: forwarding) three times on the
// base view (a name gets an entry on its second miss, the third is a hit), then, when
// bits 2-3 are not 0, twice on that variant of the view (one service changed, so the
// entry is re-checked), then twice more on a new zone set (every entry dropped).
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dnsd/dns/answer.h"
#include "dnsd/dns/answer_cache.h"
#include "tests/fuzz/fuzz_world.h"
#include "tests/fuzz/ldns_decode.h"

namespace {

using dnsd::dns::Transport;

struct World {
  std::shared_ptr<const registry::RegistryView> views[4] = {
      dnsd::fuzz::WorldView(0), dnsd::fuzz::WorldView(1), dnsd::fuzz::WorldView(2),
      dnsd::fuzz::WorldView(3)};
  std::shared_ptr<const zones::ZoneSet> zones[2] = {dnsd::fuzz::WorldZones(),
                                                    dnsd::fuzz::WorldZones()};
  dnsd::dns::AnswerConfig config[2] = {dnsd::fuzz::WorldConfig(false),
                                       dnsd::fuzz::WorldConfig(true)};
};

std::string Hex(std::span<const uint8_t> bytes) {
  std::string out;
  char b[4];
  for (uint8_t c : bytes) {
    std::snprintf(b, sizeof b, "%02x", c);
    out += b;
  }
  return out;
}

[[noreturn]] void Mismatch(const char* what, std::span<const uint8_t> cache,
                           std::span<const uint8_t> pure) {
  std::fprintf(stderr, "answer_cache: %s\n cache: %s\n pure:  %s\n", what, Hex(cache).c_str(),
               Hex(pure).c_str());
  __builtin_trap();
}

void Compare(dnsd::dns::AnswerCache& cache, const dnsd::dns::AnswerConfig& config,
             std::span<const uint8_t> query, Transport t,
             const std::shared_ptr<const registry::RegistryView>& view,
             const std::shared_ptr<const zones::ZoneSet>& zones, std::minstd_rand& rng) {
  const size_t room = t == Transport::kTcp ? dnsd::dns::kMaxMessage : config.max_udp_size;
  std::vector<uint8_t> a(room, 0xEE), b(room, 0xEE);
  const dnsd::dns::AnswerResult ra = cache.Answer(query, t, view, zones, rng, a);
  const dnsd::dns::AnswerResult rb = dnsd::dns::Answer(query, t, *view, *zones, config, rng, b);
  const std::span<const uint8_t> wa(a.data(), ra.size), wb(b.data(), rb.size);
  if (ra.disposition != rb.disposition) Mismatch("disposition", wa, wb);
  if (ra.disposition != dnsd::dns::Disposition::kReply) return;
  if (ra.rcode != rb.rcode || ra.qtype != rb.qtype) Mismatch("result rcode or qtype", wa, wb);
  if (ra.truncated != rb.truncated) Mismatch("result truncated", wa, wb);
  std::optional<dnsd::fuzz::Decoded> da = dnsd::fuzz::Decode(wa), db = dnsd::fuzz::Decode(wb);
  if (da.has_value() != db.has_value()) Mismatch("one reply is not readable", wa, wb);
  if (!da) {
    if (!std::equal(wa.begin(), wa.end(), wb.begin(), wb.end())) Mismatch("bytes", wa, wb);
    return;
  }
  // dns.udp_answer_limit also picks a random subset over UDP, without TC.
  const bool limited = t == Transport::kUdp && config.udp_answer_limit != 0 &&
                       db->answer.size() >= config.udp_answer_limit;
  const bool subset = da->tc || db->tc || ra.truncated || limited;
  if (subset ? da->Shape() != db->Shape() : *da != *db) Mismatch("records or flags", wa, wb);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const Transport t = control & 1 ? Transport::kTcp : Transport::kUdp;
  const dnsd::dns::AnswerConfig& config = world.config[control & 2 ? 1 : 0];
  const int variant = (control >> 2) & 3;
  std::vector<uint8_t> query(data + 1, data + size);
  std::minstd_rand rng(7);
  dnsd::dns::AnswerCache cache(config, 64);
  for (int i = 0; i < 3; ++i) Compare(cache, config, query, t, world.views[0], world.zones[0], rng);
  if (variant == 0) return 0;
  for (int i = 0; i < 2; ++i)
    Compare(cache, config, query, t, world.views[variant], world.zones[0], rng);
  for (int i = 0; i < 2; ++i)
    Compare(cache, config, query, t, world.views[variant], world.zones[1], rng);
  return 0;
}
