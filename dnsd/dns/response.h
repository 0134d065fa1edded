// Response: builds one DNS response message record by record on top of a Writer, keeping
// the section counts and the header flags. A record that does not fit is not written
// (whole records only) and the Add* call returns false.
//
// QueryContext: what the answer code of one query shares (inputs, the response, and
// what was left out). Both live on the stack of one Answer() call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string_view>

#include "dnsd/dns/answer.h"
#include "dnsd/wire/wire.h"
#include "registry/instance.h"
#include "registry/snapshot.h"
#include "zones/zone.h"

namespace dnsd::dns {

enum class Section : uint8_t { kAnswer = 0, kAuthority = 1, kAdditional = 2 };

// How a record's owner name is written: a pointer to an earlier name (optionally after
// one literal label), or a full name (compressed against earlier names or not).
struct Owner {
  const wire::Name* name = nullptr;
  bool compress = true;
  std::string_view label;              // literal label before the pointer (pointer form only)
  size_t pointer = wire::kHeaderSize;  // the question's name by default

  static Owner Question() { return Owner{}; }
  static Owner At(size_t offset) { return Owner{nullptr, true, {}, offset}; }
  static Owner LabelAt(std::string_view label, size_t offset) {
    return Owner{nullptr, true, label, offset};
  }
  static Owner Of(const wire::Name& name, bool compress = true) {
    return Owner{&name, compress, {}, wire::kHeaderSize};
  }
};

// What a response copies from its query's flags: opcode and RD (RFC 1035 4.1.1), CD
// (RFC 4035 3.2.2).
inline constexpr uint16_t kEchoedFlags = wire::kOpcodeMask | wire::kFlagRd | wire::kFlagCd;

struct OptSpec {
  bool present = false;
  uint16_t udp_size = 0;  // ours
};

class Response {
 public:
  struct Mark {
    wire::Writer::Mark writer;
    std::array<uint16_t, 3> counts;
  };

  Response(std::span<uint8_t> out, size_t limit, const OptSpec& opt);

  // Header placeholder, then the question copied from the query (the client's case).
  void Begin(std::span<const uint8_t> question_bytes, const wire::Name* qname);
  void SetSection(Section s) { section_ = s; }
  uint16_t count(Section s) const { return counts_[static_cast<size_t>(s)]; }
  wire::Writer& writer() { return w_; }
  Mark Save() const { return {w_.Save(), counts_}; }
  void Rewind(const Mark& m);

  bool AddAddress(const Owner& owner, const registry::IpAddress& address, uint32_t ttl);
  // target_off receives the offset of the uncompressed target <id>.<svc>.instance.<domain>.
  bool AddSrv(const Owner& owner, const registry::Instance& instance, uint32_t ttl,
              const wire::Name& domain, size_t* target_off);
  // One TXT record holding the concatenation of pieces, split into <=255-byte strings.
  bool AddTxt(const Owner& owner, uint16_t rclass, uint32_t ttl,
              std::span<const std::string_view> pieces);
  bool AddRaw(const Owner& owner, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata);
  bool AddSoa(const wire::Name& apex, uint32_t serial, uint32_t minimum, uint32_t ttl);
  bool AddNs(const Owner& owner, const wire::Name& target, uint32_t ttl);

  // Writes the header (and the OPT record last, when the query had one). Returns the size.
  size_t Finish(uint16_t id, uint16_t flags, uint8_t rcode);

 private:
  template <typename RdataFn>
  bool Record(const Owner& owner, uint16_t type, uint16_t rclass, uint32_t ttl, RdataFn&& rdata);
  void WriteOwner(const Owner& owner);

  wire::Writer w_;
  OptSpec opt_;
  Section section_ = Section::kAnswer;
  std::array<uint16_t, 3> counts_{};
  uint16_t question_count_ = 0;
};

// Upper bounds on the TTL per type, so that static and registered records of one name
// and type (one RRset) carry one TTL (RFC 2181 5.2).
struct TtlCaps {
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  uint32_t a = kNone, aaaa = kNone, srv = kNone, txt = kNone;
  uint32_t For(uint16_t type) const {
    switch (type) {
      case wire::kTypeA:
        return a;
      case wire::kTypeAaaa:
        return aaaa;
      case wire::kTypeSrv:
        return srv;
      case wire::kTypeTxt:
        return txt;
      default:
        return kNone;
    }
  }
};

struct QueryContext {
  const wire::Question& question;
  Transport transport;
  const registry::RegistryView& view;
  const zones::ZoneSet& zones;
  const AnswerConfig& config;
  std::minstd_rand& rng;
  Response& response;
  const wire::Name* domain;  // nullptr when config.domain is not a valid name
  bool omitted = false;      // a record was left out because it did not fit
  // udp_answer_limit: instance records still allowed in this answer.
  size_t answer_budget = std::numeric_limits<size_t>::max();
  // Static records at the name being answered inside D (their TTLs cap ours).
  const zones::Node* static_node = nullptr;

  uint32_t Ttl(uint16_t type, uint32_t ttl) const {
    const zones::RRset* set = static_node != nullptr ? static_node->Find(type) : nullptr;
    return set != nullptr && set->ttl < ttl ? set->ttl : ttl;
  }
};

// What answering one name (one step of a CNAME chain) produced.
struct StepResult {
  enum class Kind : uint8_t { kNotOurs, kServFail, kAnswered };
  Kind kind = Kind::kNotOurs;
  bool exists = false;
  size_t answers = 0;                     // answer records written for this name
  std::optional<wire::Name> cname;        // target to chase
  const zones::Zone* soa_zone = nullptr;  // negative answers: this zone's SOA, else ours
};

// Static records of node for qtype (ANY: A/AAAA, else the first RRset). At the apex of
// the service domain the zone's SOA/NS are skipped (dnsd's own are answered).
// Returns the number of records written.
// caps: the TTLs of registered records of the same name and type.
size_t WriteStatic(QueryContext& ctx, const zones::Node& node, uint16_t qtype, const Owner& owner,
                   bool skip_soa_ns, const TtlCaps& caps = {});
// Writes node's CNAME (when it has one) and returns its target.
std::optional<wire::Name> WriteStaticCname(QueryContext& ctx, const zones::Node& node,
                                           const Owner& owner);
// A name in a static zone outside the service domain.
StepResult AnswerInZone(QueryContext& ctx, const zones::Zone& zone, const wire::Name& name,
                        const Owner& owner);
// The zone's SOA for the authority section of a negative answer.
bool WriteZoneSoa(QueryContext& ctx, const zones::Zone& zone);

}  // namespace dnsd::dns
