// Helpers for the dns tests: hand-built query packets (tests/support/query_builder.h)
// and responses decoded by ldns, an independent decoder.
#pragma once

// clang-format off
// stdbool.h first: without __bool_true_false_are_defined, ldns/common.h defines bool,
// true and false as macros, which breaks the C++ standard headers.
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/dns/answer.h"
#include "registry/snapshot.h"
#include "tests/support/query_builder.h"
#include "tests/support/view_builder.h"
#include "zones/zone.h"

namespace dnsd::testing {

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

inline std::string RdfText(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s != nullptr ? s : "";
  free(s);
  return out;
}

// "owner TTL CLASS TYPE rdata" with single spaces, as ldns prints it.
inline std::string RrText(const ldns_rr* rr) {
  char* s = ldns_rr2str(rr);
  std::string out = s != nullptr ? s : "";
  free(s);
  for (char& c : out) {
    if (c == '\t') c = ' ';
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

inline std::vector<const ldns_rr*> Rrs(const ldns_rr_list* list) {
  std::vector<const ldns_rr*> out;
  for (size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    out.push_back(ldns_rr_list_rr(list, i));
  }
  return out;
}

struct Reply {
  dns::AnswerResult result;
  std::vector<uint8_t> wire;
  PktPtr pkt;

  std::vector<const ldns_rr*> answer() const { return Rrs(ldns_pkt_answer(pkt.get())); }
  std::vector<const ldns_rr*> authority() const { return Rrs(ldns_pkt_authority(pkt.get())); }
  std::vector<const ldns_rr*> additional() const { return Rrs(ldns_pkt_additional(pkt.get())); }
  std::vector<std::string> AnswerText() const {
    std::vector<std::string> out;
    for (const ldns_rr* rr : answer()) out.push_back(RrText(rr));
    return out;
  }
  int rcode() const {  // full rcode, extended bits included
    return (ldns_pkt_edns_extended_rcode(pkt.get()) << 4) | ldns_pkt_get_rcode(pkt.get());
  }
  bool aa() const { return ldns_pkt_aa(pkt.get()); }
  bool tc() const { return ldns_pkt_tc(pkt.get()); }
  bool ra() const { return ldns_pkt_ra(pkt.get()); }
  // True when the message's last record is an OPT (ldns hides where the OPT was).
  bool OptIsLast() const {
    const size_t n = wire.size();
    return n >= 11 && wire[n - 11] == 0 && wire[n - 10] == 0 && wire[n - 9] == 41;
  }
};

class DnsFixture {
 public:
  std::shared_ptr<const registry::RegistryView> view = BuildView({});
  zones::ZoneSet zones;
  dns::AnswerConfig config;
  std::minstd_rand rng{42};

  void SetInstances(std::vector<registry::Instance> instances, ViewOptions options = {}) {
    view = BuildView(std::move(instances), options);
  }

  dns::AnswerResult Raw(std::span<const uint8_t> query, dns::Transport t,
                        std::vector<uint8_t>& out) {
    out.assign(dns::kMaxMessage, 0xEE);
    if (t == dns::Transport::kUdp)
      out.resize(config.max_udp_size < 512 ? 512 : config.max_udp_size);
    dns::AnswerResult r = dns::Answer(query, t, *view, zones, config, rng, out);
    out.resize(r.size);
    return r;
  }

  Reply Send(const std::vector<uint8_t>& query, dns::Transport t = dns::Transport::kUdp) {
    Reply reply;
    reply.result = Raw(query, t, reply.wire);
    REQUIRE(reply.result.disposition == dns::Disposition::kReply);
    if (t == dns::Transport::kUdp) REQUIRE(reply.wire.size() <= config.max_udp_size);
    ldns_pkt* pkt = nullptr;
    REQUIRE(ldns_wire2pkt(&pkt, reply.wire.data(), reply.wire.size()) == LDNS_STATUS_OK);
    reply.pkt.reset(pkt);
    return reply;
  }

  Reply Ask(std::string_view name, uint16_t qtype, dns::Transport t = dns::Transport::kUdp,
            const QueryOptions& o = {}) {
    return Send(BuildQuery(name, qtype, o), t);
  }
};

inline registry::Instance WithTags(registry::Instance i, std::vector<std::string> tags) {
  i.tags = std::move(tags);
  return i;
}

inline registry::Instance WithHealth(registry::Instance i, registry::Health h) {
  i.health = h;
  return i;
}

inline registry::Instance WithWeight(registry::Instance i, uint16_t priority, uint16_t weight) {
  i.priority = priority;
  i.weight = weight;
  return i;
}

}  // namespace dnsd::testing
