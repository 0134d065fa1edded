// The query -> answer entry point: header and question checks, EDNS, the rcode rules of
// SPEC §2, the CNAME chain over dnsd's own data, and the final flags.
#include "dnsd/dns/answer.h"

#include <algorithm>
#include <optional>

#include "dnsd/dns/domain.h"
#include "dnsd/dns/response.h"
#include "dnsd/wire/wire.h"

namespace dnsd::dns {
namespace {

using wire::kFlagAa;
using wire::kFlagQr;
using wire::kFlagRa;
using wire::kFlagTc;
constexpr int kMaxChain = 8;

size_t SizeLimit(Transport transport, const wire::Edns& edns, const AnswerConfig& config,
                 size_t out_size) {
  size_t limit = kMaxMessage;
  if (transport == Transport::kUdp) {
    const size_t ours = std::max<size_t>(config.max_udp_size, wire::kMinUdpSize);
    limit = edns.present
                ? std::min<size_t>(std::max<size_t>(edns.udp_size, wire::kMinUdpSize), ours)
                : wire::kMinUdpSize;
  }
  return std::min(limit, out_size);
}

// What the rest of the answer needs from the request.
struct Request {
  const wire::Header& header;
  std::span<const uint8_t> query;
  const AnswerConfig& config;
  uint16_t BaseFlags() const {
    return static_cast<uint16_t>(kFlagQr | (header.flags & kEchoedFlags) |
                                 (config.forwarding ? kFlagRa : 0));
  }
};

AnswerResult Reply(Response& response, const Request& req, uint16_t extra_flags, uint8_t rcode,
                   uint16_t qtype) {
  AnswerResult r;
  r.disposition = Disposition::kReply;
  r.size = response.Finish(req.header.id, req.BaseFlags() | extra_flags, rcode);
  r.qtype = qtype;
  r.rcode = rcode;
  r.truncated = (extra_flags & kFlagTc) != 0;
  return r;
}

// An error answer without EDNS: FORMERR/NOTIMP before the OPT record was read.
AnswerResult Bare(const Request& req, std::span<uint8_t> out, uint8_t rcode,
                  const wire::Question* q) {
  Response response(out, std::min(out.size(), wire::kMinUdpSize), OptSpec{});
  if (q != nullptr) {
    response.Begin(req.query.subspan(q->name_begin, q->end - q->name_begin), &q->name);
  } else {
    response.Begin({}, nullptr);
  }
  return Reply(response, req, 0, rcode, q != nullptr ? q->qtype : 0);
}

AnswerResult AnswerChaos(QueryContext& ctx, const Request& req) {
  Response& r = ctx.response;
  const uint16_t qtype = ctx.question.qtype;
  const std::optional<wire::Name> version = wire::Name::FromText("version.bind.");
  const std::optional<wire::Name> id = wire::Name::FromText("id.server.");
  const bool is_version = ctx.question.name == *version;
  if (!ctx.config.chaos || (!is_version && !(ctx.question.name == *id))) {
    return Reply(r, req, 0, wire::kRcodeRefused, qtype);
  }
  if (qtype == wire::kTypeTxt || qtype == wire::kTypeAny) {
    const std::string_view text[] = {is_version ? ctx.config.version : ctx.config.server_id};
    (void)r.AddTxt(Owner::Question(), wire::kClassCh, 0, text);
  }
  return Reply(r, req, kFlagAa, wire::kRcodeNoError, qtype);
}

StepResult AnswerStep(QueryContext& ctx, const wire::Name& name, const Owner& owner) {
  size_t above = 0;
  if (ctx.domain != nullptr && name.IsAtOrBelow(*ctx.domain, &above)) {
    return AnswerInDomain(ctx, name, above, owner);
  }
  if (ctx.zones.empty()) return StepResult{};
  wire::NameText text;
  wire::ToText(name, text);
  if (const zones::Zone* zone = ctx.zones.FindZone(text.view())) {
    return AnswerInZone(ctx, *zone, name, owner);
  }
  return StepResult{};
}

AnswerResult AnswerIn(QueryContext& ctx, const Request& req) {
  const uint16_t qtype = ctx.question.qtype;
  wire::Name current = ctx.question.name;
  Owner owner = Owner::Question();
  StepResult last;
  for (int step = 0; step < kMaxChain; ++step) {
    StepResult s = AnswerStep(ctx, current, owner);
    if (s.kind != StepResult::Kind::kAnswered) {
      if (step > 0) break;  // the chain left dnsd's data: the CNAMEs so far are the answer
      if (s.kind == StepResult::Kind::kServFail) {
        return Reply(ctx.response, req, 0, wire::kRcodeServFail, qtype);
      }
      if (ctx.config.forwarding) {
        AnswerResult fwd;
        fwd.disposition = Disposition::kForward;
        fwd.qtype = qtype;
        return fwd;
      }
      return Reply(ctx.response, req, 0, wire::kRcodeRefused, qtype);
    }
    last = std::move(s);
    if (!last.cname) break;
    current = *last.cname;
    owner = Owner::Of(current);
  }
  Response& r = ctx.response;
  if (last.answers == 0) {
    r.SetSection(Section::kAuthority);
    const bool ok =
        last.soa_zone != nullptr ? WriteZoneSoa(ctx, *last.soa_zone) : WriteDomainSoa(ctx);
    if (!ok && last.soa_zone == nullptr) ctx.omitted = true;
  }
  const bool limited = ctx.transport == Transport::kUdp && ctx.config.udp_answer_limit > 0;
  const bool tc = ctx.omitted && ctx.transport == Transport::kUdp && !limited;
  AnswerResult result = Reply(r, req, static_cast<uint16_t>(kFlagAa | (tc ? kFlagTc : 0)),
                              last.exists ? wire::kRcodeNoError : wire::kRcodeNxDomain, qtype);
  if (ctx.omitted && ctx.transport == Transport::kTcp) result.truncated = true;
  return result;
}

}  // namespace

AnswerResult Answer(std::span<const uint8_t> query, Transport transport,
                    const registry::RegistryView& view, const zones::ZoneSet& zones,
                    const AnswerConfig& config, std::minstd_rand& rng, std::span<uint8_t> out) {
  const std::optional<wire::Name> domain = wire::Name::FromText(config.domain);
  return Answer(query, transport, view, zones, config, domain ? &*domain : nullptr, rng, out);
}

AnswerResult Answer(std::span<const uint8_t> query, Transport transport,
                    const registry::RegistryView& view, const zones::ZoneSet& zones,
                    const AnswerConfig& config, const wire::Name* domain, std::minstd_rand& rng,
                    std::span<uint8_t> out) {
  const std::optional<wire::Header> header = wire::ParseHeader(query);
  if (!header || header->qr() || out.size() < wire::kHeaderSize) return AnswerResult{};  // drop
  const Request req{*header, query, config};

  wire::Question q;
  const bool have_question = header->qdcount == 1 && wire::ParseQuestion(query, q);
  if (header->opcode() != 0)
    return Bare(req, out, wire::kRcodeNotImp, have_question ? &q : nullptr);
  if (!have_question) return Bare(req, out, wire::kRcodeFormErr, nullptr);
  wire::Edns edns;
  if (!wire::ParseRecords(query, *header, q.end, edns)) {
    AnswerResult r = Bare(req, out, wire::kRcodeFormErr, nullptr);
    r.qtype = q.qtype;
    return r;
  }

  const OptSpec opt{edns.present, static_cast<uint16_t>(
                                      std::max<uint32_t>(config.max_udp_size, wire::kMinUdpSize))};
  Response response(out, SizeLimit(transport, edns, config, out.size()), opt);
  response.Begin(query.subspan(q.name_begin, q.end - q.name_begin), &q.name);
  if (edns.present && edns.version > 0)
    return Reply(response, req, 0, wire::kRcodeBadVers, q.qtype);
  if (q.qtype == wire::kTypeAxfr || q.qtype == wire::kTypeIxfr) {
    return Reply(response, req, 0, wire::kRcodeRefused, q.qtype);
  }

  QueryContext ctx{q, transport, view, zones, config, rng, response, domain};
  if (transport == Transport::kUdp && config.udp_answer_limit > 0) {
    ctx.answer_budget = config.udp_answer_limit;
  }
  if (q.qclass == wire::kClassCh) return AnswerChaos(ctx, req);
  if (q.qclass != wire::kClassIn) return Reply(response, req, 0, wire::kRcodeRefused, q.qtype);
  return AnswerIn(ctx, req);
}

}  // namespace dnsd::dns
