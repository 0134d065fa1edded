#include "dnsd/log/dns_text.h"

#include <iterator>

namespace dnsd::log {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameWire = 255;
constexpr uint16_t kTypeOpt = 41;

uint16_t U16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>((m[at] << 8) | m[at + 1]);
}

// Reads an uncompressed name at *pos into text; advances *pos past it. False when it is
// compressed, has an extended label type, overruns, or exceeds 255 bytes.
bool ReadName(std::span<const uint8_t> m, size_t* pos, std::string& text) {
  size_t p = *pos;
  size_t wire = 1;
  text.clear();
  while (p < m.size()) {
    uint8_t len = m[p];
    if (len == 0) {
      if (text.empty()) text = ".";
      *pos = p + 1;
      return true;
    }
    if (len > 63 || p + 1 + len > m.size()) return false;
    wire += 1 + len;
    if (wire > kMaxNameWire) return false;
    AppendEscapedLabel({reinterpret_cast<const char*>(&m[p + 1]), len}, text);
    text += '.';
    p += 1 + len;
  }
  return false;
}

// Skips a possibly compressed name (a record owner); false when it overruns.
bool SkipName(std::span<const uint8_t> m, size_t* pos) {
  size_t p = *pos;
  for (size_t labels = 0; labels < 128 && p < m.size(); ++labels) {
    uint8_t len = m[p];
    if (len == 0) {
      *pos = p + 1;
      return true;
    }
    if ((len & 0xC0) == 0xC0) {
      if (p + 2 > m.size()) return false;
      *pos = p + 2;
      return true;
    }
    if (len > 63) return false;
    p += 1 + len;
  }
  return false;
}

// Walks count records from *pos; sets *opt_ttl when an OPT record is met.
bool WalkRecords(std::span<const uint8_t> m, size_t* pos, size_t count, uint32_t* opt_ttl,
                 bool* has_opt) {
  for (size_t i = 0; i < count; ++i) {
    if (!SkipName(m, pos) || *pos + 10 > m.size()) return false;
    uint16_t type = U16(m, *pos);
    uint32_t ttl = (static_cast<uint32_t>(U16(m, *pos + 4)) << 16) | U16(m, *pos + 6);
    size_t rdlen = U16(m, *pos + 8);
    *pos += 10;
    if (*pos + rdlen > m.size()) return false;
    *pos += rdlen;
    if (type == kTypeOpt) {
      *opt_ttl = ttl;
      *has_opt = true;
    }
  }
  return true;
}

}  // namespace

MessageSummary Summarize(std::span<const uint8_t> msg, bool walk_records) {
  MessageSummary s;
  if (msg.size() < kHeaderSize) return s;
  s.has_header = true;
  s.id = U16(msg, 0);
  s.flags = U16(msg, 2);
  s.qdcount = U16(msg, 4);
  s.ancount = U16(msg, 6);
  s.nscount = U16(msg, 8);
  s.arcount = U16(msg, 10);
  s.rcode = s.flags & 0xF;
  if (s.qdcount == 0) return s;
  size_t pos = kHeaderSize;
  if (!ReadName(msg, &pos, s.qname) || pos + 4 > msg.size()) {
    s.qname.clear();
    return s;
  }
  s.has_question = true;
  s.qtype = U16(msg, pos);
  s.qclass = U16(msg, pos + 2);
  pos += 4;
  if (!walk_records || s.qdcount != 1) return s;
  uint32_t opt_ttl = 0;
  bool has_opt = false;
  size_t records = size_t{s.ancount} + s.nscount + s.arcount;
  if (!WalkRecords(msg, &pos, records, &opt_ttl, &has_opt)) return s;
  s.records_ok = true;
  if (has_opt) s.rcode = static_cast<uint16_t>(((opt_ttl >> 24) << 4) | (s.flags & 0xF));
  return s;
}

std::string TypeText(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 257:
      return "CAA";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string ClassText(uint16_t qclass) {
  switch (qclass) {
    case 1:
      return "IN";
    case 3:
      return "CH";
    case 4:
      return "HS";
    case 254:
      return "NONE";
    case 255:
      return "ANY";
    default:
      return "CLASS" + std::to_string(qclass);
  }
}

std::string RcodeText(uint16_t rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  if (rcode == 16) return "BADVERS";
  return "RCODE" + std::to_string(rcode);
}

void AppendEscapedLabel(std::string_view label, std::string& out) {
  for (char ch : label) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '.':
      case '\\':
      case '"':
      case '(':
      case ')':
      case ';':
      case '@':
      case '$':
        out += '\\';
        out += ch;
        continue;
      default:
        break;
    }
    if (c > 0x20 && c < 0x7f) {
      out += ch;
    } else {
      char buf[4] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                     static_cast<char>('0' + c % 10)};
      out.append(buf, 4);
    }
  }
}

}  // namespace dnsd::log
