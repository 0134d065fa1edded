// Fuzz target: static zone files (zones/): any bytes as a master file and as a YAML
// zone. A zone set that loads is then asked, through dns::Answer, for every name it
// holds (at most 16) with a few types, over UDP and TCP. Checks, besides the
// sanitizers: a load gives zones or errors, never both or neither, nothing escapes as an
// exception (ldns and yaml-cpp are below), and every reply is a message ldns can read.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/dns/answer.h"
#include "tests/fuzz/ldns_decode.h"
#include "tests/support/query_builder.h"
#include "tests/support/view_builder.h"
#include "zones/zone.h"

namespace {

void AskEveryName(const zones::ZoneSet& zones) {
  static const auto view = dnsd::testing::BuildView(
      {dnsd::testing::MakeInstance("web", "web-1", "10.0.0.1", 8080)});
  static const dnsd::dns::AnswerConfig config;
  std::minstd_rand rng(3);
  std::vector<uint8_t> out(dnsd::dns::kMaxMessage);
  int asked = 0;
  for (const zones::Zone& zone : zones.zones()) {
    for (const zones::Node* node : zone.SortedNodes()) {
      if (++asked > 16) return;
      for (uint16_t type : {1, 2, 5, 6, 15, 16, 28, 33, 255}) {
        const std::vector<uint8_t> q = dnsd::testing::BuildQuery(node->name, type, {.edns = true});
        for (auto t : {dnsd::dns::Transport::kUdp, dnsd::dns::Transport::kTcp}) {
          std::span<uint8_t> room(out.data(), t == dnsd::dns::Transport::kUdp ? 1232 : out.size());
          dnsd::dns::AnswerResult r = dnsd::dns::Answer(q, t, *view, zones, config, rng, room);
          if (r.disposition == dnsd::dns::Disposition::kReply &&
              !dnsd::fuzz::Decode(std::span(out.data(), r.size))) {
            __builtin_trap();
          }
        }
      }
    }
  }
}

void Check(const zones::LoadResult& r) {
  if ((r.zones != nullptr) == !r.errors.empty()) __builtin_trap();
  for (const zones::LoadError& e : r.errors) (void)e.ToString();
  if (r.zones) AskEveryName(*r.zones);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(zones::ParseMasterFile(text, "example.com.zone", "discovery."));
  Check(zones::ParseYamlZone(text, "example.com.yaml", "discovery."));
  return 0;
}
