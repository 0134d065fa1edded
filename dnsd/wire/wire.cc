// Wire-format parsing and writing (RFC 1035 4.1, RFC 6891).
#include "dnsd/wire/wire.h"

#include <algorithm>
#include <cstring>

namespace dnsd::wire {
size_t SkipName(std::span<const uint8_t> msg, size_t at, bool* is_root) {
  size_t total = 0;
  if (is_root != nullptr) *is_root = at < msg.size() && msg[at] == 0;
  while (at < msg.size()) {
    const uint8_t len = msg[at];
    if ((len & 0xC0) == 0xC0) return at + 2 <= msg.size() ? at + 2 : 0;
    if ((len & 0xC0) != 0) return 0;  // extended label types (RFC 6891 obsoleted them)
    total += len + 1u;
    if (total > kMaxNameWire) return 0;
    if (len == 0) return at + 1;
    at += len + 1u;
  }
  return 0;
}

std::optional<Header> ParseHeader(std::span<const uint8_t> packet) {
  if (packet.size() < kHeaderSize) return std::nullopt;
  const uint8_t* p = packet.data();
  Header h;
  h.id = Get16(p + kIdAt);
  h.flags = Get16(p + kFlagsAt);
  h.qdcount = Get16(p + kQdcountAt);
  h.ancount = Get16(p + kAncountAt);
  h.nscount = Get16(p + kNscountAt);
  h.arcount = Get16(p + kArcountAt);
  return h;
}

bool Name::Append(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (size_ + 1 + label.size() > kMaxNameWire) return false;
  const size_t at = size_ - 1;  // overwrite the root byte
  offsets_[count_++] = static_cast<uint8_t>(at);
  wire_[at] = static_cast<uint8_t>(label.size());
  for (size_t i = 0; i < label.size(); ++i) {
    wire_[at + 1 + i] = Lower(static_cast<uint8_t>(label[i]));
  }
  size_ += 1 + label.size();
  wire_[size_ - 1] = 0;
  return true;
}

bool Name::AppendName(const Name& other) {
  if (size_ + other.size_ - 1 > kMaxNameWire) return false;
  for (size_t i = 0; i < other.count_; ++i) {
    if (!Append(other.label(i))) return false;
  }
  return true;
}

std::optional<Name> Name::FromText(std::string_view text) {
  Name n;
  if (text == ".") return n;
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  while (!text.empty()) {
    const size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (!n.Append(label)) return std::nullopt;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return std::nullopt;  // "a..": empty label
  }
  return n;
}

std::optional<Name> Name::FromWire(std::span<const uint8_t> data) {
  Name n;
  bool ok = true;
  const size_t end = ReadName(data, 0, [&](const uint8_t* label, size_t len) {
    ok = ok && n.Append({reinterpret_cast<const char*>(label), len});
  });
  if (end == 0 || !ok) return std::nullopt;
  return n;
}

bool Name::IsAtOrBelow(const Name& suffix, size_t* labels_above) const {
  if (suffix.count_ > count_) return false;
  const size_t skip = count_ - suffix.count_;
  const size_t at = label_offset(skip);
  if (size_ - at != suffix.size_) return false;
  if (std::memcmp(&wire_[at], suffix.wire_.data(), suffix.size_) != 0) return false;
  if (labels_above != nullptr) *labels_above = skip;
  return true;
}

bool operator==(const Name& a, const Name& b) {
  return a.size_ == b.size_ && std::memcmp(a.wire_.data(), b.wire_.data(), a.size_) == 0;
}

void ToText(const Name& name, NameText& out) { ToText(name.wire(), out); }

void ToText(std::span<const uint8_t> wire_name, NameText& out) {
  out.size = 0;
  auto put = [&out](char c) { out.buf[out.size++] = c; };
  wire_name = wire_name.first(std::min(wire_name.size(), kMaxNameWire));  // bounds buf
  if (wire_name.empty() || wire_name[0] == 0) {
    put('.');
    return;
  }
  for (size_t at = 0; at < wire_name.size() && wire_name[at] != 0; at += 1 + wire_name[at]) {
    const std::string_view label(reinterpret_cast<const char*>(&wire_name[at + 1]),
                                 std::min<size_t>(wire_name[at], wire_name.size() - at - 1));
    for (char ch : label) {
      const auto c = static_cast<uint8_t>(ch);
      if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
        put('\\');
        put(ch);
      } else if (c < 0x21 || c > 0x7E) {
        put('\\');
        put(static_cast<char>('0' + c / 100));
        put(static_cast<char>('0' + (c / 10) % 10));
        put(static_cast<char>('0' + c % 10));
      } else {
        put(ch);
      }
    }
    put('.');
  }
}

bool ParseQuestion(std::span<const uint8_t> packet, Question& q) {
  q = Question{};
  bool ok = true;
  const size_t at = ReadName(packet, kHeaderSize, [&](const uint8_t* label, size_t len) {
    ok = ok && q.name.Append({reinterpret_cast<const char*>(label), len});
  });
  if (at == 0 || !ok || packet.size() - at < 4) return false;
  q.qtype = Get16(&packet[at]);
  q.qclass = Get16(&packet[at + 2]);
  q.end = at + 4;
  return true;
}

bool ParseRecords(std::span<const uint8_t> packet, const Header& header, size_t offset,
                  Edns& edns) {
  edns = Edns{};
  const size_t records = size_t{header.ancount} + header.nscount + header.arcount;
  const size_t additional_from = size_t{header.ancount} + header.nscount;
  size_t at = offset;
  for (size_t i = 0; i < records; ++i) {
    bool root = false;
    at = SkipName(packet, at, &root);
    if (at == 0 || packet.size() - at < kRecordFieldsSize) return false;
    const RecordFields rr = ReadRecordFields(&packet[at]);
    const size_t rdata = at + kRecordFieldsSize;
    if (packet.size() - rdata < rr.rdlength) return false;
    if (rr.type == kTypeOpt && i >= additional_from) {
      if (edns.present || !root) return false;
      if (!OptionsWellFormed(packet, rdata, rr.rdlength)) return false;
      edns.present = true;
      edns.udp_size = rr.rclass;
      edns.extended_rcode = static_cast<uint8_t>(rr.ttl >> 24);
      edns.version = static_cast<uint8_t>(rr.ttl >> 16);
    }
    at = rdata + rr.rdlength;
  }
  return true;  // trailing bytes after the counted records are ignored
}

Writer::Writer(std::span<uint8_t> buf, size_t limit)
    : buf_(buf), limit_(std::min(limit, buf.size())) {}

void Writer::Rewind(Mark m) {
  pos_ = m.pos;
  name_count_ = m.names;
  overflow_ = false;
}

bool Writer::TryReserve(size_t n) {
  if (pos_ + reserve_ + n > limit_) return false;
  reserve_ += n;
  return true;
}

void Writer::Bytes(std::span<const uint8_t> bytes) {
  if (bytes.empty() || !Room(bytes.size())) return;
  std::memcpy(&buf_[pos_], bytes.data(), bytes.size());
  pos_ += bytes.size();
}

void Writer::Bytes(std::string_view bytes) {
  Bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

void Writer::SetU16(size_t at, uint16_t v) {
  if (at + 2 > pos_) return;
  buf_[at] = static_cast<uint8_t>(v >> 8);
  buf_[at + 1] = static_cast<uint8_t>(v);
}

void Writer::Pointer(size_t target) {
  U16(static_cast<uint16_t>(kPointerBits | (target & kMaxPointerTarget)));
}

void Writer::Remember(size_t at) {
  if (at <= kMaxPointerTarget && name_count_ < names_.size()) {
    names_[name_count_++] = static_cast<uint16_t>(at);
  }
}

void Writer::AddCompressionTarget(size_t at, const Name& name) {
  for (size_t i = 0; i < name.label_count(); ++i) Remember(at + name.label_offset(i));
}

// Compares the (possibly compressed) name in the message at `at` with an uncompressed
// lower-case wire suffix, case-insensitively. Pointers only go backwards, so the walk
// ends; the hop bound is a second guard.
bool Writer::MatchesAt(size_t at, const uint8_t* suffix) const {
  for (int hops = 0; hops < 128;) {
    if (at >= pos_) return false;
    const uint8_t len = buf_[at];
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= pos_) return false;
      const size_t target = ((len & 0x3F) << 8) | buf_[at + 1];
      if (target >= at) return false;
      at = target;
      ++hops;
      continue;
    }
    if (len != *suffix) return false;
    if (len == 0) return true;
    if (at + 1 + len > pos_) return false;
    for (size_t i = 1; i <= len; ++i) {
      if (Lower(buf_[at + i]) != suffix[i]) return false;
    }
    at += 1 + len;
    suffix += 1 + len;
  }
  return false;
}

void Writer::WriteName(const Name& name) {
  const uint8_t* wire = name.wire().data();
  for (size_t i = 0; i < name.label_count(); ++i) {
    const size_t off = name.label_offset(i);
    for (size_t e = 0; e < name_count_; ++e) {
      if (!MatchesAt(names_[e], wire + off)) continue;
      const size_t start = pos_;
      const size_t target = names_[e];
      Bytes(name.wire().first(off));
      Pointer(target);
      if (overflow_) return;
      for (size_t j = 0; j < i; ++j) Remember(start + name.label_offset(j));
      return;
    }
  }
  WriteNameUncompressed(name);
}

void Writer::WriteNameUncompressed(const Name& name) {
  const size_t start = pos_;
  Bytes(name.wire());
  if (!overflow_) AddCompressionTarget(start, name);
}

}  // namespace dnsd::wire
