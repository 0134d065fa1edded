#include "dnsd/forward/message.h"

#include <algorithm>
#include <cstring>

namespace dnsd::forward {
namespace {

constexpr uint16_t kTypeOpt = 41;
constexpr uint16_t kAdvertisedUdpSize = 1232;

uint16_t Read16(std::span<const uint8_t> msg, size_t offset) {
  return static_cast<uint16_t>(msg[offset] << 8 | msg[offset + 1]);
}

void Append16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

// Skips a possibly compressed name; returns the offset after it, or 0 when malformed.
size_t SkipName(std::span<const uint8_t> msg, size_t offset) {
  for (size_t labels = 0; labels < 128 && offset < msg.size(); ++labels) {
    uint8_t len = msg[offset];
    if (len == 0) return offset + 1;
    if ((len & 0xc0) == 0xc0) return offset + 2 <= msg.size() ? offset + 2 : 0;
    if ((len & 0xc0) != 0) return 0;
    offset += 1 + len;
  }
  return 0;
}

// True when the query's additional section holds an OPT record (answer and authority
// sections of a query are skipped as well, though they are normally empty).
bool HasOpt(std::span<const uint8_t> query, size_t offset) {
  size_t records = size_t{Read16(query, 6)} + Read16(query, 8) + Read16(query, 10);
  size_t first_additional = records - Read16(query, 10);
  for (size_t i = 0; i < records; ++i) {
    offset = SkipName(query, offset);
    if (offset == 0 || offset + 10 > query.size()) return false;
    uint16_t type = Read16(query, offset);
    if (i >= first_additional && type == kTypeOpt) return true;
    offset += 10 + Read16(query, offset + 8);
  }
  return false;
}

}  // namespace

size_t NameLength(std::span<const uint8_t> msg, size_t offset) {
  size_t start = offset;
  while (offset < msg.size()) {
    uint8_t len = msg[offset];
    if (len == 0) return offset + 1 - start;
    if ((len & 0xc0) != 0) return 0;
    offset += 1 + len;
    if (offset - start > 255) return 0;
  }
  return 0;
}

bool BuildServfail(std::span<const uint8_t> query, std::vector<uint8_t>& out) {
  if (query.size() < kHeaderSize || Read16(query, 4) != 1) return false;
  size_t name = NameLength(query, kHeaderSize);
  if (name == 0 || kHeaderSize + name + 4 > query.size()) return false;
  size_t question_end = kHeaderSize + name + 4;
  bool opt = HasOpt(query, question_end);

  out.clear();
  out.insert(out.end(), query.begin(), query.begin() + 2);        // ID
  out.push_back(static_cast<uint8_t>(0x80 | (query[2] & 0x79)));  // QR, opcode, RD
  out.push_back(0x80 | 2);                                        // RA, SERVFAIL
  Append16(out, 1);
  Append16(out, 0);
  Append16(out, 0);
  Append16(out, opt ? 1 : 0);
  out.insert(out.end(), query.begin() + kHeaderSize, query.begin() + question_end);
  if (opt) {
    out.push_back(0);  // root owner
    Append16(out, kTypeOpt);
    Append16(out, kAdvertisedUdpSize);
    Append16(out, 0);  // extended rcode, version
    Append16(out, 0);  // flags
    Append16(out, 0);  // no options
  }
  return true;
}

void RestoreClientView(std::span<const uint8_t> query, std::span<uint8_t> answer) {
  if (query.size() < kHeaderSize || answer.size() < kHeaderSize) return;
  answer[0] = query[0];
  answer[1] = query[1];
  answer[3] |= 0x80;  // RA: dnsd recursed on the client's behalf
  size_t qlen = NameLength(query, kHeaderSize);
  if (qlen == 0 || Read16(answer, 4) == 0) return;
  size_t alen = NameLength(answer, kHeaderSize);
  if (alen != qlen) return;
  auto q = query.subspan(kHeaderSize, qlen);
  auto a = answer.subspan(kHeaderSize, alen);
  bool same = std::equal(q.begin(), q.end(), a.begin(), [](uint8_t x, uint8_t y) {
    auto lower = [](uint8_t c) { return static_cast<uint8_t>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
    return lower(x) == lower(y);
  });
  if (same) std::memcpy(a.data(), q.data(), qlen);
}

}  // namespace dnsd::forward
