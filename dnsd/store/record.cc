#include "dnsd/store/record.h"

#include <zlib.h>

#include <cstring>

namespace dnsd::store {
namespace {

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

registry::Error Damage(std::string message) {
  return registry::Error{registry::ErrorCode::kInvalid, std::move(message), ""};
}

// Appends the body's fields: unsigned LEB128 varints, strings as a varint length and
// the bytes.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Bytes(const void* data, size_t n) { out_.append(static_cast<const char*>(data), n); }
  void String(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

// Reads what Writer wrote; every length is checked against what is left, and the first
// failure sticks (ok() false), so a caller checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  bool at_end() const { return in_.empty(); }
  void Reject() { Fail(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const auto b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  uint64_t Bounded(uint64_t max) {
    uint64_t v = Varint();
    return v <= max ? v : Fail();
  }
  uint8_t Byte() {
    uint8_t b = 0;
    Bytes(&b, 1);
    return b;
  }
  void Bytes(void* out, size_t n) {
    if (in_.size() < n) return static_cast<void>(Fail());
    std::memcpy(out, in_.data(), n);
    in_.remove_prefix(n);
  }
  std::string String(size_t max) {
    const uint64_t n = Bounded(max);
    if (!ok_ || in_.size() < n) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

constexpr size_t kMaxLabel = 63;
constexpr uint64_t kNoDnsTtl = 0;  // dns_ttl is stored + 1, so 0 says "not set"

void EncodeBody(const registry::Instance& in, Writer& w) {
  w.String(in.service);
  w.String(in.id);
  w.Byte(in.address.is_v4() ? 4 : 6);
  w.Bytes(in.address.bytes.data(), in.address.is_v4() ? 4 : 16);
  w.Varint(in.port);
  w.Byte(static_cast<uint8_t>(in.proto));
  w.Varint(in.tags.size());
  for (const std::string& tag : in.tags) w.String(tag);
  w.Varint(in.meta.size());
  for (const auto& [key, value] : in.meta) {
    w.String(key);
    w.String(value);
  }
  w.Varint(in.weight);
  w.Varint(in.priority);
  w.Varint(static_cast<uint64_t>(in.ttl.count()));
  w.Varint(static_cast<uint64_t>(in.deregister_after.count()));
  w.Varint(in.dns_ttl ? uint64_t{*in.dns_ttl} + 1 : kNoDnsTtl);
  w.Byte(static_cast<uint8_t>(in.health));
  w.String(in.note);
  w.Varint(in.index);
  // Appended fields: a record of an older dnsd ends here, and decodes with none.
  if (in.checks.empty()) return;
  w.Varint(in.checks.size());
  for (const registry::CheckState& c : in.checks) {
    w.Byte(static_cast<uint8_t>(c.spec.kind));
    w.String(c.spec.target);
    w.Varint(c.spec.args.size());
    for (const std::string& a : c.spec.args) w.String(a);
    w.Varint(static_cast<uint64_t>(c.spec.interval.count()));
    w.Varint(static_cast<uint64_t>(c.spec.timeout.count()));
    w.Varint(c.spec.success_before_passing);
    w.Varint(c.spec.failures_before_critical);
    w.String(c.spec.check_id);
    w.String(c.spec.name);
    w.Byte(static_cast<uint8_t>(c.status));
    w.String(c.output);
    w.Varint(static_cast<uint64_t>(c.last_run_ms));
  }
}

// Reads the fields in EncodeBody's order; limits are the registry's own (section 3), so
// a body that decodes is an instance the registry could have held.
registry::Instance DecodeBody(Reader& r) {
  registry::Instance in;
  in.service = r.String(kMaxLabel);
  in.id = r.String(kMaxLabel);
  const uint8_t family = r.Byte();
  if (family != 4 && family != 6) r.Reject();
  in.address.family = family == 6 ? registry::IpAddress::Family::kV6 : registry::IpAddress::Family::kV4;
  r.Bytes(in.address.bytes.data(), family == 6 ? 16 : 4);
  in.port = static_cast<uint16_t>(r.Bounded(65535));
  in.proto = static_cast<registry::Proto>(r.Byte());
  if (in.proto != registry::Proto::kTcp && in.proto != registry::Proto::kUdp) r.Reject();
  in.tags.resize(r.Bounded(registry::kMaxTags));
  for (std::string& tag : in.tags) tag = r.String(kMaxLabel);
  for (uint64_t n = r.Bounded(registry::kMaxMetaEntries); n > 0 && r.ok(); --n) {
    std::string key = r.String(registry::kMaxMetaKeyLength);
    in.meta.emplace(std::move(key), r.String(registry::kMaxMetaValueLength));
  }
  in.weight = static_cast<uint16_t>(r.Bounded(65535));
  in.priority = static_cast<uint16_t>(r.Bounded(65535));
  in.ttl = registry::Duration(r.Bounded(static_cast<uint64_t>(registry::kMaxLeaseTtl.count())));
  in.deregister_after = registry::Duration(r.Bounded(INT64_MAX));
  if (uint64_t dns_ttl = r.Bounded(uint64_t{registry::kMaxDnsTtl} + 1); dns_ttl != kNoDnsTtl) {
    in.dns_ttl = static_cast<uint32_t>(dns_ttl - 1);
  }
  const uint8_t health = r.Byte();
  if (health > static_cast<uint8_t>(registry::Health::kMaintenance)) r.Reject();
  in.health = static_cast<registry::Health>(health);
  in.note = r.String(registry::kMaxNoteLength);
  in.index = r.Varint();
  if (!r.ok() || r.at_end()) return in;
  in.checks.resize(r.Bounded(registry::kMaxChecks));
  for (registry::CheckState& c : in.checks) {
    const uint8_t kind = r.Byte();
    if (kind > static_cast<uint8_t>(registry::CheckKind::kTtl)) r.Reject();
    c.spec.kind = static_cast<registry::CheckKind>(kind);
    c.spec.target = r.String(registry::kMaxCheckTarget);
    c.spec.args.resize(r.Bounded(256));
    for (std::string& a : c.spec.args) a = r.String(4096);
    c.spec.interval = registry::Duration(r.Bounded(registry::kMaxCheckInterval.count()));
    c.spec.timeout = registry::Duration(r.Bounded(registry::kMaxCheckInterval.count()));
    c.spec.success_before_passing = static_cast<uint32_t>(r.Bounded(registry::kMaxCheckThreshold));
    c.spec.failures_before_critical =
        static_cast<uint32_t>(r.Bounded(registry::kMaxCheckThreshold));
    c.spec.check_id = r.String(256);
    c.spec.name = r.String(256);
    const uint8_t status = r.Byte();
    if (status > static_cast<uint8_t>(registry::Health::kCritical)) r.Reject();
    c.status = static_cast<registry::Health>(status);
    c.output = r.String(registry::kMaxCheckOutput);
    c.last_run_ms = static_cast<int64_t>(r.Bounded(INT64_MAX));
  }
  return in;
}

}  // namespace

std::string RecordKey(std::string_view service, std::string_view id) {
  std::string key;
  key.reserve(service.size() + 1 + id.size());
  key.append(service).append("/").append(id);
  return key;
}

std::string EncodeInstance(const registry::Instance& in) {
  std::string out(4, '\0');
  Writer w(out);
  EncodeBody(in, w);
  const uint32_t crc = Crc(std::string_view(out).substr(4));
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(crc >> (24 - 8 * i));
  return out;
}

registry::Result<registry::Instance> DecodeInstance(std::string_view record) {
  if (record.size() < 4) return Damage("record shorter than its checksum");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored = stored << 8 | static_cast<unsigned char>(record[i]);
  std::string_view body = record.substr(4);
  if (Crc(body) != stored) return Damage("checksum mismatch");
  Reader r(body);
  registry::Instance in = DecodeBody(r);
  if (!r.done()) return Damage("checksum matches but the fields do not decode");
  if (!registry::IsDnsLabel(in.service) || !registry::IsDnsLabel(in.id)) {
    return Damage("checksum matches but a name is not a DNS label");
  }
  return in;
}

}  // namespace dnsd::store
