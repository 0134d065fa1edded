#include "dnsd/forward/message.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace dnsd::forward {
namespace {

constexpr uint16_t kAdvertisedUdpSize = 1232;

// True when the query's additional section holds an OPT record. The query comes from a
// client whose records Answer() already parsed (it forwards nothing else).
bool HasOpt(std::span<const uint8_t> query, size_t question_end) {
  const std::optional<wire::Header> header = wire::ParseHeader(query);
  wire::Edns edns;
  return header && wire::ParseRecords(query, *header, question_end, edns) && edns.present;
}

}  // namespace

bool BuildServfail(std::span<const uint8_t> query, std::vector<uint8_t>& out) {
  if (query.size() < wire::kHeaderSize || wire::Get16(&query[wire::kQdcountAt]) != 1) {
    return false;
  }
  const size_t name = wire::NameLength(query, wire::kHeaderSize);
  if (name == 0 || wire::kHeaderSize + name + 4 > query.size()) return false;
  const size_t question_end = wire::kHeaderSize + name + 4;
  const bool opt = HasOpt(query, question_end);

  out.assign(question_end + (opt ? wire::kOptRecordSize : 0), 0);
  uint8_t* p = out.data();
  std::memcpy(p + wire::kIdAt, query.data() + wire::kIdAt, 2);
  const uint16_t echoed = wire::Get16(&query[wire::kFlagsAt]) & (wire::kOpcodeMask | wire::kFlagRd);
  wire::Put16(p + wire::kFlagsAt, wire::kFlagQr | echoed | wire::kFlagRa | wire::kRcodeServFail);
  wire::Put16(p + wire::kQdcountAt, 1);
  wire::Put16(p + wire::kArcountAt, opt ? 1 : 0);
  std::memcpy(p + wire::kHeaderSize, query.data() + wire::kHeaderSize,
              question_end - wire::kHeaderSize);
  if (opt) wire::PutOpt(p + question_end, kAdvertisedUdpSize);
  return true;
}

void RestoreClientView(std::span<const uint8_t> query, std::span<uint8_t> answer) {
  if (query.size() < wire::kHeaderSize || answer.size() < wire::kHeaderSize) return;
  std::memcpy(answer.data() + wire::kIdAt, query.data() + wire::kIdAt, 2);
  // RA: dnsd recursed on the client's behalf.
  wire::Put16(&answer[wire::kFlagsAt], wire::Get16(&answer[wire::kFlagsAt]) | wire::kFlagRa);
  const size_t qlen = wire::NameLength(query, wire::kHeaderSize);
  if (qlen == 0 || wire::Get16(&answer[wire::kQdcountAt]) == 0) return;
  const size_t alen = wire::NameLength(answer, wire::kHeaderSize);
  if (alen != qlen) return;
  auto q = query.subspan(wire::kHeaderSize, qlen);
  auto a = answer.subspan(wire::kHeaderSize, alen);
  const bool same = std::equal(q.begin(), q.end(), a.begin(), [](uint8_t x, uint8_t y) {
    return wire::Lower(x) == wire::Lower(y);
  });
  if (same) std::memcpy(a.data(), q.data(), qlen);
}

}  // namespace dnsd::forward
