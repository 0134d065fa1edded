// What a log line says about a DNS message: its header, its first question (the name as
// the client spelled it, escaped as in a zone file) and its rcode, extended by the OPT
// record, plus mnemonics for types, classes and rcodes. Reads through dnsd/wire, so input
// is as hostile as it likes. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dnsd/wire/wire.h"

namespace dnsd::log {

struct MessageSummary : wire::Header {
  bool has_header = false;    // at least 12 bytes (else the header fields are 0)
  bool has_question = false;  // qdcount >= 1 and the first question parsed
  std::string qname;          // escaped presentation form, trailing dot; "." for the root
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool records_ok = false;  // every record after the question parsed (only when has_question)
  uint16_t rcode = 0;       // header rcode, extended by the OPT record when records_ok
};

// Reads as much of msg as parses. With walk_records, also walks the answer, authority
// and additional sections for the OPT record's extended rcode.
MessageSummary Summarize(std::span<const uint8_t> msg, bool walk_records);

// "A", "SRV", ... or "TYPE65280" (RFC 3597), as ldns names them.
std::string TypeText(uint16_t type);
// "IN", "CH", "HS", "ANY" or "CLASS5", as ldns names them.
std::string ClassText(uint16_t qclass);
// "NOERROR", "NXDOMAIN", ..., "BADVERS" or "RCODE12", as dig prints them.
std::string RcodeText(uint16_t rcode);

}  // namespace dnsd::log
