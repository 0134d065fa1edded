// A reply decoded by ldns (an independent decoder), for the DNS fuzz targets' checks:
// everything a client could tell apart except the order of records within a section.
#pragma once

// clang-format off
// stdbool.h first: without __bool_true_false_are_defined, ldns/common.h defines bool,
// true and false as macros, which breaks the C++ standard headers.
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <span>
#include <string>

namespace dnsd::fuzz {

struct Decoded {
  uint16_t id = 0;
  int rcode = 0;
  bool aa = false, tc = false, ra = false, rd = false, qr = false;
  std::string question;
  std::multiset<std::string> answer, authority, additional;
  size_t size = 0;

  bool operator==(const Decoded&) const = default;
  // A random subset was chosen (TC over UDP, the 65535-byte cap over TCP): the records
  // may differ between two answers (and so the message's size), their number may not.
  Decoded Shape() const {
    Decoded d = *this;
    d.size = 0;
    d.answer = {std::to_string(answer.size())};
    d.additional = {std::to_string(additional.size())};
    return d;
  }
};

inline std::string RrText(const ldns_rr* rr) {
  char* s = ldns_rr2str(rr);
  std::string out = s != nullptr ? s : "";
  free(s);
  return out;
}

inline std::multiset<std::string> Section(const ldns_rr_list* list) {
  std::multiset<std::string> out;
  for (size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i)
    out.insert(RrText(ldns_rr_list_rr(list, i)));
  return out;
}

// nullopt when ldns cannot read the message.
inline std::optional<Decoded> Decode(std::span<const uint8_t> wire) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) return std::nullopt;
  Decoded d;
  d.id = ldns_pkt_id(pkt);
  d.rcode = (ldns_pkt_edns_extended_rcode(pkt) << 4) | ldns_pkt_get_rcode(pkt);
  d.aa = ldns_pkt_aa(pkt);
  d.tc = ldns_pkt_tc(pkt);
  d.ra = ldns_pkt_ra(pkt);
  d.rd = ldns_pkt_rd(pkt);
  d.qr = ldns_pkt_qr(pkt);
  d.question = Section(ldns_pkt_question(pkt)).empty()
                   ? std::string()
                   : *Section(ldns_pkt_question(pkt)).begin();
  d.answer = Section(ldns_pkt_answer(pkt));
  d.authority = Section(ldns_pkt_authority(pkt));
  d.additional = Section(ldns_pkt_additional(pkt));
  d.size = wire.size();
  ldns_pkt_free(pkt);
  return d;
}

}  // namespace dnsd::fuzz
