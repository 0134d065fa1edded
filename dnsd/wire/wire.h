// DNS wire format (RFC 1035 4.1, RFC 6891) for every part of dnsd that reads or writes
// messages (dns, its answer cache, forward, log, net): the header and its flags, names
// (uncompressed in questions, skipped when compressed in records), one question, the
// EDNS(0) OPT record, and a Writer that builds a message into a caller-owned buffer with
// name compression and whole-record rollback. It knows nothing of the server.
//
// Everything here is a plain value or works on spans the caller owns; nothing allocates.
// Input is hostile: every length is checked before it is read. The small readers are
// inline, for the answer cache's hot path.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace dnsd::wire {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeSrv = 33;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeIxfr = 251;
inline constexpr uint16_t kTypeAxfr = 252;
inline constexpr uint16_t kTypeAny = 255;

inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassCh = 3;

inline constexpr uint8_t kRcodeNoError = 0;
inline constexpr uint8_t kRcodeFormErr = 1;
inline constexpr uint8_t kRcodeServFail = 2;
inline constexpr uint8_t kRcodeNxDomain = 3;
inline constexpr uint8_t kRcodeNotImp = 4;
inline constexpr uint8_t kRcodeRefused = 5;
inline constexpr uint8_t kRcodeBadVers = 16;  // extended: upper 8 bits go in the OPT TTL

// The header's second field (RFC 1035 4.1.1; CD: RFC 4035 3.2.2).
inline constexpr uint16_t kFlagQr = 0x8000;
inline constexpr uint16_t kOpcodeMask = 0x7800;
inline constexpr uint16_t kFlagAa = 0x0400;
inline constexpr uint16_t kFlagTc = 0x0200;
inline constexpr uint16_t kFlagRd = 0x0100;
inline constexpr uint16_t kFlagRa = 0x0080;
inline constexpr uint16_t kFlagCd = 0x0010;
inline constexpr uint16_t kRcodeMask = 0x000F;

// Byte offsets of the header's fields.
inline constexpr size_t kIdAt = 0;
inline constexpr size_t kFlagsAt = 2;
inline constexpr size_t kQdcountAt = 4;
inline constexpr size_t kAncountAt = 6;
inline constexpr size_t kNscountAt = 8;
inline constexpr size_t kArcountAt = 10;

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, root byte included
inline constexpr size_t kMaxLabel = 63;
inline constexpr size_t kRecordFieldsSize = 10;  // type, class, TTL, rdlength
inline constexpr size_t kOptRecordSize = 11;     // root owner + 10 fixed bytes, no options
inline constexpr size_t kMinUdpSize = 512;
inline constexpr uint16_t kPointerBits = 0xC000;  // a compression pointer's top two bits
inline constexpr uint16_t kMaxPointerTarget = 0x3FFF;

// Big-endian reads and writes at p; the caller has checked the bounds.
inline uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Get32(const uint8_t* p) {
  return static_cast<uint32_t>(Get16(p)) << 16 | Get16(p + 2);
}
inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

// ASCII lower case, as labels compare (RFC 4343); other bytes are left alone.
inline uint8_t Lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// Reads the uncompressed name at msg[at], calling on_label(label bytes, length) for each
// label left to right. Returns the offset just past the root byte, or 0 when the name
// runs past the end, has a compression pointer or an extended label type, or exceeds
// 255 bytes. (Questions dnsd answers and rdata stored by zones are never compressed.)
template <typename OnLabel>
inline size_t ReadName(std::span<const uint8_t> msg, size_t at, OnLabel&& on_label) {
  // Every byte of the name, its root included, lies below limit: inside msg, and within
  // 255 bytes of the start. One bound to check per label keeps the hot path short.
  const size_t limit = std::min(msg.size(), at + kMaxNameWire);
  if (at >= limit) return 0;
  for (;;) {
    const uint8_t len = msg[at];
    if (len == 0) return at + 1;
    if (len > kMaxLabel) return 0;  // a pointer (0xC0) or an extended label type
    const size_t next = at + 1 + len;
    if (next >= limit) return 0;
    on_label(&msg[at + 1], len);
    at = next;
  }
}

// The length of the uncompressed name at msg[at] (root byte included), 0 when ReadName
// rejects it.
inline size_t NameLength(std::span<const uint8_t> msg, size_t at) {
  const size_t end = ReadName(msg, at, [](const uint8_t*, size_t) {});
  return end == 0 ? 0 : end - at;
}

// Skips a possibly compressed name in a record: a pointer ends it, so this never follows
// one and cannot loop. Returns the offset after the name, or 0 on overrun, an extended
// label type or more than 255 bytes. *is_root: the name is the root.
size_t SkipName(std::span<const uint8_t> msg, size_t at, bool* is_root = nullptr);

// The fixed fields after a record's owner name, read at p (kRecordFieldsSize bytes).
struct RecordFields {
  uint16_t type = 0;
  uint16_t rclass = 0;  // OPT: the sender's UDP payload size
  uint32_t ttl = 0;     // OPT: extended rcode (8 bits), version (8), flags (16)
  uint16_t rdlength = 0;
};
inline RecordFields ReadRecordFields(const uint8_t* p) {
  return {Get16(p), Get16(p + 2), Get32(p + 4), Get16(p + 8)};
}

// An OPT record's options must tile its rdata msg[at, at + rdlength) exactly.
inline bool OptionsWellFormed(std::span<const uint8_t> msg, size_t at, size_t rdlength) {
  const size_t end = at + rdlength;
  while (at < end) {
    if (end - at < 4) return false;
    const size_t len = Get16(&msg[at + 2]);
    at += 4;
    if (end - at < len) return false;
    at += len;
  }
  return true;
}

// Writes an OPT record without options at p (kOptRecordSize bytes): root owner, our UDP
// payload size, the upper 8 bits of the rcode, version 0, no flags.
inline void PutOpt(uint8_t* p, uint16_t udp_size, uint8_t extended_rcode = 0) {
  p[0] = 0;
  Put16(p + 1, kTypeOpt);
  Put16(p + 3, udp_size);
  Put32(p + 5, static_cast<uint32_t>(extended_rcode) << 24);
  Put16(p + 9, 0);
}

struct Header {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;

  bool qr() const { return (flags & kFlagQr) != 0; }
  uint8_t opcode() const { return static_cast<uint8_t>((flags & kOpcodeMask) >> 11); }
  bool aa() const { return (flags & kFlagAa) != 0; }
  bool tc() const { return (flags & kFlagTc) != 0; }
  bool rd() const { return (flags & kFlagRd) != 0; }
  bool ra() const { return (flags & kFlagRa) != 0; }
  bool cd() const { return (flags & kFlagCd) != 0; }
};

// Reads the 12-byte header; nullopt when the packet is shorter.
std::optional<Header> ParseHeader(std::span<const uint8_t> packet);

// A domain name: lower-case, uncompressed wire form plus the offset of every label.
// Fixed size (no heap); label(0) is the leftmost label.
class Name {
 public:
  Name() { wire_[0] = 0; }

  // Appends a label on the right (before the root). False, and unchanged, when the label
  // is empty or longer than 63 bytes or the name would exceed 255 bytes. Lower-cases.
  bool Append(std::string_view label);
  // Appends every label of other.
  bool AppendName(const Name& other);

  // "a.b.c." or "a.b.c" (no escapes; "." is the root). nullopt when invalid.
  static std::optional<Name> FromText(std::string_view text);
  // An uncompressed wire name at the start of data (e.g. rdata of CNAME/SRV from a zone).
  static std::optional<Name> FromWire(std::span<const uint8_t> data);

  size_t label_count() const { return count_; }
  std::string_view label(size_t i) const {
    return {reinterpret_cast<const char*>(&wire_[offsets_[i] + 1]), wire_[offsets_[i]]};
  }
  // Byte offset of label i within wire(); label_offset(label_count()) is the root byte.
  size_t label_offset(size_t i) const { return i < count_ ? offsets_[i] : size_ - 1; }
  std::span<const uint8_t> wire() const { return {wire_.data(), size_}; }
  size_t wire_size() const { return size_; }

  // True when this name is suffix or below it; sets *labels_above to the number of
  // labels to the left of suffix.
  bool IsAtOrBelow(const Name& suffix, size_t* labels_above = nullptr) const;
  friend bool operator==(const Name& a, const Name& b);

 private:
  std::array<uint8_t, kMaxNameWire> wire_{};
  std::array<uint8_t, 128> offsets_{};
  size_t size_ = 1;  // root byte included
  size_t count_ = 0;
};

// Presentation form for lookups in zones::ZoneSet ("db.internal.example."), escaping as
// ldns does ("\." inside a label, "\DDD" for non-printable bytes).
struct NameText {
  std::array<char, kMaxNameWire * 4 + 1> buf;
  size_t size = 0;
  std::string_view view() const { return {buf.data(), size}; }
};
void ToText(const Name& name, NameText& out);
// The same for an uncompressed wire name as it came (e.g. a question in the client's
// case); the bytes must be a well-formed name, as ParseQuestion checked them.
void ToText(std::span<const uint8_t> wire_name, NameText& out);

struct Question {
  Name name;                        // lower-case, for lookups
  size_t name_begin = kHeaderSize;  // the client's bytes of the name, echoed verbatim
  size_t end = 0;                   // offset just past QTYPE/QCLASS
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

// Parses the one question at offset 12 (ReadName's rules). False (FORMERR) on any length
// overrun, a label over 63 bytes, a name over 255 bytes, or a compression pointer /
// extended label type.
bool ParseQuestion(std::span<const uint8_t> packet, Question& q);

struct Edns {
  bool present = false;
  uint16_t udp_size = 0;  // as sent by the client
  uint8_t version = 0;
  uint8_t extended_rcode = 0;  // the upper 8 bits of a 12-bit rcode (responses)
};

// Walks the answer, authority and additional sections after the question (ending at
// `offset`) and extracts the OPT record. False (FORMERR) when a record overruns the
// packet, an OPT's owner is not the root, there are two OPTs, or its options overrun.
// Unknown options are ignored.
bool ParseRecords(std::span<const uint8_t> packet, const Header& header, size_t offset, Edns& edns);

// Builds a message into buf[0, limit). Every write is checked: a write that does not fit
// (within limit - reserve) sets overflow() and writes nothing; callers Save() before a
// record and Rewind() when it overflowed, so only whole records are kept. reserve holds
// room back for records that must come later (glue, the OPT record).
class Writer {
 public:
  struct Mark {
    size_t pos;
    size_t names;
  };

  Writer(std::span<uint8_t> buf, size_t limit);

  size_t pos() const { return pos_; }
  bool overflow() const { return overflow_; }
  Mark Save() const { return {pos_, name_count_}; }
  void Rewind(Mark m);

  // Holds n bytes back. False (and nothing reserved) when that leaves no room for what
  // is already written.
  bool TryReserve(size_t n);
  void Release(size_t n) { reserve_ = n > reserve_ ? 0 : reserve_ - n; }

  void U8(uint8_t v) {
    if (Room(1)) buf_[pos_++] = v;
  }
  void U16(uint16_t v) {
    if (!Room(2)) return;
    buf_[pos_++] = static_cast<uint8_t>(v >> 8);
    buf_[pos_++] = static_cast<uint8_t>(v);
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(std::span<const uint8_t> bytes);
  void Bytes(std::string_view bytes);
  void SetU16(size_t at, uint16_t v);  // overwrite already written bytes

  // Writes name, pointing at an earlier occurrence of its longest known suffix.
  void WriteName(const Name& name);
  void WriteNameUncompressed(const Name& name);
  void Pointer(size_t target);
  // Makes the name whose wire form starts at `at` (already written) a compression target.
  void AddCompressionTarget(size_t at, const Name& name);

 private:
  bool Room(size_t n) {
    if (overflow_ || pos_ + reserve_ + n > limit_) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  bool MatchesAt(size_t at, const uint8_t* suffix) const;
  void Remember(size_t at);

  std::span<uint8_t> buf_;
  size_t limit_;
  size_t pos_ = 0;
  size_t reserve_ = 0;
  bool overflow_ = false;
  std::array<uint16_t, 64> names_{};  // offsets of label sequences in the message
  size_t name_count_ = 0;
};

}  // namespace dnsd::wire
