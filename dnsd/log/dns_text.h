// Just enough DNS wire reading for log lines: a message's header, its first question
// (the name as the client spelled it, escaped for a log line) and its extended rcode,
// plus mnemonics for types, classes and rcodes. Self-contained (no dnsd_dns) so every
// layer can log; input is hostile and every length is checked before it is read.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dnsd::log {

struct MessageSummary {
  bool has_header = false;  // at least 12 bytes
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;
  bool has_question = false;  // qdcount >= 1 and the first question parsed
  std::string qname;          // escaped presentation form, trailing dot; "." for the root
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool records_ok = false;  // every record after the question parsed (only when has_question)
  uint16_t rcode = 0;       // header rcode, extended by the OPT record when records_ok

  bool qr() const { return (flags & 0x8000) != 0; }
  uint8_t opcode() const { return static_cast<uint8_t>((flags >> 11) & 0xF); }
  bool aa() const { return (flags & 0x0400) != 0; }
  bool tc() const { return (flags & 0x0200) != 0; }
  bool rd() const { return (flags & 0x0100) != 0; }
  bool ra() const { return (flags & 0x0080) != 0; }
};

// Reads as much of msg as parses. With walk_records, also walks the answer, authority
// and additional sections for the OPT record's extended rcode.
MessageSummary Summarize(std::span<const uint8_t> msg, bool walk_records);

// "A", "SRV", ... or "TYPE65280" (RFC 3597).
std::string TypeText(uint16_t type);
// "IN", "CH", "HS", "ANY" or "CLASS5".
std::string ClassText(uint16_t qclass);
// "NOERROR", "NXDOMAIN", ..., "BADVERS" or "RCODE12".
std::string RcodeText(uint16_t rcode);

// Appends one label in zone-file escaping: printable ASCII as is, except . \ " ( ) ; @ $
// (backslash-escaped); space, control bytes and bytes >= 0x7f as \DDD. The result holds
// no space, quote or control character.
void AppendEscapedLabel(std::string_view label, std::string& out);

}  // namespace dnsd::log
