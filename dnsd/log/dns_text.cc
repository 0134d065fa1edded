#include "dnsd/log/dns_text.h"

#include <ldns/ldns.h>

#include <cstdlib>
#include <iterator>
#include <memory>

namespace dnsd::log {
namespace {

// ldns's *2str functions return a malloc'd string (NULL only when out of memory).
std::string Owned(char* text, const char* fallback_prefix, unsigned value) {
  std::unique_ptr<char, decltype(&std::free)> owned(text, &std::free);
  return owned ? std::string(owned.get()) : fallback_prefix + std::to_string(value);
}

}  // namespace

MessageSummary Summarize(std::span<const uint8_t> msg, bool walk_records) {
  MessageSummary s;
  std::optional<wire::Header> header = wire::ParseHeader(msg);
  if (!header) return s;
  static_cast<wire::Header&>(s) = *header;
  s.has_header = true;
  s.rcode = s.flags & wire::kRcodeMask;
  wire::Question q;
  if (s.qdcount == 0 || !wire::ParseQuestion(msg, q)) return s;
  s.has_question = true;
  wire::NameText name;
  wire::ToText(msg.subspan(q.name_begin, q.end - 4 - q.name_begin), name);
  s.qname = name.view();
  s.qtype = q.qtype;
  s.qclass = q.qclass;
  if (!walk_records || s.qdcount != 1) return s;
  wire::Edns edns;
  if (!wire::ParseRecords(msg, s, q.end, edns)) return s;
  s.records_ok = true;
  if (edns.present)
    s.rcode = static_cast<uint16_t>((edns.extended_rcode << 4) | (s.flags & wire::kRcodeMask));
  return s;
}

std::string TypeText(uint16_t type) {
  return Owned(ldns_rr_type2str(static_cast<ldns_rr_type>(type)), "TYPE", type);
}

std::string ClassText(uint16_t qclass) {
  return Owned(ldns_rr_class2str(static_cast<ldns_rr_class>(qclass)), "CLASS", qclass);
}

std::string RcodeText(uint16_t rcode) {
  // ldns spells 4 "NOTIMPL" and has no 16; dig's names are what operators grep for.
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  if (rcode == wire::kRcodeBadVers) return "BADVERS";
  return "RCODE" + std::to_string(rcode);
}

}  // namespace dnsd::log
