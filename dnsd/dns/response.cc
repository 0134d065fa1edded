// Record-level response building.
#include "dnsd/dns/response.h"

#include <algorithm>
#include <array>

namespace dnsd::dns {

Response::Response(std::span<uint8_t> out, size_t limit, const OptSpec& opt)
    : w_(out, limit), opt_(opt) {}

void Response::Begin(std::span<const uint8_t> question_bytes, const wire::Name* qname) {
  for (size_t i = 0; i < wire::kHeaderSize; ++i) w_.U8(0);
  // The OPT record is always sent when the query had one: hold its room back first.
  if (opt_.present) (void)w_.TryReserve(wire::kOptRecordSize);
  if (qname == nullptr) return;
  const wire::Writer::Mark m = w_.Save();
  w_.Bytes(question_bytes);
  if (w_.overflow()) {
    w_.Rewind(m);
    return;
  }
  w_.AddCompressionTarget(wire::kHeaderSize, *qname);
  question_count_ = 1;
}

void Response::Rewind(const Mark& m) {
  w_.Rewind(m.writer);
  counts_ = m.counts;
}

void Response::WriteOwner(const Owner& owner) {
  if (owner.name != nullptr) {
    if (owner.compress) {
      w_.WriteName(*owner.name);
    } else {
      w_.Bytes(owner.name->wire());
    }
    return;
  }
  if (!owner.label.empty()) {
    w_.U8(static_cast<uint8_t>(owner.label.size()));
    w_.Bytes(owner.label);
  }
  w_.Pointer(owner.pointer);
}

template <typename RdataFn>
bool Response::Record(const Owner& owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                      RdataFn&& rdata) {
  const Mark m = Save();
  WriteOwner(owner);
  w_.U16(type);
  w_.U16(rclass);
  w_.U32(ttl);
  const size_t length_at = w_.pos();
  w_.U16(0);
  const size_t start = w_.pos();
  rdata();
  if (w_.overflow() || w_.pos() - start > 0xFFFF) {
    Rewind(m);
    return false;
  }
  w_.SetU16(length_at, static_cast<uint16_t>(w_.pos() - start));
  ++counts_[static_cast<size_t>(section_)];
  return true;
}

bool Response::AddAddress(const Owner& owner, const registry::IpAddress& address, uint32_t ttl) {
  const bool v4 = address.is_v4();
  const size_t size = v4 ? 4 : 16;
  return Record(owner, v4 ? wire::kTypeA : wire::kTypeAaaa, wire::kClassIn, ttl,
                [&] { w_.Bytes(std::span<const uint8_t>(address.bytes.data(), size)); });
}

bool Response::AddSrv(const Owner& owner, const registry::Instance& instance, uint32_t ttl,
                      const wire::Name& domain, size_t* target_off) {
  size_t at = 0;
  const bool ok = Record(owner, wire::kTypeSrv, wire::kClassIn, ttl, [&] {
    w_.U16(instance.priority);
    w_.U16(instance.weight);
    w_.U16(instance.port);
    // RFC 2782: the target is never compressed. Written label by label so that no
    // temporary Name is needed.
    at = w_.pos();
    for (std::string_view label :
         {std::string_view(instance.id), std::string_view(instance.service),
          std::string_view("instance")}) {
      w_.U8(static_cast<uint8_t>(std::min<size_t>(label.size(), wire::kMaxLabel)));
      w_.Bytes(label.substr(0, wire::kMaxLabel));
    }
    w_.Bytes(domain.wire());
  });
  if (ok) *target_off = at;
  return ok;
}

bool Response::AddTxt(const Owner& owner, uint16_t rclass, uint32_t ttl,
                      std::span<const std::string_view> pieces) {
  size_t total = 0;
  for (std::string_view p : pieces) total += p.size();
  return Record(owner, wire::kTypeTxt, rclass, ttl, [&] {
    size_t piece = 0;
    size_t offset = 0;
    size_t left = total;
    do {
      size_t chunk = std::min<size_t>(left, 255);
      w_.U8(static_cast<uint8_t>(chunk));
      left -= chunk;
      while (chunk > 0) {
        const std::string_view p = pieces[piece];
        const size_t n = std::min(chunk, p.size() - offset);
        w_.Bytes(p.substr(offset, n));
        chunk -= n;
        offset += n;
        if (offset == p.size()) {
          ++piece;
          offset = 0;
        }
      }
    } while (left > 0);
  });
}

bool Response::AddRaw(const Owner& owner, uint16_t type, uint32_t ttl,
                      std::span<const uint8_t> rdata) {
  return Record(owner, type, wire::kClassIn, ttl, [&] { w_.Bytes(rdata); });
}

bool Response::AddSoa(const wire::Name& apex, uint32_t serial, uint32_t minimum, uint32_t ttl) {
  wire::Name mname;
  wire::Name rname;
  (void)mname.Append("ns");
  (void)rname.Append("hostmaster");
  // A domain within 11 bytes of the 255-byte limit has no room for these; the SOA then
  // names the apex itself rather than failing.
  if (!mname.AppendName(apex)) mname = apex;
  if (!rname.AppendName(apex)) rname = apex;
  return Record(Owner::Of(apex), wire::kTypeSoa, wire::kClassIn, ttl, [&] {
    w_.WriteName(mname);
    w_.WriteName(rname);
    w_.U32(serial);
    w_.U32(3600);   // refresh
    w_.U32(600);    // retry
    w_.U32(86400);  // expire
    w_.U32(minimum);
  });
}

bool Response::AddNs(const Owner& owner, const wire::Name& target, uint32_t ttl) {
  return Record(owner, wire::kTypeNs, wire::kClassIn, ttl, [&] { w_.WriteName(target); });
}

size_t Response::Finish(uint16_t id, uint16_t flags, uint8_t rcode) {
  if (opt_.present) {
    w_.Release(wire::kOptRecordSize);
    std::array<uint8_t, wire::kOptRecordSize> opt;
    wire::PutOpt(opt.data(), opt_.udp_size, static_cast<uint8_t>(rcode >> 4));
    w_.Bytes(opt);
    if (!w_.overflow()) ++counts_[static_cast<size_t>(Section::kAdditional)];
  }
  w_.SetU16(wire::kIdAt, id);
  w_.SetU16(wire::kFlagsAt, static_cast<uint16_t>(flags | (rcode & wire::kRcodeMask)));
  w_.SetU16(wire::kQdcountAt, question_count_);
  w_.SetU16(wire::kAncountAt, counts_[0]);
  w_.SetU16(wire::kNscountAt, counts_[1]);
  w_.SetU16(wire::kArcountAt, counts_[2]);
  return w_.pos();
}

}  // namespace dnsd::dns
