// Fuzz target: any bytes as a DNS query through the answer path (dnsd/wire's parser and
// dns::Answer) on a view with services, a static zone, CHAOS names and forwarding.
//
// The input is the query message itself. Bit 0 of its second byte (the low bit of the
// ID) picks TCP instead of UDP, bit 1 the configuration with forwarding. Checks, besides
// the sanitizers: a reply fits the buffer (and the UDP limit), carries the query's ID
// and QR, and is a message ldns can read.
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <vector>

#include "dnsd/dns/answer.h"
#include "tests/fuzz/fuzz_world.h"
#include "tests/fuzz/ldns_decode.h"

namespace {

struct World {
  std::shared_ptr<const registry::RegistryView> view = dnsd::fuzz::WorldView(0);
  std::shared_ptr<const zones::ZoneSet> zones = dnsd::fuzz::WorldZones();
  dnsd::dns::AnswerConfig config[2] = {dnsd::fuzz::WorldConfig(false),
                                       dnsd::fuzz::WorldConfig(true)};
};

void Fail(const char* what) {
  std::fprintf(stderr, "dns_answer: %s\n", what);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  using dnsd::dns::Transport;
  const bool tcp = size > 1 && (data[1] & 1);
  const dnsd::dns::AnswerConfig& config = world.config[size > 1 && (data[1] & 2) ? 1 : 0];
  std::minstd_rand rng(1);
  std::vector<uint8_t> out(tcp ? dnsd::dns::kMaxMessage : config.max_udp_size);
  // The query is copied so that a read past its end is ASan's to see.
  std::vector<uint8_t> query(data, data + size);
  dnsd::dns::AnswerResult r =
      dnsd::dns::Answer(query, tcp ? Transport::kTcp : Transport::kUdp, *world.view,
                        *world.zones, config, rng, out);
  if (r.disposition != dnsd::dns::Disposition::kReply) return 0;
  if (r.size > out.size()) Fail("reply larger than the buffer");
  if (r.size < 12) Fail("reply shorter than a header");
  if (!tcp && r.size > 512 && r.size > config.max_udp_size) Fail("UDP reply over the limit");
  if (out[0] != data[0] || out[1] != data[1]) Fail("reply ID differs from the query's");
  if (!(out[2] & 0x80)) Fail("reply without QR");
  if (!dnsd::fuzz::Decode(std::span(out.data(), r.size))) Fail("ldns cannot read the reply");
  return 0;
}
